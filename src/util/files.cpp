#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/random.h"
#include "util/safe_files.h"

namespace convene {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return make_error("file '" + path.filename().string() + "' not found");
    return make_error("cannot read '" + path.filename().string() + "': " + std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

static Status errno_error(const std::string& what, const fs::path& path) {
  return make_error(what + " '" + path.string() + "': " + std::strerror(errno));
}

// A fresh temporary next to `path`: O_EXCL|O_NOFOLLOW, so a name planted in
// advance (a symlink to a file elsewhere, in a directory another user may write,
// such as PostgreSQL's) is never followed or truncated; a random suffix, so such a
// plant cannot even make the write fail.
static Result<std::pair<int, fs::path>> create_temporary(const fs::path& path, unsigned mode) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    fs::path tmp = path;
    tmp += ".tmp-" + std::to_string(::getpid()) + "-" + random_id(12);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return std::pair{fd, tmp};
    if (errno != EEXIST) {
      Status st = errno_error("cannot create", tmp);
      return st.error();
    }
  }
  return make_error("cannot create a temporary file next to '" + path.string() + "': every name tried exists");
}

Status write_file_atomic(const fs::path& path, std::string_view content, unsigned mode) {
  return write_file_atomic(path, content, mode, FileOwner{::geteuid(), ::getegid()});
}

Status write_file_atomic(const fs::path& path, std::string_view content, unsigned mode, const FileOwner& owner) {
  auto created = create_temporary(path, mode);
  if (!created) return created.error();
  auto [fd, tmp] = *created;
  if ((owner.uid != ::geteuid() || owner.gid != ::getegid()) && ::fchown(fd, owner.uid, owner.gid) != 0) {
    Status st = errno_error("cannot give the owner of", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::fchmod(fd, mode);  // umask may have narrowed it; never widened beyond `mode`
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = errno_error("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status st = errno_error("cannot flush", tmp);
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = errno_error("cannot rename into", path);
    ::unlink(tmp.c_str());
    return st;
  }
  // Make the rename itself durable.
  int dfd = ::open(path.has_parent_path() ? path.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ok_status();
}

Status make_dirs(const fs::path& path, bool private_dir) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return make_error("cannot create directory '" + path.string() + "': " + ec.message());
  if (private_dir) ::chmod(path.c_str(), 0700);
  return ok_status();
}

bool is_plain_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace convene
