#include "admin/admin_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "admin/command_dispatch.h"
#include "util/log.h"

namespace convene {

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start() {
  std::string path = node_.paths().admin_socket().string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return make_error("admin socket path too long: " + path, "Use a shorter node directory path.");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return make_error(std::string("socket: ") + std::strerror(errno));
  // Create the socket with mode 0600 from the start: no window where others may connect.
  mode_t old = ::umask(0177);
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::listen(listen_fd_, 16) != 0)
    return make_error("cannot listen on " + path + ": " + std::strerror(errno));
  acceptor_ = std::thread([this] { accept_loop(); });
  return ok_status();
}

void AdminServer::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::unlink(node_.paths().admin_socket().c_str());
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(conversations_);
  }
  for (auto& t : threads) t.join();
}

void AdminServer::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      break;  // shut down
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.push_back(fd);
    conversations_.emplace_back([this, fd] { serve(fd); });
  }
}

void AdminServer::serve(int fd) {
  {
    protocol::LineChannel channel(fd);  // closes fd
    run_conversation(daemon_, registry_, channel);
    std::lock_guard lock(mutex_);
    std::erase(open_fds_, fd);
  }
}

}  // namespace convene
