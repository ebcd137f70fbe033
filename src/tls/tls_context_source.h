#pragma once
// The current mutual-TLS context of a service, replaceable at run time (live
// certificate rotation): connections take current() when they start
// and keep that context for their lifetime; reload() builds a new context from
// the files and, only if that succeeds, makes it current. A failed reload keeps
// the old context and says what is wrong with the new files.
//
// Thread safety: every method may be called from any thread.
#include <cstdint>
#include <memory>
#include <mutex>

#include "tls/tls_context.h"

namespace convene::tls {

class TlsContextSource {
 public:
  static Result<std::shared_ptr<TlsContextSource>> open(TlsFiles files);

  // Re-reads the same paths (files replaced in place, ideally by rename).
  Status reload();
  // Switches to other files; on failure nothing changes.
  Status replace(TlsFiles files);

  std::shared_ptr<asio::ssl::context> current() const;
  TlsFiles files() const;
  // Incremented by every successful reload/replace; starts at 1.
  std::uint64_t generation() const;

 private:
  TlsContextSource(TlsFiles files, std::shared_ptr<asio::ssl::context> ctx)
      : files_(std::move(files)), ctx_(std::move(ctx)) {}

  mutable std::mutex mutex_;
  TlsFiles files_;
  std::shared_ptr<asio::ssl::context> ctx_;
  std::uint64_t generation_ = 1;
};

}  // namespace convene::tls
