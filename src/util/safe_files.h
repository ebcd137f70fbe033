#pragma once
// File operations for directories another account controls (PostgreSQL's, and
// the operator's file area a snapshot reads): root writes there as that account,
// and reads there only regular files, never through a link. The companions of
// files.h's write_file_atomic (same temporary, same rename).
#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.h"

namespace convene {

// write_file_atomic, the file owned by `uid`:`gid` from before its first byte: the
// temporary is fchown-ed, never the final name, so a root writer in a directory
// another account controls (PostgreSQL's) never changes the owner of a file that
// account planted there.
struct FileOwner {
  unsigned uid = 0;
  unsigned gid = 0;
};
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode,
                         const FileOwner& owner);

// Reads `path` only when it is a regular file and not a symbolic link (lstat
// before, O_NOFOLLOW when opening, fstat after): a link planted in a directory
// root reads from is refused, not followed.
Result<std::string> read_regular_file(const std::filesystem::path& path);

}  // namespace convene
