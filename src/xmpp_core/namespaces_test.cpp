#include "xmpp_core/namespaces.h"

#include <gtest/gtest.h>

#include "xml/serializer.h"

namespace convene::xmpp {
namespace {

// The XML layer keeps its own copy of the streams namespace (it sits below
// xmpp_core); both must spell it the same.
static_assert(kStreamsNs == xml::kStreamsNs);

TEST(Namespaces, StreamsNamespaceMatchesTheXmlLayer) { EXPECT_EQ(kStreamsNs, xml::kStreamsNs); }

}  // namespace
}  // namespace convene::xmpp
