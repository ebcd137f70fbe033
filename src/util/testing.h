#pragma once
// Test-only helper: a fresh directory per test under $CONVENE_TEST_TMP (set by
// CTest to the build tree) or /tmp, removed when the test ends.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace convene::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("CONVENE_TEST_TMP");
    std::filesystem::path root = base ? base : "/tmp";
    std::filesystem::create_directories(root);
    std::string pattern = (root / "convene-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace convene::testing
