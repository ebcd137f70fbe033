// mmp — the admin shell. Thin: it renders what convened says and asks what convened
// asks. One-shot (`mmp --node DIR pki list`) or interactive with readline history,
// `help` and tab completion of the grammar the daemon sends, and of the file area's
// names (read from DIR/files directly: whoever may use the socket may list them).
#include <readline/history.h>
#include <readline/readline.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "shell/admin_client.h"
#include "shell/completion.h"
#include "util/strings.h"

using namespace convene;
using namespace convene::shell;

namespace {

// Reads answers from the terminal, or from stdin when it is not one, so that
// `echo Y | mmp --node D database cluster remove` works in scripts.
class StdTerminal : public Terminal {
 public:
  void out(const std::string& text) override { std::printf("%s\n", text.c_str()), std::fflush(stdout); }
  void err(const std::string& text) override { std::fprintf(stderr, "%s\n", text.c_str()); }
  std::optional<std::string> ask(const std::string& text, bool echo) override {
    std::printf("%s", text.c_str());
    if (!text.empty() && text.back() != '\n' && text.back() != ' ') std::printf(echo ? "\n" : ": ");
    std::fflush(stdout);
    bool tty = ::isatty(STDIN_FILENO);
    termios saved{};
    if (!echo && tty) {
      ::tcgetattr(STDIN_FILENO, &saved);
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    bool got = static_cast<bool>(std::getline(std::cin, line));
    if (!echo && tty) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
      std::printf("\n");
    }
    if (!got) return std::nullopt;
    return trim(line);
  }
};

const Grammar* g_grammar = nullptr;
std::filesystem::path g_node_dir;

char* complete_word(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t next;
  if (state == 0) {
    std::string before(rl_line_buffer, static_cast<size_t>(rl_point));
    auto words = split(trim(before), ' ');
    std::erase(words, "");
    // The word being completed is not yet a whole word.
    if (!before.empty() && before.back() != ' ' && !words.empty()) words.pop_back();
    matches = g_grammar ? complete_line(*g_grammar, words, text, [] { return file_area_names(g_node_dir); })
                        : std::vector<std::string>{};
    next = 0;
  }
  return next < matches.size() ? strdup(matches[next++].c_str()) : nullptr;
}

char** complete(const char* text, int, int) {
  // No fallback to readline's own file names (the current directory's): file names
  // come from the node's file area, by complete_line.
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, complete_word);
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

int interactive(const std::string& node, const std::string& socket) {
  auto reply = fetch_grammar(socket);
  if (!reply) {
    std::fprintf(stderr, "ERROR: %s\n  %s\n", reply.error().message.c_str(), reply.error().hint.c_str());
    return 2;
  }
  g_grammar = &reply->grammar;
  g_node_dir = node;
  rl_attempted_completion_function = complete;
  std::string history = std::string(std::getenv("HOME") ? std::getenv("HOME") : ".") + "/.mmp_history";
  read_history(history.c_str());
  std::string prompt = reply->node_name + "> ";
  StdTerminal term;
  while (char* raw = readline(prompt.c_str())) {
    std::string line = trim(raw);
    std::free(raw);
    if (line.empty()) continue;
    add_history(line.c_str());
    auto words = words_of(line);
    if (words[0] == "exit" || words[0] == "quit") break;
    if (words[0] == "help") {
      term.out(reply->grammar.help({words.begin() + 1, words.end()}));
      continue;
    }
    run_remote(socket, words, term);
  }
  write_history(history.c_str());
  return 0;
}

// Exit 2, silently, when the daemon cannot be reached: bash then offers nothing.
int print_completions(const std::string& node, const std::string& socket, std::vector<std::string> words) {
  auto reply = fetch_grammar(socket);
  if (!reply) return 2;
  std::string partial = words.empty() ? "" : words.back();
  if (!words.empty()) words.pop_back();
  for (auto& c : complete_line(reply->grammar, words, partial, [&] { return file_area_names(node); }))
    std::printf("%s\n", c.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mmp — Convene admin shell"};
  const char* env_node = std::getenv("CONVENE_NODE");
  std::string node = env_node ? env_node : "/var/lib/convene";
  app.add_option("--node", node, "node directory of the convened to administer (or $CONVENE_NODE)");
  app.footer("Any words after the options are one command to run, e.g. `mmp --node DIR pki list`;\n"
             "with none, mmp is an interactive shell (help, history, tab completion).");
  // For the bash completion (packaging/mmp.bash-completion): the words typed so far,
  // the last one being completed (possibly ""); prints one candidate a line. Hidden:
  // not for operators.
  bool complete_mode = false;
  app.add_flag("--complete", complete_mode)->group("");
  app.prefix_command();
  CLI11_PARSE(app, argc, argv);
  std::vector<std::string> command = app.remaining();
  if (!command.empty() && command.front() == "--") command.erase(command.begin());

  std::string socket = node + "/mmp.sock";
  if (complete_mode) return print_completions(node, socket, command);
  if (command.empty()) return interactive(node, socket);

  StdTerminal term;
  if (command[0] == "help") {
    auto reply = fetch_grammar(socket);
    if (!reply) {
      term.err("ERROR: " + reply.error().text());
      return 2;
    }
    term.out(reply->grammar.help({command.begin() + 1, command.end()}));
    return 0;
  }
  return static_cast<int>(run_remote(socket, command, term));
}
