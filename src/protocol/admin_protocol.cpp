#include "protocol/admin_protocol.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace convene::protocol {

LineChannel::~LineChannel() { ::close(fd_); }

namespace {
timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}
}  // namespace

void LineChannel::set_timeouts(std::chrono::milliseconds receive, std::chrono::milliseconds send) {
  timeval r = to_timeval(receive), s = to_timeval(send);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof r);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof s);
}

Status LineChannel::send(const nlohmann::json& message) {
  std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::send(fd_, p, left, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("admin connection lost: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return ok_status();
}

std::optional<nlohmann::json> LineChannel::receive() {
  while (true) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      auto msg = nlohmann::json::parse(line, nullptr, false);
      if (msg.is_discarded() || !msg.is_object()) return std::nullopt;
      return msg;
    }
    if (buffer_.size() > kMaxMessageBytes) return std::nullopt;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

Result<int> connect_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return make_error("socket path too long: " + path, "Use a shorter node directory path.");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return make_error("cannot reach convened at " + path + ": " + std::strerror(err),
                      "Is convened running for this node? Start it with: convened --dir <DIR> --iface a=<ADDRESS>");
  }
  return fd;
}

}  // namespace convene::protocol
