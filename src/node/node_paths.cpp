#include "node/node_paths.h"

#include "util/files.h"

namespace convene {

namespace fs = std::filesystem;

Result<fs::path> NodePaths::file(const std::string& name) const {
  if (!is_plain_file_name(name))
    return make_error("'" + name + "' is not a file name of the file area",
                      "Give the plain name of a file in the file area, without a directory.");
  return files() / name;
}

Result<fs::path> NodePaths::existing_file(const std::string& name) const {
  auto path = file(name);
  if (!path) return path.error();
  std::error_code ec;
  if (!fs::is_regular_file(*path, ec))
    return make_error("file '" + name + "' not found",
                      "Upload it to the file area (" + files().string() + ") with SFTP or scp, or check the name with 'pki list'.");
  return path;
}

Status NodePaths::create() const {
  CONVENE_TRY(make_dirs(dir_, true));
  CONVENE_TRY(make_dirs(files(), true));
  CONVENE_TRY(make_dirs(state(), true));
  CONVENE_TRY(make_dirs(logs(), true));
  return ok_status();
}

}  // namespace convene
