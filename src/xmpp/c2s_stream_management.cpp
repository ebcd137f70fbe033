// XEP-0198 stream management of a client stream: enabling it, acknowledgements
// both ways, and resuming a session on a new stream (c2s.h).
#include "util/random.h"
#include "xmpp/c2s.h"

namespace convene::xmpp {

// ---- XEP-0198 stream management ------------------------------------------------

void ClientStream::on_sm(xml::Element& el) {
  auto name = el.name();
  if (name == "enable") {
    std::string reply;
    {
      std::lock_guard lock(state_mu_);
      if (sm_enabled_) {
        reply = "<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>";
      } else {
        sm_enabled_ = true;
        auto resume = el.attr("resume");
        sm_resumable_ = resume == "true" || resume == "1";
        reply = "<enabled xmlns='urn:xmpp:sm:3'";
        if (sm_resumable_) {
          sm_id_ = random_id(24);
          reply += " id='" + sm_id_ + "' resume='true' max='" + std::to_string(kResumeSeconds) + "'";
        }
        reply += "/>";
      }
    }
    if (!sm_id_.empty())
      server_.registry.add_resumable(sm_id_, std::static_pointer_cast<ClientStream>(shared_from_this()));
    send(reply);
    return;
  }
  if (name == "r") {
    uint32_t h;
    {
      std::lock_guard lock(state_mu_);
      if (!sm_enabled_) return;
      h = sm_in_;
    }
    send("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(h) + "'/>");
    return;
  }
  if (name == "a") {
    auto h = el.attr("h");
    uint32_t value = 0;
    for (char c : h) {
      if (c < '0' || c > '9') return stream_error("undefined-condition", "bad h");
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    sm_ack(value);
  }
}

void ClientStream::sm_ack(uint32_t h) {
  std::lock_guard lock(state_mu_);
  uint32_t newly = h - sm_out_acked_;  // wraps at 2^32 as XEP-0198 says
  if (newly > sm_sizes_.size()) newly = static_cast<uint32_t>(sm_sizes_.size());
  size_t bytes = 0;
  for (uint32_t i = 0; i < newly; ++i) {
    bytes += sm_sizes_.front();
    sm_sizes_.pop_front();
  }
  sm_queue_.erase(0, bytes);
  sm_out_acked_ += newly;
  if (sm_queue_.empty() && sm_queue_.capacity() > 4096) std::string().swap(sm_queue_);
}

// Moves the session (identity, presence, SM queue) from a detached stream to the
// stream resuming it. Called under the registry's lock held exclusively
// (SessionRegistry::resume), so no stanza is delivered to either meanwhile.
void take_over(ClientStream& from, ClientStream& to) {
  std::scoped_lock lock(from.state_mu_, to.state_mu_);
  from.taken_over_ = true;
  to.jid_ = from.jid_;
  to.user_ = from.user_;
  to.available_ = from.available_;
  to.priority_ = from.priority_;
  to.presence_ = from.presence_;
  to.sm_enabled_ = true;
  to.sm_resumable_ = true;
  to.sm_id_ = from.sm_id_;
  to.sm_in_ = from.sm_in_;
  to.sm_out_acked_ = from.sm_out_acked_;
  to.sm_queue_ = std::move(from.sm_queue_);
  to.sm_sizes_ = std::move(from.sm_sizes_);
  to.directed_ = from.directed_;
  to.initial_presence_sent_ = from.initial_presence_sent_;
  to.offline_delivered_ = from.offline_delivered_;
  to.bound_ = true;
}

void ClientStream::sm_resume(xml::Element& el) {
  std::string previd(el.attr("previd"));
  uint32_t h = 0;
  for (char c : el.attr("h")) h = h * 10 + static_cast<uint32_t>(c - '0');
  auto old = std::static_pointer_cast<ClientStream>(server_.registry.resume(
      previd, std::static_pointer_cast<ClientStream>(shared_from_this()), [this](Session& session) {
        auto& previous = static_cast<ClientStream&>(session);  // only ClientStreams are resumable
        if (previous.user_ != user_ || previous.ended_) return false;
        take_over(previous, *this);
        return true;
      }));
  if (!old) {
    send("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    return;
  }
  old->post_close("conflict", "session resumed elsewhere");
  sm_ack(h);
  state_ = State::bound;
  std::string out = "<resumed xmlns='urn:xmpp:sm:3' previd='" + previd + "' h='";
  std::string queued;
  {
    std::lock_guard lock(state_mu_);
    out += std::to_string(sm_in_) + "'/>";
    queued = sm_queue_;
  }
  send(out);
  send(queued);  // everything not acknowledged, in order
  server_.log->info("{}: session {} resumed", peer(), jid_.full());
}

}  // namespace convene::xmpp
