#include "xmpp/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "util/files.h"
#include "util/log.h"
#include "util/thread_name.h"
#include "xmpp/xmpp_state.h"

namespace convene::xmpp {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kHeaderBytes = 16;                // u32 length, u32 crc, u64 seq
constexpr uint32_t kMaxRecordBytes = 64u << 20;    // larger lengths are garbage, not records
constexpr int kSnapshotFormat = 1;

// CRC-32 (IEEE 802.3, the polynomial of zlib and gzip), table-driven. Our own 20
// lines rather than zlib's crc32: the xmpp library would otherwise gain a link
// dependency for one function, and the checksum only has to catch torn writes.
uint32_t crc32(const char* data, size_t size, uint32_t crc = 0) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// Little-endian fields, so a log is readable on any machine.
void put(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}
uint64_t get(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void append_record(std::string& out, uint64_t seq, const std::string& payload) {
  std::string seq_bytes;
  put(seq_bytes, seq, 8);
  uint32_t crc = crc32(payload.data(), payload.size(), crc32(seq_bytes.data(), seq_bytes.size()));
  put(out, payload.size(), 4);
  put(out, crc, 4);
  out += seq_bytes;
  out += payload;
}

Error errno_error(const std::string& what, const fs::path& path) {
  return make_error(what + " '" + path.string() + "': " + std::strerror(errno),
                    "Check the disk (space, permissions) of the node directory.");
}

Status write_all(int fd, const std::string& data, const fs::path& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write the XMPP store log", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return ok_status();
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

class LocalStore final : public XmppStore {
 public:
  LocalStore(fs::path dir, LocalStoreOptions options, XmppState state, int fd, uint64_t seq, size_t bytes,
             size_t records)
      : dir_(std::move(dir)), options_(options), state_(std::move(state)), fd_(fd), seq_(seq),
        log_bytes_(bytes), log_records_(records) {
    writer_ = std::thread([this] {
      set_thread_name("xmpp-log");
      writer_loop();
    });
  }

  // Writes what is queued, then stops: a command accepted by submit() is never
  // silently dropped at shutdown.
  ~LocalStore() override {
    {
      std::lock_guard lock(queue_mutex_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_.join();
    ::close(fd_);
  }

  void submit(StoreCommand command, StoreDone done) override {
    std::string payload;
    try {
      payload = command.dump();  // throws on invalid UTF-8 in a string
    } catch (const std::exception& e) {
      done(make_error(std::string("store command cannot be encoded: ") + e.what()));
      return;
    }
    {
      std::lock_guard lock(queue_mutex_);
      queue_.push_back({std::move(command), std::move(payload), std::move(done)});
    }
    queue_cv_.notify_one();
  }

  std::optional<ScramCredentials> credentials(std::string_view user, ScramHash hash) const override {
    return state_.credentials(user, hash);
  }
  bool user_exists(std::string_view user) const override { return state_.user_exists(user); }
  std::vector<std::string> users() const override { return state_.users(); }
  std::vector<RosterItem> roster(std::string_view user) const override { return state_.roster(user); }
  std::optional<RosterItem> roster_item(std::string_view user, std::string_view contact) const override {
    return state_.roster_item(user, contact);
  }
  std::vector<OfflineMessage> offline_messages(std::string_view user) const override {
    return state_.offline_messages(user);
  }
  void on_offline_stored(std::function<void(const std::string& user)> fn) override { offline_.set(std::move(fn)); }
  std::optional<CallBridge> callbridge(std::string_view name) const override { return state_.callbridge(name); }
  std::vector<CallBridge> callbridges() const override { return state_.callbridges(); }
  std::vector<SpaceOccupant> space_occupants(std::string_view name) const override {
    return state_.space_occupants(name);
  }

 private:
  struct Pending {
    StoreCommand command;
    std::string payload;
    StoreDone done;
  };

  void writer_loop() {
    std::vector<Pending> batch;
    for (;;) {
      {
        std::unique_lock lock(queue_mutex_);
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything is written
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
        queue_.clear();
      }
      write_batch(batch);
      batch.clear();
    }
  }

  // One write and one fsync for the whole batch; then the table, then the callers.
  void write_batch(std::vector<Pending>& batch) {
    std::string buffer;
    for (size_t i = 0; i < batch.size(); ++i) append_record(buffer, seq_ + 1 + i, batch[i].payload);
    Status written = write_all(fd_, buffer, log_path());
    if (written && ::fdatasync(fd_) != 0) written = errno_error("cannot flush the XMPP store log", log_path());
    if (!written) {
      // Cut back what may have reached the file, so the next record does not follow
      // a partial one; these commands never happened.
      if (::ftruncate(fd_, static_cast<off_t>(log_bytes_)) != 0)
        logger("xmpp")->error("store: cannot cut the log back after a failed write: {}", std::strerror(errno));
      logger("xmpp")->error("store: {}", written.error().message);
      for (auto& p : batch) p.done(written.error());
      return;
    }
    seq_ += batch.size();
    log_bytes_ += buffer.size();
    log_records_ += batch.size();
    for (auto& p : batch) {
      Status st = state_.apply(p.command);
      if (st && p.command.value("op", "") == "offline.push") offline_.stored(p.command.value("user", ""));
      p.done(std::move(st));
    }
    if (log_bytes_ > options_.compact_bytes || log_records_ > options_.compact_records) {
      if (auto st = compact(); !st) logger("xmpp")->warn("store: compaction failed: {}", st.error().message);
    }
  }

  // Snapshot first, then empty the log: a crash in between leaves records the
  // snapshot already holds, which the next open skips by their sequence numbers.
  Status compact() {
    json snapshot = {{"format", kSnapshotFormat}, {"seq", seq_}, {"state", state_.snapshot()}};
    CONVENE_TRY(write_file_atomic(dir_ / "snapshot.json", snapshot.dump(), 0600));
    if (::ftruncate(fd_, 0) != 0 || ::fdatasync(fd_) != 0)
      return errno_error("cannot empty the XMPP store log", log_path());
    logger("xmpp")->info("store: compacted {} log records ({} bytes) into a snapshot at seq {}", log_records_,
                         log_bytes_, seq_);
    log_bytes_ = 0;
    log_records_ = 0;
    return ok_status();
  }

  fs::path log_path() const { return dir_ / "log"; }

  const fs::path dir_;
  const LocalStoreOptions options_;
  XmppState state_;
  OfflineListener offline_;
  int fd_;
  // Owned by the writer thread once it runs.
  uint64_t seq_;
  size_t log_bytes_, log_records_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace

Result<std::unique_ptr<XmppStore>> open_local_store(const fs::path& dir) { return open_local_store(dir, {}); }

Result<std::unique_ptr<XmppStore>> open_local_store(const fs::path& dir, LocalStoreOptions options) {
  auto log = logger("xmpp");
  CONVENE_TRY(make_dirs(dir, true));

  // 1. The snapshot. A damaged one stops the node: starting empty would silently
  //    lose every user and secret.
  XmppState state;
  uint64_t snapshot_seq = 0;
  fs::path snapshot_path = dir / "snapshot.json";
  std::error_code ec;
  if (fs::exists(snapshot_path, ec)) {
    auto text = read_file(snapshot_path);
    if (!text) return text.error();
    json snapshot = json::parse(*text, nullptr, false);
    auto restored = snapshot.is_object() && snapshot.value("format", 0) == kSnapshotFormat &&
                            snapshot.contains("seq") && snapshot["seq"].is_number_unsigned()
                        ? XmppState::restore(snapshot["state"])
                        : Result<XmppState>(make_error("XMPP store snapshot is damaged: not a snapshot"));
    if (!restored)
      return make_error(restored.error().message + " (" + snapshot_path.string() + ")",
                        "Restore the node from a backup, or move the file away to start with an empty XMPP store.");
    state = std::move(*restored);
    snapshot_seq = snapshot["seq"].get<uint64_t>();
  }

  // 2. The log: replay what the snapshot does not hold; stop at the first record
  //    that is short or fails its checksum (a write torn by a crash) and cut it off.
  fs::path log_path = dir / "log";
  bool log_existed = fs::exists(log_path, ec);
  std::string data;
  if (log_existed) {
    auto text = read_file(log_path);
    if (!text) return text.error();
    data = std::move(*text);
  }
  uint64_t seq = snapshot_seq;
  size_t offset = 0, records = 0, replayed = 0;
  while (offset < data.size()) {
    if (data.size() - offset < kHeaderBytes) break;
    const char* h = data.data() + offset;
    auto length = static_cast<uint32_t>(get(h, 4));
    auto crc = static_cast<uint32_t>(get(h + 4, 4));
    uint64_t record_seq = get(h + 8, 8);
    if (length > kMaxRecordBytes || data.size() - offset - kHeaderBytes < length) break;
    if (crc32(h + kHeaderBytes, length, crc32(h + 8, 8)) != crc) break;
    json command = json::parse(std::string_view(h + kHeaderBytes, length), nullptr, false);
    if (command.is_discarded()) break;
    if (record_seq > seq) {
      // A refusal here is the same refusal its submitter got: the table is
      // deterministic, so the state ends the same.
      (void)state.apply(command);
      seq = record_seq;
      ++replayed;
    }
    offset += kHeaderBytes + length;
    ++records;
  }

  int fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("cannot open the XMPP store log", log_path);
  if (!log_existed) fsync_dir(dir);
  if (offset < data.size()) {
    log->warn("store: dropped a torn record at the end of {} ({} bytes after byte {})", log_path.string(),
              data.size() - offset, offset);
    if (::ftruncate(fd, static_cast<off_t>(offset)) != 0 || ::fdatasync(fd) != 0) {
      Error e = errno_error("cannot cut the torn end of the XMPP store log", log_path);
      ::close(fd);
      return e;
    }
  }
  log->info("store: opened {} (snapshot seq {}, {} log records replayed, seq {})", dir.string(), snapshot_seq,
            replayed, seq);
  return std::unique_ptr<XmppStore>(new LocalStore(dir, options, std::move(state), fd, seq, offset, records));
}

}  // namespace convene::xmpp
