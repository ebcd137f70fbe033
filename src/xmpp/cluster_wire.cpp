#include "xmpp/cluster_wire.h"

#include "cluster/wire.h"

namespace convene::xmpp {

namespace wire = cluster::wire;

std::string encode(const RouterMessage& m) {
  wire::Writer w;
  w.reserve(96 + m.jid.size() + m.stanza.size() + 8 * m.seqs.size());  // a stanza's or a confirmation's whole size
  w.u8(static_cast<std::uint8_t>(m.type)).u64(m.node).u64(m.incarnation).u64(m.seq).u64(m.target_node).bytes(m.jid);
  w.u32(static_cast<std::uint32_t>(m.sessions.size()));
  for (auto& s : m.sessions)
    w.bytes(s.jid).u8(s.available).u32(static_cast<std::uint32_t>(s.priority)).bytes(s.presence);
  w.u32(static_cast<std::uint32_t>(m.components.size()));
  for (auto& c : m.components) w.bytes(c);
  w.bytes(m.stanza);
  if (m.type == RouterMessageType::delivered_many) {  // only there: older nodes decode every other type
    w.u32(static_cast<std::uint32_t>(m.seqs.size()));
    for (auto seq : m.seqs) w.u64(seq);
  }
  return w.take();
}

std::optional<RouterMessage> decode_router_message(std::string_view bytes) {
  wire::Reader r(bytes);
  RouterMessage m;
  auto type = r.u8();
  // bridge_freed is the last type.
  if (type < 1 || type > static_cast<std::uint8_t>(RouterMessageType::bridge_freed)) return std::nullopt;
  m.type = static_cast<RouterMessageType>(type);
  m.node = r.u64();
  m.incarnation = r.u64();
  m.seq = r.u64();
  m.target_node = r.u64();
  m.jid = r.bytes();
  std::uint32_t n = r.u32();
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    SessionEntry s;
    s.jid = r.bytes();
    s.available = r.u8() != 0;
    s.priority = static_cast<std::int32_t>(r.u32());
    s.presence = r.bytes();
    m.sessions.push_back(std::move(s));
  }
  n = r.u32();
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) m.components.push_back(r.bytes());
  m.stanza = r.bytes();
  if (m.type == RouterMessageType::delivered_many) {
    n = r.u32();
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) m.seqs.push_back(r.u64());
  }
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return m;
}

}  // namespace convene::xmpp
