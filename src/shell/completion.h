#pragma once
// What tab completion offers, in interactive mmp and in the bash completion (which
// asks `mmp --complete`): the grammar's next words, and after a command that takes a
// file of the node's file area, the names in that area.
//
// Which arguments take a file is read from the usage line, by the registry's naming
// convention for placeholders: <file>, <cert>, <key>, <bundle>, or a name ending in
// -file, -cert, -key or -bundle (<csr-file>, <ca-bundle>). A new command whose usage
// follows it completes file names with no change here.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "shell/grammar.h"

namespace convene::shell {

// True if a usage placeholder ("<ca-bundle>", "[<cert>]", "<iface>...") names a file.
bool names_a_file(const std::string& placeholder);

// The placeholder of argument `index` (0 = first after the command's words) in a
// usage line; the last one again if it repeats ("..."), "" past the end.
std::string placeholder_at(const std::string& usage, size_t index);

// The names of the regular files in the node's file area (DIR/files), sorted; none
// if it cannot be read (completion must never fail loudly).
std::vector<std::string> file_area_names(const std::filesystem::path& node_dir);

// Candidates for `partial` after the complete words `typed`. `files` is called only
// when the position takes a file.
std::vector<std::string> complete_line(const Grammar& grammar, const std::vector<std::string>& typed,
                                       const std::string& partial,
                                       const std::function<std::vector<std::string>()>& files);

}  // namespace convene::shell
