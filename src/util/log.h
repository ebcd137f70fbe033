#pragma once
// A named logger per subsystem, so every log line says which part of the node wrote
// it. All loggers share the sinks set up once by init_logging: the node's log file
// and stderr. Secrets never go to a log.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace convene {

// Sends every logger's output to `file` (if not empty) and to stderr.
void init_logging(const std::filesystem::path& file, spdlog::level::level_enum level = spdlog::level::info);

// Every record is one line: control characters in its message (a newline, an
// escape sequence, anything below 0x20 and DEL) are written escaped (\n, \x1b).
void escape_control_characters(std::string_view text, spdlog::memory_buf_t& out);

// The logger for one subsystem ("admin", "pki", "xmpp", ...), created on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& subsystem);

}  // namespace convene
