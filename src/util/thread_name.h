#pragma once
// Names the calling thread, as `top -H`, `ps -L`, gdb and /proc/PID/task/*/comm
// show it. Every thread a convened starts is named; docs/architecture.md lists
// the names (its thread table), and a test compares a running node with it.
#include <string_view>

namespace convene {

// Linux keeps at most 15 characters; longer names are cut.
void set_thread_name(std::string_view name);

}  // namespace convene
