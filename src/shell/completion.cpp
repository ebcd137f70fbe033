#include "shell/completion.h"

#include <algorithm>
#include <sstream>

#include "util/strings.h"

namespace convene::shell {

namespace {
bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "[<ca-bundle>]" or "<iface>..." -> "ca-bundle", "iface"; a literal word stays.
std::string bare(std::string token) {
  std::erase_if(token, [](char c) { return c == '[' || c == ']' || c == '<' || c == '>' || c == '.'; });
  return token;
}

std::vector<std::string> usage_tokens(const std::string& usage) {
  std::vector<std::string> tokens;
  std::istringstream in(usage);
  for (std::string t; in >> t;) tokens.push_back(t);
  return tokens;
}
}  // namespace

bool names_a_file(const std::string& placeholder) {
  // Only a <...> placeholder: "on|off" or "force" are words to type, not files.
  if (placeholder.find('<') == std::string::npos) return false;
  std::string name = bare(placeholder);
  for (const char* exact : {"file", "cert", "key", "bundle"})
    if (name == exact) return true;
  for (const char* suffix : {"-file", "-cert", "-key", "-bundle"})
    if (ends_with(name, suffix)) return true;
  return false;
}

std::string placeholder_at(const std::string& usage, size_t index) {
  auto tokens = usage_tokens(usage);
  if (index < tokens.size()) return tokens[index];
  if (!tokens.empty() && tokens.back().find("...") != std::string::npos) return tokens.back();
  return "";
}

std::vector<std::string> file_area_names(const std::filesystem::path& node_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(node_dir / "files", ec), end;
  for (; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> complete_line(const Grammar& grammar, const std::vector<std::string>& typed,
                                       const std::string& partial,
                                       const std::function<std::vector<std::string>()>& files) {
  auto words = grammar.completions(typed, partial);
  if (!words.empty()) return words;
  // The longest command that the typed words start with: its arguments follow.
  const GrammarEntry* command = nullptr;
  for (auto& e : grammar.entries())
    if (e.words.size() <= typed.size() && std::equal(e.words.begin(), e.words.end(), typed.begin()) &&
        (!command || e.words.size() > command->words.size()))
      command = &e;
  if (!command || !names_a_file(placeholder_at(command->usage, typed.size() - command->words.size()))) return {};
  std::vector<std::string> out;
  for (auto& name : files())
    if (starts_with(name, partial)) out.push_back(name);
  return out;
}

}  // namespace convene::shell
