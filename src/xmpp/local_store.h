#pragma once
// The XMPP store of a standalone node: the XmppState table kept durable by an
// append-only command log in the node's state directory (fsync before `done`),
// compacted into a snapshot when it grows. Survives kill -9: a torn last record
// is detected by its checksum and dropped, since its `done` never ran.
//
// Files in `dir`: `log` (records: u32 length, u32 CRC-32 of seq+payload, u64 seq,
// payload = the command as JSON) and `snapshot.json` ({"format":1,"seq":S,
// "state":...}: the table after every command up to seq S). Both mode 0600: they
// hold call-bridge secrets.
//
// Commands are written by one writer thread in submission order; it takes every
// command queued while the previous fsync ran and writes them with one fsync
// (group commit), then applies them to the table and runs their `done` callbacks.
// Like a Raft log, every command is logged, even one the table will refuse: the
// table is deterministic, so a replay refuses it again and ends in the same state.
#include <cstddef>
#include <filesystem>
#include <memory>

#include "xmpp/store.h"

namespace convene::xmpp {

struct LocalStoreOptions {
  // Compact (snapshot, then empty the log) when the log holds more than this.
  size_t compact_bytes = 4 * 1024 * 1024;
  size_t compact_records = 10'000;
};

Result<std::unique_ptr<XmppStore>> open_local_store(const std::filesystem::path& dir);
Result<std::unique_ptr<XmppStore>> open_local_store(const std::filesystem::path& dir, LocalStoreOptions options);

}  // namespace convene::xmpp
