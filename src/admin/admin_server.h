#pragma once
// The daemon's end of the admin socket: accepts mmp connections on DIR/mmp.sock
// (mode 0600: only the node's owner may administer it) and runs each conversation
// on its own thread, so a prompt waiting for an operator never blocks another shell.
// Admin traffic is a handful of commands, so a thread each is the simple, right fit.
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "admin/command_registry.h"
#include "admin/daemon.h"

namespace convene {

class AdminServer {
 public:
  AdminServer(Daemon& daemon, const CommandRegistry& registry)
      : daemon_(daemon), node_(daemon.node()), registry_(registry) {}
  ~AdminServer();

  // Binds the socket (replacing a stale one left by a crash: the directory lock
  // proves no live daemon owns it) and starts accepting.
  Status start();
  // Stops accepting, ends open conversations and joins their threads.
  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  Daemon& daemon_;
  Node& node_;
  const CommandRegistry& registry_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> open_fds_;
  std::vector<std::thread> conversations_;
};

}  // namespace convene
