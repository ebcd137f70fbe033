#pragma once
// Small string helpers shared by the command grammar and the printers.
#include <string>
#include <string_view>
#include <vector>

namespace convene {

std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);

// A status line as the guides print them: the key padded to `width`, then ": value"
// ("Callbridge          : cb1").
std::string key_value_line(const std::string& key, const std::string& value, size_t width);

// Levenshtein distance, for "did you mean" suggestions on mistyped commands.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace convene
