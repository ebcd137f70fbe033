#include "cluster/frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

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

}  // namespace
}  // namespace convene::cluster
