#include "dbcluster/master_record.h"

#include <gtest/gtest.h>

namespace convene::dbcluster {
namespace {

// The master's address goes into postgresql.conf (primary_conninfo) on every
// member: a record naming anything but an address is refused, on every member alike.
TEST(MasterRecord, OnlyAnAddressCanBecomeTheMaster) {
  MasterRecord r;
  EXPECT_EQ(r.apply(init_command("127.0.1.1", "t0")), "ok");
  EXPECT_EQ(r.apply(promote_command("127.0.1.2'\nssl = off #", 1, "t1")), "bad");
  EXPECT_EQ(r.apply(init_command("x\\", "t1")), "bad");
  auto v = r.view();
  EXPECT_EQ(v.master, "127.0.1.1");
  EXPECT_EQ(v.epoch, 1u);
  EXPECT_EQ(r.apply(promote_command("127.0.1.2", 1, "t2")), "ok");
  EXPECT_EQ(r.view().master, "127.0.1.2");
}

}  // namespace
}  // namespace convene::dbcluster
