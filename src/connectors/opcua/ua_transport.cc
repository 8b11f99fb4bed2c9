#include "connectors/opcua/ua_transport.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace strata::opcua {

TcpTransport::TcpTransport() : wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

TcpTransport::~TcpTransport() {
  Close();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void TcpTransport::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void TcpTransport::Interrupt() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void TcpTransport::ClearInterrupt() {
  uint64_t value = 0;
  (void)!read(wake_fd_, &value, sizeof(value));
}

Status TcpTransport::Wait(short events, SteadyTime deadline, const char* what) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd fds[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    const int n = poll(fds, 2, static_cast<int>(std::clamp<int64_t>(left + 1, 0, 1'000'000)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError(fmt::format("poll: {}", std::strerror(errno)));
    }
    if (fds[1].revents & POLLIN) return CancelledError("stopping");
    if (fds[0].revents != 0) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return UnavailableError(fmt::format("timed out waiting for {}", what));
    }
  }
}

Status TcpTransport::Connect(const std::string& host, int port, SteadyTime deadline) {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result);
  if (rc != 0) {
    return UnavailableError(fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(result, freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    fd_ = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd_ < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0) return Status::Ok();
    if (errno == EINPROGRESS) {
      Status s = Wait(POLLOUT, deadline, "connection");
      if (s.code() == StatusCode::kCancelled) {
        Close();
        return s;
      }
      if (s.ok()) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) return Status::Ok();
        last_error = std::strerror(err);
      } else {
        last_error = s.message();
      }
    } else {
      last_error = std::strerror(errno);
    }
    Close();
  }
  return UnavailableError(fmt::format("cannot connect to {}:{}: {}", host, port, last_error));
}

Status TcpTransport::Send(std::string_view data, SteadyTime deadline) {
  if (fd_ < 0) return UnavailableError("not connected");
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      STRATA_RETURN_IF_ERROR(Wait(POLLOUT, deadline, "room in the send buffer"));
      continue;
    }
    return UnavailableError(fmt::format("send: {}", std::strerror(errno)));
  }
  return Status::Ok();
}

Status TcpTransport::Receive(std::string* out, size_t max_bytes, SteadyTime deadline) {
  if (fd_ < 0) return UnavailableError("not connected");
  const size_t old_size = out->size();
  out->resize(old_size + max_bytes);
  for (;;) {
    const ssize_t n = recv(fd_, out->data() + old_size, max_bytes, 0);
    if (n > 0) {
      out->resize(old_size + static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) {
      out->resize(old_size);
      return UnavailableError("the server closed the connection");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      Status s = Wait(POLLIN, deadline, "answer");
      if (!s.ok()) {
        out->resize(old_size);
        return s;
      }
      continue;
    }
    const int err = errno;
    out->resize(old_size);
    return UnavailableError(fmt::format("recv: {}", std::strerror(err)));
  }
}

}  // namespace strata::opcua
