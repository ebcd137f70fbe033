#pragma once
// File helpers with the guarantees an operator relies on: a write either fully
// replaces a file or leaves the old one (write to a temporary, fsync, rename), and
// secrets are created with mode 0600 from the start, never chmod-ed afterwards.
#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene {

Result<std::string> read_file(const std::filesystem::path& path);

// Atomically replaces (or creates) `path` with `content`, created with `mode`.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         unsigned mode = 0644);

// Makes a directory and its parents (mode 0700 for the last one if `private_dir`).
Status make_dirs(const std::filesystem::path& path, bool private_dir = false);

// True when `name` is a plain file name (no directory part, not "." or ".."): the
// file area is flat, like CMS's SFTP area, and commands must not escape it.
bool is_plain_file_name(std::string_view name);

}  // namespace convene
