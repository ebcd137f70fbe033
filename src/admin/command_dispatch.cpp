#include "admin/command_dispatch.h"

#include "admin/socket_conversation.h"
#include "protocol/admin_request.h"
#include "util/log.h"
#include "util/strings.h"

namespace convene {

std::string render_error(const Error& error) {
  std::string out = "ERROR: " + error.message;
  if (!error.hint.empty())
    for (auto& line : split(error.hint, '\n')) out += "\n  " + line;
  return out;
}

Status run_command(Daemon& daemon, const CommandRegistry& registry, Conversation& io,
                   const std::vector<std::string>& argv, bool quiet) {
  auto match = registry.match(argv);
  if (!match) return match.error();
  const CommandSpec& spec = *match->spec;
  std::string line = join(argv, " ");
  if (!spec.handler)
    return make_error("'" + join(spec.words, " ") + "' is not implemented yet in this version of Convene",
                      "Nothing was changed.");
  CommandRequest request{daemon, daemon.node(), io, std::move(match->args), line};
  // Log the command words only: arguments may name files but never carry secrets
  // (secrets are prompted), still keep the log to what an auditor needs.
  auto status = spec.handler(request);
  logger("admin")->log(quiet ? spdlog::level::debug : spdlog::level::info, "command '{}' {}", line,
                       status ? "succeeded" : "failed: " + status.error().message);
  return status;
}

void run_conversation(Daemon& daemon, const CommandRegistry& registry, protocol::LineChannel& channel) {
  auto message = channel.receive();
  if (!message) return;
  auto request = protocol::parse_admin_request(*message);
  if (!request) {
    (void)channel.send({{"done", true}, {"ok", false}, {"error", "ERROR: " + request.error().message}});
    return;
  }
  if (request->op == protocol::AdminRequest::Op::grammar) {
    nlohmann::json commands = nlohmann::json::array();
    for (auto& s : registry.all())
      commands.push_back({{"words", s.words}, {"usage", s.usage}, {"help", s.help}});
    (void)channel.send({{"grammar", commands}, {"node", daemon.node().name()}});
    return;
  }
  // The command may ask the operator something ((Y/n), a secret): give a person
  // time to answer, where the request itself had to come at once.
  channel.set_timeouts(kAnswerTimeout, kAnswerTimeout);
  SocketConversation io(channel);
  auto status = run_command(daemon, registry, io, request->argv);
  if (status)
    (void)channel.send({{"done", true}, {"ok", true}});
  else
    (void)channel.send({{"done", true}, {"ok", false}, {"error", render_error(status.error())}});
}

}  // namespace convene
