#include "admin/manual_pages.h"

#include <algorithm>

#include "util/strings.h"

namespace convene {

std::string roff_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

namespace {

std::string header(const std::string& name, const std::string& summary) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  // No date: the page is the same for the same registry, so builds reproduce.
  return ".TH " + roff_escape(upper) + " 1 \"\" \"Convene\" \"Convene manual\"\n.SH NAME\n" + roff_escape(name) +
         " \\- " + roff_escape(summary) + "\n";
}

std::string option(const std::string& flags, const std::string& text) {
  return ".TP\n" + roff_escape(flags) + "\n" + roff_escape(text) + "\n";
}

// Each registered command under `nouns` (all of them when empty), one .TP entry:
// the words in bold, the arguments in italics, the help line below. The order is the
// registry's, which groups each noun's commands together.
std::string command_list(const CommandRegistry& registry, const std::vector<std::string>& nouns) {
  std::string out;
  std::string current_noun;
  for (auto& spec : registry.all()) {
    const std::string& noun = spec.words.front();
    if (!nouns.empty() && std::find(nouns.begin(), nouns.end(), noun) == nouns.end()) continue;
    if (noun != current_noun) {
      out += ".SS " + roff_escape(noun) + "\n";
      current_noun = noun;
    }
    out += ".TP\n\\fB" + roff_escape(join(spec.words, " ")) + "\\fR";
    if (!spec.usage.empty()) out += " \\fI" + roff_escape(spec.usage) + "\\fR";
    out += "\n" + roff_escape(spec.help.empty() ? "(no description)" : spec.help) + "\n";
  }
  return out;
}

const char* kFiles =
    ".SH FILES\n"
    ".TP\n\\fIDIR\\fR/config.json\nconfiguration, one section per subsystem\n"
    ".TP\n\\fIDIR\\fR/files/\nthe file area: keys, certificates, requests, backups; commands name files by their "
    "name here\n"
    ".TP\n\\fIDIR\\fR/logs/\nconvened.log and the call bridge's logs (rotated by /etc/logrotate.d/convene)\n"
    ".TP\n\\fIDIR\\fR/mmp.sock\nthe admin socket (mode 0600)\n";

std::string convened_page(const CommandRegistry& registry) {
  return header("convened", "Convene node daemon") +
         ".SH SYNOPSIS\n\\fBconvened\\fR \\fB\\-\\-dir\\fR \\fIDIR\\fR [\\fB\\-\\-iface\\fR \\fINAME\\fR=\\fIADDRESS\\fR]... "
         "[\\fB\\-\\-name\\fR \\fINAME\\fR] [\\fB\\-\\-log\\-level\\fR \\fILEVEL\\fR]\n"
         ".SH DESCRIPTION\nconvened runs one node of a Convene meeting server: XMPP service, database cluster agent, "
         "call bridge supervisor. It owns one node directory and serves the admin socket that \\fBmmp\\fR(1) talks "
         "to; every setting is made with the commands listed below. SIGTERM or SIGINT stop it cleanly.\n"
         "Under systemd (JOURNAL_STREAM set) its log lines go to the journal with their priority, and to "
         "\\fIDIR\\fR/logs/convened.log.\n"
         ".SH OPTIONS\n" +
         option("--dir DIR", "node directory (config, files, state, logs); made if missing") +
         option("--iface NAME=ADDRESS", "interface binding, e.g. a=10.0.0.5 (repeatable)") +
         option("--name NAME", "node name shown in the shell prompt (default: the directory's name)") +
         option("--log-level LEVEL", "trace, debug, info, warn or error (default: info)") +
         ".SH COMMANDS\nThe admin commands this daemon serves (run them with \\fBmmp\\fR(1)):\n" +
         command_list(registry, {}) + kFiles + ".SH SEE ALSO\n\\fBmmp\\fR(1), \\fBconvene\\-callbridge\\fR(1)\n";
}

std::string mmp_page(const CommandRegistry& registry) {
  return header("mmp", "Convene admin shell") +
         ".SH SYNOPSIS\n\\fBmmp\\fR [\\fB\\-\\-node\\fR \\fIDIR\\fR] [\\fICOMMAND\\fR [\\fIARGUMENT\\fR]...]\n"
         ".SH DESCRIPTION\nmmp administers the \\fBconvened\\fR(1) of a node directory through its admin socket. "
         "With a command it runs it once; with none it is an interactive shell with history, \\fBhelp\\fR and tab "
         "completion (command words, and file-area names where a command takes a file).\n"
         ".SH OPTIONS\n" +
         option("--node DIR", "node directory of the convened to administer (default: $CONVENE_NODE, else "
                              "/var/lib/convene)") +
         ".SH COMMANDS\n" + command_list(registry, {}) +
         ".SH SHELL COMMANDS\n.TP\n\\fBhelp\\fR [\\fInoun\\fR]\nthe commands, or those of one noun\n"
         ".TP\n\\fBexit\\fR, \\fBquit\\fR\nleave the interactive shell\n"
         ".SH EXIT STATUS\n0 the command succeeded; 1 it failed or was not confirmed; 2 the daemon could not be "
         "reached.\n"
         ".SH ENVIRONMENT\n.TP\nCONVENE_NODE\nthe node directory when \\-\\-node is not given\n" +
         kFiles + ".SH SEE ALSO\n\\fBconvened\\fR(1), \\fBconvene\\-callbridge\\fR(1)\n";
}

std::string callbridge_page(const CommandRegistry& registry) {
  return header("convene-callbridge", "Convene call bridge (XMPP component)") +
         ".SH SYNOPSIS\n\\fBconvene\\-callbridge\\fR \\fB\\-\\-name\\fR \\fINAME\\fR \\fB\\-\\-domain\\fR "
         "\\fIDOMAIN\\fR \\fB\\-\\-secret\\-file\\fR \\fIFILE\\fR \\fB\\-\\-db\\fR \\fIFILE\\fR "
         "\\fB\\-\\-status\\-file\\fR \\fIFILE\\fR [\\fIOPTION\\fR]...\n"
         ".SH DESCRIPTION\nThe call bridge is an XEP\\-0114 component holding meeting spaces. convened starts and "
         "supervises it once \\fBcallbridge enable\\fR is run; it is seldom started by hand. Configure it with the "
         "commands below.\n"
         ".SH OPTIONS\n" +
         option("--name NAME", "unique call bridge name, without the domain") +
         option("--domain DOMAIN", "the XMPP domain") +
         option("--server HOST:PORT", "the one XMPP server to use; omitted: servers found by DNS SRV") +
         option("--dns HOST:PORT", "DNS server to ask instead of the system's resolver") +
         option("--secret-file FILE", "file holding the component's shared secret") +
         option("--tls-trust FILE", "CA bundle: use STARTTLS and verify the server against it") +
         option("--db FILE", "SQLite file of the meeting spaces") +
         option("--pg-conninfo-file FILE", "PostgreSQL connection file: keep the spaces in the database cluster") +
         option("--status-file FILE", "JSON status, rewritten atomically on every change") +
         option("--log FILE", "log file (besides stderr)") +
         option("--standby", "wait as a standby: connect only when the serving bridge is gone") +
         ".SH COMMANDS\nThe admin commands that configure call bridges (run them with \\fBmmp\\fR(1)):\n" +
         command_list(registry, {"callbridge"}) + ".SH SEE ALSO\n\\fBconvened\\fR(1), \\fBmmp\\fR(1)\n";
}

}  // namespace

const std::vector<std::string>& manual_page_names() {
  static const std::vector<std::string> names{"convened", "mmp", "convene-callbridge"};
  return names;
}

std::optional<std::string> render_manual_page(const std::string& name, const CommandRegistry& registry) {
  if (name == "convened") return convened_page(registry);
  if (name == "mmp") return mmp_page(registry);
  if (name == "convene-callbridge") return callbridge_page(registry);
  return std::nullopt;
}

}  // namespace convene
