// convene-manpages — writes the manual pages (roff) of convened, mmp and
// convene-callbridge from the command registry: run by the build (apps/CMakeLists.txt),
// so the installed pages list exactly the commands the daemon serves.
#include <cstdio>
#include <fstream>
#include <string>

#include "admin/command_registry.h"
#include "admin/manual_pages.h"
#include "web/web_admin.h"

using namespace convene;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "ERROR: expected one argument, the output directory\n  Usage: convene-manpages DIR\n");
    return 2;
  }
  CommandRegistry registry;
  register_all_commands(registry);
  // As convened registers them: the web admin's commands sit above the command layer.
  // No WebAdmin here: the pages need only the commands' words and usage.
  web::register_webadmin_commands(registry, nullptr);
  web::register_user_commands(registry);
  for (auto& name : manual_page_names()) {
    std::string path = std::string(argv[1]) + "/" + name + ".1";
    std::ofstream out(path, std::ios::trunc);
    out << *render_manual_page(name, registry);
    if (!out.flush()) {
      std::fprintf(stderr, "ERROR: cannot write %s\n  Check that the directory exists and is writable.\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
