#include "xmpp_core/stringprep.h"

#include <stringprep.h>

#include <cstdlib>
#include <memory>

namespace convene::xmpp {

namespace {

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

Result<std::string> run_profile(std::string_view text, const char* profile, std::string_view what) {
  if (text.find('\0') != std::string_view::npos) return make_error(std::string(what) + " holds a NUL character");
  std::string in(text);
  char* out = nullptr;
  int rc = stringprep_profile(in.c_str(), &out, profile, STRINGPREP_NO_UNASSIGNED);
  std::unique_ptr<char, void (*)(void*)> owner(out, std::free);
  if (rc != STRINGPREP_OK)
    return make_error(std::string(what) + " is not allowed by " + profile + ": " + stringprep_strerror(Stringprep_rc(rc)));
  return std::string(out);
}

}  // namespace

Result<std::string> nodeprep(std::string_view text) {
  if (is_ascii(text)) {
    // Nodeprep on ASCII: upper case maps to lower case; controls, space and
    // " & ' / : < > @ are prohibited.
    std::string out(text);
    for (char& c : out) {
      switch (c) {
        case '"': case '&': case '\'': case '/': case ':': case '<': case '>': case '@': case ' ':
          return make_error(std::string("the name may not contain '") + c + "'");
        default:
          if (is_control(c)) return make_error("the name may not contain control characters");
          if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      }
    }
    return out;
  }
  return run_profile(text, "Nodeprep", "the name");
}

Result<std::string> saslprep(std::string_view text) {
  if (is_ascii(text)) {
    // SASLprep on ASCII changes nothing and prohibits only the controls.
    for (char c : text)
      if (is_control(c)) return make_error("the password may not contain control characters");
    return std::string(text);
  }
  return run_profile(text, "SASLprep", "the password");
}

}  // namespace convene::xmpp
