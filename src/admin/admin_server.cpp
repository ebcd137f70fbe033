#include "admin/admin_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "admin/command_dispatch.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace convene {

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return make_error("admin socket path too long: " + path, "Use a shorter node directory path.");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

void refuse(int fd, const std::string& error) {
  protocol::LineChannel channel(fd);  // closes fd
  channel.set_timeouts(AdminServer::kRequestTimeout, AdminServer::kRequestTimeout);
  (void)channel.send({{"done", true}, {"ok", false}, {"error", "ERROR: " + error}});
}

}  // namespace

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start() {
  std::string path = node_.paths().admin_socket().string();
  CONVENE_TRY(unix_address(path));
  // Bound inside a fresh directory of mode 0700, made 0600, then renamed into
  // place: nobody else can reach the socket before its mode is set, and the
  // process umask (shared by every thread) is never touched.
  std::string staging_template = path + ".XXXXXX";
  if (!::mkdtemp(staging_template.data()))
    return make_error("cannot make a directory next to " + path + ": " + std::strerror(errno));
  std::filesystem::path staging = staging_template;
  std::string staged = (staging / "s").string();
  auto cleanup = [&] {
    ::unlink(staged.c_str());
    ::rmdir(staging.c_str());
  };
  auto addr = unix_address(staged);
  if (!addr) {
    cleanup();
    return addr.error();
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    cleanup();
    return make_error(std::string("socket: ") + std::strerror(errno));
  }
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0 ||
      ::chmod(staged.c_str(), 0600) != 0 || ::listen(listen_fd_, 16) != 0 ||
      ::rename(staged.c_str(), path.c_str()) != 0) {
    int err = errno;
    cleanup();
    return make_error("cannot listen on " + path + ": " + std::strerror(err));
  }
  cleanup();
  acceptor_ = std::thread([this] {
    set_thread_name("admin-accept");
    accept_loop();
  });
  return ok_status();
}

void AdminServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::unlink(node_.paths().admin_socket().c_str());
  std::unique_lock lock(mutex_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [this] { return running_ == 0; });
}

void AdminServer::accept_loop() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: wait a little rather than spin on the same error.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      break;  // shut down
    }
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        break;
      }
    }
    if (!admit(fd)) continue;
    std::thread([this, fd] {
      set_thread_name("admin-cmd");
      serve(fd);
    }).detach();
  }
}

bool AdminServer::admit(int fd) {
  ucred peer{};
  socklen_t len = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
    ::close(fd);
    return false;
  }
  if (peer.uid != 0 && peer.uid != ::geteuid()) {
    logger("admin")->warn("admin socket: refused uid {} (pid {}): only root and uid {} may administer this node",
                          peer.uid, peer.pid, ::geteuid());
    refuse(fd, "permission denied: only root and the daemon's user may administer this node");
    return false;
  }
  std::lock_guard lock(mutex_);
  if (running_ >= kMaxConversations) {
    logger("admin")->warn("admin socket: {} conversations already running; refused one more", running_);
    // Sent while holding the lock is fine: the peer's buffer is empty, so it cannot block.
    refuse(fd, "too many admin commands running at once (" + std::to_string(kMaxConversations) +
                   "); try again when one has finished");
    return false;
  }
  open_fds_.push_back(fd);
  ++running_;
  return true;
}

void AdminServer::serve(int fd) {
  {
    protocol::LineChannel channel(fd);  // closes fd
    channel.set_timeouts(kRequestTimeout, kRequestTimeout);
    run_conversation(daemon_, registry_, channel);
    // Forgotten while still open, so stop() never shuts down a number reused since.
    std::lock_guard lock(mutex_);
    std::erase(open_fds_, fd);
  }
  // The last thing this thread does with `this`: stop() may return right after.
  std::lock_guard lock(mutex_);
  if (--running_ == 0) idle_.notify_all();
}

}  // namespace convene
