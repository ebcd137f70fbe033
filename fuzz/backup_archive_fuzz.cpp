// A .bak file as `backup rollback` reads it: the operator may be handed one from
// anywhere, so every byte of it is untrusted until it has been authenticated.
// An even first byte: the rest is the file (the header, the KDF bounds, the tag).
// An odd one: the rest is a body sealed under the passphrase first, so the
// manifest and entry checks behind the tag are reached too (each seal runs the
// KDF once: slower runs, deeper code).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backup/backup_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr std::string_view passphrase = "fuzzing passphrase";
  if (data[0] % 2 == 0) {
    (void)convene::backup::decode_backup(rest, passphrase);
    return 0;
  }
  auto sealed = convene::backup::seal_backup_body(rest, passphrase);
  if (sealed) (void)convene::backup::decode_backup(*sealed, passphrase);
  return 0;
}
