#pragma once
// Big-endian encoding of the small binary messages cluster members exchange
// (connection hello, RPC frames). Pure functions, any thread.
#include <cstdint>
#include <string>
#include <string_view>

namespace convene::cluster::wire {

class Writer {
 public:
  Writer& u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); return *this; }
  Writer& u16(std::uint16_t v) { return be(v, 2); }
  Writer& u32(std::uint32_t v) { return be(v, 4); }
  Writer& u64(std::uint64_t v) { return be(v, 8); }
  // A length-prefixed (u32) byte string.
  Writer& bytes(std::string_view s) { u32(static_cast<std::uint32_t>(s.size())); out_.append(s); return *this; }
  Writer& raw(std::string_view s) { out_.append(s); return *this; }
  // Room for `n` more bytes, when the size is known ahead (one allocation).
  Writer& reserve(size_t n) { out_.reserve(out_.size() + n); return *this; }
  std::string take() { return std::move(out_); }

 private:
  Writer& be(std::uint64_t v, int n) {
    char b[8];  // one append, not one push_back (and capacity check) per byte
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>((v >> (8 * (n - 1 - i))) & 0xff);
    out_.append(b, static_cast<size_t>(n));
    return *this;
  }
  std::string out_;
};

// Reads from a view; any read past the end sets !ok() and returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(be(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() { return be(8); }
  std::string bytes() {
    std::uint32_t n = u32();
    if (!ok_ || in_.size() - pos_ < n) { ok_ = false; return {}; }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::uint64_t be(int n) {
    if (!ok_ || in_.size() - pos_ < static_cast<size_t>(n)) { ok_ = false; return 0; }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in_[pos_++]);
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace convene::cluster::wire
