#include "util/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <vector>

namespace convene {

namespace {
std::mutex g_mutex;
std::vector<spdlog::sink_ptr> g_sinks;
spdlog::level::level_enum g_level = spdlog::level::info;
}  // namespace

void init_logging(const std::filesystem::path& file, spdlog::level::level_enum level) {
  std::lock_guard lock(g_mutex);
  g_sinks.clear();
  g_sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!file.empty()) g_sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string()));
  g_level = level;
  spdlog::drop_all();
}

std::shared_ptr<spdlog::logger> logger(const std::string& subsystem) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(subsystem)) return existing;
  if (g_sinks.empty()) g_sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto lg = std::make_shared<spdlog::logger>(subsystem, g_sinks.begin(), g_sinks.end());
  lg->set_level(g_level);
  lg->flush_on(spdlog::level::info);
  spdlog::register_logger(lg);
  return lg;
}

}  // namespace convene
