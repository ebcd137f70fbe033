#include "shell/admin_client.h"

#include "protocol/admin_protocol.h"

namespace convene::shell {

Outcome run_remote(const std::string& socket_path, const std::vector<std::string>& argv, Terminal& term) {
  auto fd = protocol::connect_unix(socket_path);
  if (!fd) {
    term.err("ERROR: " + fd.error().message + "\n  " + fd.error().hint);
    return Outcome::kUnreachable;
  }
  return run_over(*fd, argv, term);
}

Outcome run_over(int fd, const std::vector<std::string>& argv, Terminal& term) {
  protocol::LineChannel channel(fd);
  // A failed send is not the end: the daemon may have refused the conversation
  // (not allowed, too many at once) and closed before the request went out; its
  // reason is still waiting to be read, and is what the operator needs to see.
  (void)channel.send({{"op", "run"}, {"argv", argv}});
  while (auto msg = channel.receive()) {
    if (msg->contains("out")) {
      term.out(msg->value("out", ""));
    } else if (msg->contains("confirm") || msg->contains("secret")) {
      bool secret = msg->contains("secret");
      auto answer = term.ask(msg->value(secret ? "secret" : "confirm", ""), !secret);
      if (!channel.send({{"answer", answer.value_or("")}})) break;
    } else if (msg->contains("done")) {
      if (msg->value("ok", false)) return Outcome::kOk;
      term.err(msg->value("error", "ERROR: command failed"));
      return Outcome::kFailed;
    }
  }
  term.err("ERROR: connection to convened lost before the command finished\n  Check the node's log (logs/convened.log).");
  return Outcome::kUnreachable;
}

Result<GrammarReply> fetch_grammar(const std::string& socket_path) {
  auto fd = protocol::connect_unix(socket_path);
  if (!fd) return fd.error();
  protocol::LineChannel channel(*fd);
  if (auto st = channel.send({{"op", "grammar"}}); !st) return st.error();
  auto reply = channel.receive();
  if (!reply || !reply->contains("grammar")) return make_error("convened sent no grammar");
  return GrammarReply{Grammar::from_json((*reply)["grammar"]), reply->value("node", "")};
}

}  // namespace convene::shell
