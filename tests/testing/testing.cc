#include "testing/testing.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace strata::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/strata-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto step = std::chrono::milliseconds(1);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
}

void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string StrataBinary() {
  const char* p = std::getenv("STRATA_BINARY");
  return p ? p : STRATA_DEFAULT_BINARY;
}

std::string SourceDir() {
  const char* p = std::getenv("STRATA_SOURCE_DIR");
  return p ? p : STRATA_DEFAULT_SOURCE_DIR;
}

Status RunCommand(const std::vector<std::string>& argv, const std::string& log_file,
                  int64_t timeout_ns) {
  ChildProcess::Options o;
  o.argv = argv;
  o.log_file = log_file;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> p, ChildProcess::Spawn(o));
  const std::optional<int> code = p->WaitFor(timeout_ns);
  if (code && *code == 0) return Status::Ok();
  return InternalError(fmt::format("`{}` {}:\n{}", fmt::join(argv, " "),
                                   code ? fmt::format("exited with {}", *code) : "timed out",
                                   ReadTextFile(log_file)));
}

Status MakeTestCertificates(const TempDir& dir) {
  const auto f = [&](const char* name) { return dir.File(name); };
  const std::string log = f("openssl.log");
  STRATA_RETURN_IF_ERROR(RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                     "-days", "2", "-subj", "/CN=strata-test-ca", "-keyout",
                                     f("ca.key"), "-out", f("ca.crt")},
                                    log));
  STRATA_RETURN_IF_ERROR(RunCommand({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj",
                                     "/CN=127.0.0.1", "-keyout", f("server.key"), "-out",
                                     f("server.csr")},
                                    log));
  WriteTextFile(f("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  return RunCommand({"openssl", "x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"),
                     "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile",
                     f("san.ext"), "-out", f("server.crt")},
                    log);
}

std::string CurrentUserName() {
  const passwd* pw = getpwuid(getuid());
  return pw ? pw->pw_name : "root";
}

StatusOr<std::unique_ptr<MosquittoBroker>> MosquittoBroker::Start(Options options) {
  std::unique_ptr<MosquittoBroker> b(new MosquittoBroker());
  b->options_ = options;
  b->dir_ = std::make_unique<TempDir>();
  if (b->options_.port == 0) {
    STRATA_ASSIGN_OR_RETURN(b->options_.port, FreeTcpPort());
  }
  // As root, mosquitto would switch to user "mosquitto", which cannot use the test's private
  // directory (persistence, password and certificate files): keep the current user.
  std::string conf = fmt::format("user {}\n", CurrentUserName());
  conf += fmt::format(
      "listener {} 127.0.0.1\nallow_anonymous true\nmax_queued_messages {}\n"
      "max_queued_bytes 0\nlog_dest stdout\nlog_type error\nlog_type warning\n"
      "log_type notice\nlog_type information\n",
      b->options_.port, b->options_.max_queued_messages);
  if (b->options_.persistence) {
    conf += fmt::format("persistence true\npersistence_location {}/\n", b->dir_->path());
  }
  conf += b->options_.extra_config;
  WriteTextFile(b->dir_->File("mosquitto.conf"), conf);
  STRATA_RETURN_IF_ERROR(b->Launch());
  return b;
}

Status MosquittoBroker::Launch() {
  const std::string exe = FindExecutable("mosquitto");
  if (exe.empty()) return NotFoundError("mosquitto is not installed (make deps)");
  ChildProcess::Options o;
  o.argv = {exe, "-c", dir_->File("mosquitto.conf")};
  o.log_file = dir_->File("mosquitto.log");
  STRATA_ASSIGN_OR_RETURN(process_, ChildProcess::Spawn(o));
  if (!WaitForTcpPort("127.0.0.1", options_.port, 10'000'000'000LL)) {
    return UnavailableError("mosquitto did not start: " + log());
  }
  return Status::Ok();
}

MosquittoBroker::~MosquittoBroker() { Stop(); }

void MosquittoBroker::Stop() {
  if (process_) process_->Terminate();
  process_.reset();
}

void MosquittoBroker::Kill() {
  if (process_) process_->Kill();
  process_.reset();
}

Status MosquittoBroker::Restart() {
  Stop();
  return Launch();
}

bool MosquittoBroker::running() { return process_ && !process_->Poll(); }

std::string MosquittoBroker::log() const { return ReadTextFile(dir_->File("mosquitto.log")); }

MisbehavingPeer::MisbehavingPeer(Answer answer) : answer_(std::move(answer)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;  // port() stays 0
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

MisbehavingPeer::~MisbehavingPeer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (int fd : clients_) close(fd);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void MisbehavingPeer::Run() {
  std::vector<char> buf(4096);
  while (!stop_) {
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
    for (int fd : clients_) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) {
        fcntl(fd, F_SETFL, O_NONBLOCK);
        clients_.push_back(fd);
        ++connections_;
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int fd = fds[i].fd;
      const ssize_t n = read(fd, buf.data(), buf.size());
      if (n <= 0) {
        close(fd);
        clients_.erase(std::find(clients_.begin(), clients_.end(), fd));
        continue;
      }
      const std::string reply = answer_(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (!reply.empty()) {
        (void)!send(fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      }
    }
  }
}

MqttListener::MqttListener(int port, const std::string& filter) : filter_(filter) {
  mosquitto_lib_init();
  m_ = mosquitto_new(nullptr, true, this);
  mosquitto_connect_callback_set(m_, [](mosquitto* m, void* self, int) {
    mosquitto_subscribe(m, nullptr, static_cast<MqttListener*>(self)->filter_.c_str(), 1);
  });
  mosquitto_subscribe_callback_set(m_, [](mosquitto*, void* self, int, int, const int*) {
    static_cast<MqttListener*>(self)->subscribed_ = true;
  });
  mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
    auto* l = static_cast<MqttListener*>(self);
    std::lock_guard lock(l->mu_);
    l->messages_.emplace_back(msg->topic, std::string(static_cast<const char*>(msg->payload),
                                                      static_cast<size_t>(msg->payloadlen)));
  });
  mosquitto_connect(m_, "127.0.0.1", port, 30);
  mosquitto_loop_start(m_);
}

MqttListener::~MqttListener() {
  mosquitto_disconnect(m_);
  mosquitto_loop_stop(m_, true);
  mosquitto_destroy(m_);
}

std::vector<std::pair<std::string, std::string>> MqttListener::messages() {
  std::lock_guard lock(mu_);
  return messages_;
}

}  // namespace strata::testing
