#pragma once
// The browser side's files (the meeting client at /meet and the XMPP library it
// loads), served read-only from one directory, without a session: the meeting
// client authenticates over XMPP, not to the web admin.
//
// Where the directory is: next to the binary, as the build and the package lay it
// out (`<dir of convened>/../share/convene/web`: build/share/... in a build tree,
// /usr/share/... from the Debian package), so neither a build nor an install needs
// a setting. The build copies web/meet/ and the library from web/node_modules there
// (cmake/web_assets.cmake).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "web/http_message.h"

namespace convene::web {

// The served tree's directory for the running binary (it may not exist).
std::filesystem::path web_files_directory();

// The file under the served tree a request path names, or nothing when the path is
// not one of ours: "/meet/" is meet/index.html, "/meet/NAME" is meet/NAME where NAME
// is one plain file name (letters, digits, '.', '-', '_'; no leading dot). "/meet"
// alone answers with a redirect (see serve_static_file).
std::optional<std::string> static_file_name(std::string_view path);

// Its media type by extension ("application/octet-stream" when unknown).
std::string static_content_type(std::string_view file_name);

// True when the path belongs to the served tree (then serve_static_file answers it).
bool is_static_path(std::string_view path);

// The answer for a static path: the file (GET/HEAD), 301 from "/meet" to "/meet/",
// 404 for a name that is not there, 405 for other methods, 503 saying where the
// files were looked for when the tree is not installed.
HttpResponse serve_static_file(const std::filesystem::path& root, const HttpRequest& request);

}  // namespace convene::web
