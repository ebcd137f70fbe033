#pragma once
// The manual pages (roff, section 1) of convened, mmp and convene-callbridge, made
// from the command registry at build time (apps/manpages.cpp), so the commands they
// list are the commands the daemon serves and `mmp help` shows: nothing to keep in
// step by hand.
#include <optional>
#include <string>
#include <vector>

#include "admin/command_registry.h"

namespace convene {

// The pages this renderer knows: "convened", "mmp", "convene-callbridge".
const std::vector<std::string>& manual_page_names();

// The page's roff text, or nullopt for a name not in manual_page_names().
std::optional<std::string> render_manual_page(const std::string& name, const CommandRegistry& registry);

// Text made safe for roff: backslashes, a leading '.' or '\'', and '-' (as \-, so
// that `man` shows and searches a real hyphen-minus).
std::string roff_escape(const std::string& text);

}  // namespace convene
