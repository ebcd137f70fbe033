#include "util/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <unistd.h>

#include <mutex>
#include <vector>

#include "util/journal_stream.h"

namespace convene {

namespace {

// The message of a log record with its control characters escaped: what clients
// send (user names, JIDs, stream errors) reaches the log, and a newline or an
// escape sequence in it must not forge a line or repaint an operator's terminal.
// Bytes of 0x80 and above stay: they are UTF-8 in names.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    escape_control_characters(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedMessage>(); }
};

// "<N>" with the record's syslog priority, the prefix the journal reads from a
// service's stderr (sd-daemon(3)).
class SyslogPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    int priority = 6;  // info
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: priority = 7; break;
      case spdlog::level::info: priority = 6; break;
      case spdlog::level::warn: priority = 4; break;
      case spdlog::level::err: priority = 3; break;
      case spdlog::level::critical: priority = 2; break;
      default: break;
    }
    char text[4] = {'<', static_cast<char>('0' + priority), '>', 0};
    dest.append(text, text + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriority>(); }
};

spdlog::sink_ptr with_escaping(spdlog::sink_ptr sink, bool for_journal = false) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<EscapedMessage>('*').add_flag<SyslogPriority>('P');
  formatter->set_pattern(for_journal ? "%P[%n] %*" : "[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %*");
  sink->set_formatter(std::move(formatter));
  return sink;
}

std::mutex g_mutex;
std::vector<spdlog::sink_ptr> g_sinks;
spdlog::level::level_enum g_level = spdlog::level::info;
}  // namespace

void escape_control_characters(std::string_view text, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b != 0x7f) {
      out.push_back(c);
      continue;
    }
    const char* named = b == '\n' ? "\\n" : b == '\r' ? "\\r" : b == '\t' ? "\\t" : nullptr;
    if (named) {
      out.append(named, named + 2);
    } else {
      char hex[4] = {'\\', 'x', kHex[b >> 4], kHex[b & 15]};
      out.append(hex, hex + 4);
    }
  }
}

void init_logging(const std::filesystem::path& file, spdlog::level::level_enum level) {
  std::lock_guard lock(g_mutex);
  g_sinks.clear();
  g_sinks.push_back(with_escaping(std::make_shared<spdlog::sinks::stderr_sink_mt>(), is_journal_stream(STDERR_FILENO)));
  if (!file.empty())
    g_sinks.push_back(with_escaping(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string())));
  g_level = level;
  spdlog::drop_all();
}

std::shared_ptr<spdlog::logger> logger(const std::string& subsystem) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(subsystem)) return existing;
  if (g_sinks.empty()) g_sinks.push_back(with_escaping(std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  auto lg = std::make_shared<spdlog::logger>(subsystem, g_sinks.begin(), g_sinks.end());
  lg->set_level(g_level);
  lg->flush_on(spdlog::level::info);
  spdlog::register_logger(lg);
  return lg;
}

}  // namespace convene
