#include "cluster/entry_framing.h"

#include "cluster/wire.h"

namespace convene::cluster {

std::string frame_command(std::string_view command) {
  std::string out = wire::Writer().u64(command.size()).raw(command).take();
  out.resize((out.size() + 7) / 8 * 8, '\0');
  return out;
}

std::optional<std::string_view> unframe_command(std::string_view entry) {
  if (entry.size() < 8 || entry.size() % 8 != 0) return std::nullopt;
  wire::Reader reader(entry.substr(0, 8));
  std::uint64_t length = reader.u64();
  if (length > entry.size() - 8 || entry.size() - 8 - length >= 8) return std::nullopt;
  return entry.substr(8, length);
}

}  // namespace convene::cluster
