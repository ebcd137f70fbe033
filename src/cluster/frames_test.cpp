#include "cluster/frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace convene::cluster {
namespace {

TEST(FrameBody, DeclaredLengthIsNotAllocatedBeforeTheBytesArrive) {
  FrameBody body(kMaxFrame);  // a peer announces 64 MiB ...
  auto [data, room] = body.next();
  ASSERT_NE(data, nullptr);
  EXPECT_LE(room, FrameBody::kChunk);
  std::memcpy(data, "0123456789", 10);
  body.commit(10);  // ... and sends ten bytes
  EXPECT_LT(body.capacity(), 1u << 20);
  EXPECT_FALSE(body.complete());
}

TEST(FrameBody, AssemblesTheFrameFromChunksOfAnySize) {
  std::string payload(200'000, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  FrameBody body(static_cast<std::uint32_t>(payload.size()));
  size_t at = 0, step = 1;
  while (!body.complete()) {
    auto [data, room] = body.next();
    size_t n = std::min({room, step, payload.size() - at});
    std::memcpy(data, payload.data() + at, n);
    body.commit(n);
    at += n;
    step = step * 3 + 1;  // short reads and long ones
  }
  EXPECT_EQ(body.take(), payload);
}

TEST(FrameBody, EmptyFrameIsCompleteAtOnce) {
  FrameBody body(0);
  EXPECT_TRUE(body.complete());
  EXPECT_EQ(body.take(), "");
}

// Feeds `bytes` to the splitter in reads of `step` bytes; returns the payloads it handed on.
std::vector<std::string> split(FrameSplitter& frames, std::string_view bytes, size_t step) {
  std::vector<std::string> out;
  for (size_t at = 0; at < bytes.size();) {
    auto [data, room] = frames.room();
    size_t n = std::min({room, step, bytes.size() - at});
    std::memcpy(data, bytes.data() + at, n);
    frames.commit(n);
    at += n;
    while (auto payload = frames.next()) out.emplace_back(*payload);
  }
  return out;
}

TEST(FrameSplitter, HandsOnEveryFrameOfOneReadAndKeepsTheirOrder) {
  std::string bytes;
  for (int k = 0; k < 50; ++k) append_frame("message " + std::to_string(k), bytes);
  append_frame("", bytes);
  FrameSplitter frames;
  auto out = split(frames, bytes, bytes.size());  // all in one read
  ASSERT_EQ(out.size(), 51u);
  for (int k = 0; k < 50; ++k) EXPECT_EQ(out[k], "message " + std::to_string(k));
  EXPECT_EQ(out[50], "");
  EXPECT_FALSE(frames.failed());
}

TEST(FrameSplitter, ReassemblesFramesSplitAnywhere) {
  std::vector<std::string> payloads;
  std::string bytes;
  for (int k = 0; k < 40; ++k) {
    payloads.push_back(std::string(static_cast<size_t>(k * k * 97), static_cast<char>('a' + k % 26)));
    append_frame(payloads.back(), bytes);
  }
  payloads.push_back(std::string(300'000, 'z'));  // longer than one read's room
  append_frame(payloads.back(), bytes);
  for (size_t step : {1u, 3u, 4u, 5u, 1000u, 70'000u}) {
    FrameSplitter frames;
    EXPECT_EQ(split(frames, bytes, step), payloads) << "reads of " << step << " bytes";
  }
}

TEST(FrameSplitter, DeclaredLengthIsNotAllocatedBeforeTheBytesArrive) {
  std::string bytes;
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((kMaxFrame >> shift) & 0xff));
  bytes += "0123456789";  // a peer announces 64 MiB and sends ten bytes
  FrameSplitter frames;
  EXPECT_TRUE(split(frames, bytes, bytes.size()).empty());
  EXPECT_FALSE(frames.failed());
  EXPECT_LT(frames.capacity(), 1u << 20);
}

TEST(FrameSplitter, AFrameOverTheLimitFailsTheStream) {
  std::string bytes;
  append_frame("fine", bytes);
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(((kMaxFrame + 1) >> shift) & 0xff));
  append_frame("never handed on", bytes);
  FrameSplitter frames;
  EXPECT_EQ(split(frames, bytes, bytes.size()), std::vector<std::string>{"fine"});
  EXPECT_TRUE(frames.failed());
}

}  // namespace
}  // namespace convene::cluster
