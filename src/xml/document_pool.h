#pragma once
// Each thread's spare Documents, so a connection holds one only while it builds
// or parses a stanza.
//
// Why: every connection used to own two Documents (its parser's and a scratch one
// for replies), each keeping a 4 KiB arena block for as long as the connection
// lived. A thread handles one stanza at a time, so a handful of spares serve all
// of its connections, and an idle connection holds none (the benchmarks measure RSS per idle
// connection; the blocks were also the holes that kept freed pages resident).
//
// Contract: take() and give() on the same thread a Document is used on; a
// Document taken on one thread may be given back on any live thread. A Document
// still held when its owner dies is simply deleted (never given back from a
// destructor that may run after the thread's pool is gone).
#include <memory>

#include "xml/element.h"

namespace convene::xml {

class DocumentPool {
 public:
  static constexpr size_t kSparesPerThread = 8;
  static constexpr size_t kKeepBytes = 16 * 1024;  // a spare keeps at most this much arena

  // An empty Document: one of this thread's spares, or a new one.
  static std::unique_ptr<Document> take();
  // Back to this thread's spares (emptied), or freed when there are enough.
  static void give(std::unique_ptr<Document> doc);
  static size_t spares();  // on this thread (tests)
};

// A Document borrowed from the pool for one scope (building a reply).
class PooledDocument {
 public:
  PooledDocument() : doc_(DocumentPool::take()) {}
  ~PooledDocument() { DocumentPool::give(std::move(doc_)); }
  PooledDocument(const PooledDocument&) = delete;
  PooledDocument& operator=(const PooledDocument&) = delete;

  Document& operator*() { return *doc_; }
  Document* operator->() { return doc_.get(); }

 private:
  std::unique_ptr<Document> doc_;
};

}  // namespace convene::xml
