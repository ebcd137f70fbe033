#include "tls/tls_context_source.h"

#include "util/log.h"

namespace convene::tls {

Result<std::shared_ptr<TlsContextSource>> TlsContextSource::open(TlsFiles files) {
  auto ctx = make_mutual_tls_context(files);
  if (!ctx) return ctx.error();
  return std::shared_ptr<TlsContextSource>(new TlsContextSource(std::move(files), std::move(*ctx)));
}

Status TlsContextSource::reload() { return replace(this->files()); }

Status TlsContextSource::replace(TlsFiles files) {
  auto ctx = make_mutual_tls_context(files);
  if (!ctx) {
    logger("tls")->warn("certificate reload refused, keeping the current one: {}", ctx.error().message);
    return ctx.error();
  }
  std::lock_guard lock(mutex_);
  files_ = std::move(files);
  ctx_ = std::move(*ctx);
  ++generation_;
  logger("tls")->info("certificate reloaded from {} (generation {})", files_.cert.string(), generation_);
  return ok_status();
}

std::shared_ptr<asio::ssl::context> TlsContextSource::current() const {
  std::lock_guard lock(mutex_);
  return ctx_;
}

TlsFiles TlsContextSource::files() const {
  std::lock_guard lock(mutex_);
  return files_;
}

std::uint64_t TlsContextSource::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace convene::tls
