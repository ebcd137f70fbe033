#pragma once
// One admin conversation: read the request, answer a grammar query or run the
// command it names, and finish with the "done" message.
#include <chrono>

#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "protocol/admin_protocol.h"

namespace convene {

// How long a conversation waits for an operator's answer to a prompt.
inline constexpr std::chrono::milliseconds kAnswerTimeout{10 * 60 * 1000};

void run_conversation(Daemon& daemon, const CommandRegistry& registry, protocol::LineChannel& channel);

// Runs one command; the error text is "ERROR: <message>\n  <hint lines>".
// Each command leaves an "admin" log line, at info; `quiet` puts it at debug, for
// the reads a program repeats on its own (the web admin's status refreshes), which
// would otherwise bury the commands people typed.
Status run_command(Daemon& daemon, const CommandRegistry& registry, Conversation& io,
                   const std::vector<std::string>& argv, bool quiet = false);

// How an Error is shown at the shell, in the seed's shape.
std::string render_error(const Error& error);

}  // namespace convene
