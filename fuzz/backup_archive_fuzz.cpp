// A .bak file as `backup rollback` reads it: the operator may be handed one from
// anywhere, so every byte of it is untrusted until it has been authenticated.
#include <cstddef>
#include <cstdint>
#include <string>

#include "backup/backup_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)convene::backup::decode_backup(bytes);
  return 0;
}
