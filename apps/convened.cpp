// convened — the node daemon. Thin main: parse the command line, open the node
// directory, serve the admin socket, stop cleanly on SIGTERM/SIGINT.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "admin/admin_server.h"
#include "admin/command_registry.h"
#include "admin/daemon.h"
#include "node/node.h"
#include "util/log.h"
#include "web/web_admin.h"
#include "web/webadmin_config.h"

using namespace convene;

int main(int argc, char** argv) {
  CLI::App app{"convened — Convene node daemon"};
  std::string dir, name, level = "info";
  std::vector<std::string> ifaces;
  app.add_option("--dir", dir, "node directory (config, files, state, logs)")->required();
  app.add_option("--iface", ifaces, "interface binding NAME=ADDRESS, e.g. a=127.0.1.1 (repeatable)");
  app.add_option("--name", name, "node name shown in the shell prompt (default: directory name)");
  app.add_option("--log-level", level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  // Signals are taken synchronously by the main thread (sigwait below); every
  // thread started later inherits the mask. SIGPIPE is ignored: a peer that dies
  // mid-write (a raft peer, a client) must not kill the node.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto fail = [](const Error& e) {
    std::fprintf(stderr, "convened: %s\n", e.text().c_str());
    return 1;
  };

  Node::Options options;
  options.dir = dir;
  options.name = name;
  for (auto& text : ifaces) {
    auto binding = Interfaces::parse_binding(text);
    if (!binding) return fail(binding.error());
    if (auto st = Interfaces::check_local(binding->second); !st) return fail(st.error());
    if (auto st = options.interfaces.add(binding->first, binding->second); !st) return fail(st.error());
  }
  auto node = Node::open(std::move(options));
  if (!node) return fail(node.error());

  init_logging((*node)->paths().logs() / "convened.log", spdlog::level::from_str(level));
  auto log = logger("node");

  auto daemon = Daemon::open(**node);
  if (!daemon) return fail(daemon.error());
  CommandRegistry registry;
  register_all_commands(registry);
  // The web admin sits above the command layer: its commands are registered here,
  // next to the object they drive.
  web::WebAdmin webadmin(**daemon, registry);
  web::register_webadmin_commands(registry, &webadmin);
  web::register_user_commands(registry);
  AdminServer admin(**daemon, registry);
  if (auto st = admin.start(); !st) return fail(st.error());
  if (web::webadmin_config((*node)->config()).enabled)
    if (auto st = webadmin.start(); !st) logger("web")->error("web admin not started: {}", st.error().text());
  log->info("node '{}' ready in {}; admin socket {}", (*node)->name(), (*node)->paths().dir().string(),
            (*node)->paths().admin_socket().string());

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log->info("signal {} received, shutting down", sig);
  admin.stop();
  webadmin.stop();
  (*daemon)->stop();
  log->info("stopped");
  return 0;
}
