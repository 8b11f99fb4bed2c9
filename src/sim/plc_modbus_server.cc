#include "sim/plc_modbus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata::sim {
namespace {

struct ModbusFree {
  void operator()(modbus_t* ctx) const {
    modbus_close(ctx);  // closes the client's socket
    modbus_free(ctx);
  }
};
struct MappingFree {
  void operator()(modbus_mapping_t* m) const { modbus_mapping_free(m); }
};

timeval ToTimeval(int64_t ns) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>((ns % 1'000'000'000) / 1000);
  return tv;
}

}  // namespace

struct PlcModbusServer::Client {
  std::unique_ptr<modbus_t, ModbusFree> ctx;
  int fd = -1;
  std::unique_ptr<modbus_mapping_t, MappingFree> reply;  // one unit's image, while answering
};

StatusOr<std::unique_ptr<PlcModbusServer>> PlcModbusServer::Start(const Options& options) {
  const std::string where = fmt::format("{}:{}", options.host, options.port);
  if (options.units < 1 || options.units > 247) {
    return InvalidArgumentError(fmt::format(
        "modbus server {}: {} machines, but unit ids go from 1 to 247", where, options.units));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (options.port < 0 || options.port > 65535 ||
      inet_pton(AF_INET, options.host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgumentError(fmt::format(
        "modbus server {}: listen on an IPv4 address and a port 0..65535 (0 = any free port)",
        where));
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return UnavailableError(fmt::format("modbus server {}: socket: {}", where, strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0) {
    const int err = errno;
    close(fd);
    return UnavailableError(fmt::format(
        "modbus server {}: cannot listen: {}{}", where, strerror(err),
        err == EADDRINUSE ? " (choose another modbus.port, or 0 for any free port)" : ""));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int err = errno;
    close(fd);
    return UnavailableError(fmt::format("modbus server {}: pipe: {}", where, strerror(err)));
  }
  return std::unique_ptr<PlcModbusServer>(
      new PlcModbusServer(options, fd, ntohs(addr.sin_port), wake[0], wake[1]));
}

PlcModbusServer::PlcModbusServer(Options options, int listen_fd, int port, int wake_read,
                                 int wake_write)
    : options_(std::move(options)),
      listen_fd_(listen_fd),
      port_(port),
      wake_read_(wake_read),
      wake_write_(wake_write),
      images_(options_.units) {
  thread_ = std::thread([this] { Run(); });
}

PlcModbusServer::~PlcModbusServer() {
  Stop();
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

void PlcModbusServer::Stop() {
  if (stop_.exchange(true)) {
    if (thread_.joinable()) thread_.join();
    return;
  }
  const char byte = 0;
  // The pipe is non-blocking and only ever gets this one byte: the write cannot fail for
  // want of room, and the thread also re-checks stop_ after every poll.
  [[maybe_unused]] const ssize_t n = write(wake_write_, &byte, 1);
  if (thread_.joinable()) thread_.join();
}

void PlcModbusServer::Update(size_t unit_index, const PlcImage& image) {
  std::lock_guard lock(mu_);
  if (unit_index < images_.size()) images_[unit_index] = image;
}

void PlcModbusServer::Run() {
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    fds.clear();
    fds.push_back({wake_read_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : clients) fds.push_back({c->fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("sim: modbus server: poll: {}; no longer serving", strerror(errno));
      break;
    }
    if (stop_.load()) break;
    // Clients first (their indexes in fds are stable until Accept appends).
    size_t kept = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      const short ev = fds[i + 2].revents;
      bool keep = true;
      if (ev & (POLLIN | POLLHUP | POLLERR)) keep = Serve(clients[i].get());
      if (keep) clients[kept++] = std::move(clients[i]);
    }
    clients.resize(kept);
    if (fds[1].revents & POLLIN) Accept(&clients);
    clients_.store(clients.size());
  }
  clients.clear();  // closes every connection
  clients_.store(0);
}

void PlcModbusServer::Accept(std::vector<std::unique_ptr<Client>>* clients) {
  sockaddr_in peer{};
  socklen_t len = sizeof(peer);
  const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (fd < 0) return;  // the peer went away, or EAGAIN: nothing to do
  char ip[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
  if (clients->size() >= options_.max_clients) {
    spdlog::warn("sim: modbus server: refusing {}:{}, already {} clients (modbus.max_clients)", ip,
                 ntohs(peer.sin_port), clients->size());
    close(fd);
    return;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const timeval send_timeout = ToTimeval(options_.send_timeout_ns);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  auto client = std::make_unique<Client>();
  client->fd = fd;
  client->ctx.reset(modbus_new_tcp("127.0.0.1", port_));
  client->reply.reset(modbus_mapping_new(0, kPlcDiscreteInputs, 0, kPlcInputRegisters));
  if (!client->ctx || !client->reply) {
    close(fd);
    spdlog::error("sim: modbus server: out of memory for a client; refused {}", ip);
    return;
  }
  modbus_set_socket(client->ctx.get(), fd);  // owned by ctx from here on
  const timeval byte_timeout = ToTimeval(options_.byte_timeout_ns);
  modbus_set_byte_timeout(client->ctx.get(), static_cast<uint32_t>(byte_timeout.tv_sec),
                          static_cast<uint32_t>(byte_timeout.tv_usec));
  spdlog::info("sim: modbus server: client {}:{} connected", ip, ntohs(peer.sin_port));
  clients->push_back(std::move(client));
}

bool PlcModbusServer::Serve(Client* client) {
  uint8_t request[MODBUS_TCP_MAX_ADU_LENGTH];
  modbus_t* ctx = client->ctx.get();
  const int n = modbus_receive(ctx, request);
  if (n == 0) return true;  // not for this server (libmodbus filtered it)
  if (n < 0) return false;  // closed, reset, stalled mid-frame or not a valid frame
  // MBAP header: protocol id 0 and a length that covers exactly the frame libmodbus read
  // (libmodbus sizes requests by their function code and checks neither).
  const int protocol = (request[2] << 8) | request[3];
  const int length = (request[4] << 8) | request[5];
  if (protocol != 0 || length != n - 6) return false;
  requests_.fetch_add(1);
  const int header = modbus_get_header_length(ctx);
  const int unit = request[header - 1];
  if (unit < 1 || static_cast<size_t>(unit) > options_.units) {
    return modbus_reply_exception(ctx, request, MODBUS_EXCEPTION_GATEWAY_TARGET) >= 0;
  }
  std::optional<PlcImage> image;
  {
    std::lock_guard lock(mu_);
    image = images_[unit - 1];
  }
  if (!image)
    return modbus_reply_exception(ctx, request, MODBUS_EXCEPTION_SLAVE_OR_SERVER_BUSY) >= 0;
  modbus_mapping_t* m = client->reply.get();
  std::copy(image->discrete_inputs.begin(), image->discrete_inputs.end(), m->tab_input_bits);
  std::copy(image->input_registers.begin(), image->input_registers.end(), m->tab_input_registers);
  return modbus_reply(ctx, request, n, m) >= 0;
}

}  // namespace strata::sim
