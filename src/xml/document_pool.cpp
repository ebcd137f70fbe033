#include "xml/document_pool.h"

#include <vector>

namespace convene::xml {

namespace {
std::vector<std::unique_ptr<Document>>& spares_here() {
  thread_local std::vector<std::unique_ptr<Document>> spares;
  return spares;
}
}  // namespace

std::unique_ptr<Document> DocumentPool::take() {
  auto& spares = spares_here();
  if (spares.empty()) return std::make_unique<Document>();
  auto doc = std::move(spares.back());
  spares.pop_back();
  return doc;
}

void DocumentPool::give(std::unique_ptr<Document> doc) {
  if (!doc) return;
  auto& spares = spares_here();
  if (spares.size() >= kSparesPerThread) return;  // freed here
  if (doc->arena().capacity() > kKeepBytes) {
    doc->release_memory();
  } else {
    doc->clear();
  }
  spares.push_back(std::move(doc));
}

size_t DocumentPool::spares() { return spares_here().size(); }

}  // namespace convene::xml
