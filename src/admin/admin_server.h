#pragma once
// The daemon's end of the admin socket: accepts mmp connections on DIR/mmp.sock
// and runs each conversation on its own thread, so a prompt waiting for an
// operator never blocks another shell. Admin traffic is a handful of commands, so
// a thread each is the simple, right fit — bounded so that nothing a caller does
// makes threads pile up:
// - a conversation's thread ends with it and is reaped then (a monitoring job
//   running `mmp ... status` every minute for months leaves nothing behind);
// - at most kMaxConversations run at once; one more is told so and closed;
// - the request must arrive within kRequestTimeout, and a prompt's answer within
//   the dispatcher's answer timeout, so a silent client cannot hold a thread;
// - only root and the daemon's own user may talk to it (SO_PEERCRED), on top of
//   the socket's mode 0600, which is set before the socket appears under its name.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "admin/command_registry.h"
#include "admin/daemon.h"

namespace convene {

class AdminServer {
 public:
  static constexpr size_t kMaxConversations = 32;
  static constexpr std::chrono::milliseconds kRequestTimeout{10'000};

  AdminServer(Daemon& daemon, const CommandRegistry& registry)
      : daemon_(daemon), node_(daemon.node()), registry_(registry) {}
  ~AdminServer();

  // Binds the socket (replacing a stale one left by a crash: the directory lock
  // proves no live daemon owns it) and starts accepting.
  Status start();
  // Stops accepting, ends open conversations and waits for their threads.
  void stop();

 private:
  void accept_loop();
  // Refuses (with a message to the peer) a caller that is not allowed, or one
  // too many; true when the conversation may run.
  bool admit(int fd);
  void serve(int fd);

  Daemon& daemon_;
  Node& node_;
  const CommandRegistry& registry_;
  int listen_fd_ = -1;
  bool stopping_ = false;  // guarded by mutex_
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable idle_;  // signalled when running_ drops to 0
  size_t running_ = 0;            // conversation threads (detached) not yet finished
  std::vector<int> open_fds_;     // their sockets, while open (stop() shuts them down)
};

}  // namespace convene
