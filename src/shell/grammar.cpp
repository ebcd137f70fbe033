#include "shell/grammar.h"

#include <algorithm>
#include <set>

#include "util/strings.h"

namespace convene::shell {

Grammar Grammar::from_json(const nlohmann::json& commands) {
  Grammar g;
  if (!commands.is_array()) return g;
  for (auto& c : commands) {
    GrammarEntry e;
    e.words = c.value("words", std::vector<std::string>{});
    e.usage = c.value("usage", "");
    e.help = c.value("help", "");
    if (!e.words.empty()) g.entries_.push_back(std::move(e));
  }
  return g;
}

namespace {
bool has_prefix(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return prefix.size() <= words.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}
}  // namespace

std::string Grammar::help(const std::vector<std::string>& topic) const {
  std::string out;
  if (topic.empty()) {
    std::vector<std::string> nouns;
    for (auto& e : entries_)
      if (std::find(nouns.begin(), nouns.end(), e.words[0]) == nouns.end()) nouns.push_back(e.words[0]);
    out = "Commands (type 'help <noun>' for details):\n";
    for (auto& n : nouns) {
      std::vector<std::string> verbs;
      for (auto& e : entries_)
        if (e.words[0] == n && e.words.size() > 1 && std::find(verbs.begin(), verbs.end(), e.words[1]) == verbs.end())
          verbs.push_back(e.words[1]);
      out += "  " + n + (verbs.empty() ? "" : " " + join(verbs, "|")) + "\n";
    }
    out += "  help [<noun>]\n  exit";
    return out;
  }
  size_t width = 0;
  for (auto& e : entries_)
    if (has_prefix(e.words, topic)) width = std::max(width, join(e.words, " ").size() + 1 + e.usage.size());
  for (auto& e : entries_) {
    if (!has_prefix(e.words, topic)) continue;
    std::string usage = join(e.words, " ") + (e.usage.empty() ? "" : " " + e.usage);
    out += "  " + usage + std::string(width - usage.size() + 2, ' ') + e.help + "\n";
  }
  if (out.empty()) return "No help for '" + join(topic, " ") + "'. Type 'help' for the list of commands.";
  out.pop_back();
  return "Usage:\n" + out;
}

std::vector<std::string> Grammar::completions(const std::vector<std::string>& typed, const std::string& partial) const {
  std::set<std::string> out;
  if (typed.empty() && starts_with("help", partial)) out.insert("help");
  // After "help", complete nouns and verbs as if "help" were not there.
  std::vector<std::string> words = typed;
  if (!words.empty() && words[0] == "help") words.erase(words.begin());
  for (auto& e : entries_)
    if (has_prefix(e.words, words) && e.words.size() > words.size() && starts_with(e.words[words.size()], partial))
      out.insert(e.words[words.size()]);
  return {out.begin(), out.end()};
}

}  // namespace convene::shell
