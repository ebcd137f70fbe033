#pragma once
// How a command is laid out in a raft log entry: an 8-byte big-endian length,
// the command's bytes, then zeros up to a multiple of 8.
//
// Why: raft 0.15's disk loader reads an open segment's batches as if every
// entry's data were a multiple of 8 bytes long, while its writer pads them. An
// entry of any other length makes the loader see the next batch as corrupt and
// truncate the log there when the node restarts after a crash (kill -9): every
// later entry — membership changes included — was lost on that node, which then
// elected itself leader of a one-member cluster (measured). Entries
// whose data is 8-aligned load whole.
#include <optional>
#include <string>
#include <string_view>

namespace convene::cluster {

std::string frame_command(std::string_view command);
// The command inside `entry`, or nothing when `entry` is not a framed command.
std::optional<std::string_view> unframe_command(std::string_view entry);

}  // namespace convene::cluster
