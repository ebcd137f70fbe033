#include "xmpp/component_occupants.h"

#include "xml/serializer.h"
#include "xmpp/cluster_router.h"
#include "xmpp/server.h"
#include "xmpp/store_commands.h"
#include "xmpp_core/jid.h"
#include "xmpp_core/namespaces.h"

namespace convene::xmpp {

namespace {

constexpr auto attr = &xml::attribute;  // short: the stanzas below are written as text

std::string iq_head(const xml::Element& iq, std::string_view type) {
  return "<iq type='" + std::string(type) + "'" + attr("from", iq.attr("to")) + attr("to", iq.attr("from")) +
         attr("id", iq.attr("id"));
}

std::string iq_error(const xml::Element& iq, std::string_view type, std::string_view condition) {
  return iq_head(iq, "error") + "><error type='" + std::string(type) + "'><" + std::string(condition) +
         " xmlns='" + std::string(kStanzasNs) + "'/></error></iq>";
}
}  // namespace

ComponentOccupants::ComponentOccupants(Server& server, std::string bridge)
    : server_(server), bridge_(std::move(bridge)) {}

bool ComponentOccupants::handle(const xml::Element& iq, const std::function<void(std::string)>& send) {
  if (iq.name() != "iq") return false;
  auto* payload = iq.first_child_element();
  if (!payload || payload->ns() != kSpaceOccupantsNs || payload->name() != "occupants") return false;
  auto to = Jid::parse(iq.attr("to"));
  if (!to || !to->is_domain() || to->domain() != server_.settings.domain) return false;
  auto type = iq.attr("type");
  if (type == "get") {
    auto cluster = server_.cluster();
    const bool current = !cluster || cluster->registry_current();
    // Not current: this node's copy may lack records (and sessions) the cluster has,
    // so the bridge must not take a missing one for gone (callbridge/spaces_record.cpp).
    std::string out = iq_head(iq, "result") + "><occupants xmlns='" + std::string(kSpaceOccupantsNs) + "'" +
                      (current ? "" : " current='false'") + ">";
    for (auto& o : server_.store.space_occupants(bridge_)) {
      auto jid = Jid::parse(o.jid);
      auto holder = jid ? server_.registry.holder(*jid) : std::nullopt;
      // Not known here is not gone while this node's copy of the cluster's sessions
      // is incomplete; known on a member in doubt is not surely there either.
      const bool doubted = holder && *holder != 0 && cluster && cluster->member_in_doubt(*holder);
      std::string_view said = doubted ? "unknown" : holder ? "true" : current ? "false" : "unknown";
      out += "<occupant" + attr("space", o.space) + attr("nick", o.nick) + attr("jid", o.jid) +
             attr("presence", o.presence) + attr("online", said) + "/>";
    }
    out += "</occupants></iq>";
    send(std::move(out));
    return true;
  }
  if (type != "set") return true;  // results and errors: nothing to answer
  auto* change = payload->first_child_element();
  StoreCommand command;
  if (change && change->name() == "join") {
    command = cmd::space_join(bridge_, {std::string(change->attr("space")), std::string(change->attr("nick")),
                                        std::string(change->attr("jid")), std::string(change->attr("presence"))});
  } else if (change && change->name() == "leave") {
    command = cmd::space_leave(bridge_, change->attr("space"), change->attr("nick"));
  } else {
    send(iq_error(iq, "modify", "bad-request"));
    return true;
  }
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(command), iq_head(iq, "result") + "/>", iq_error(iq, "wait", "internal-server-error"),
                      send});
    if (busy_) return true;
    busy_ = true;
  }
  submit_next();
  return true;
}

void ComponentOccupants::submit_next() {
  StoreCommand command;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      busy_ = false;
      return;
    }
    command = queue_.front().command;
  }
  std::weak_ptr<ComponentOccupants> weak = weak_from_this();
  server_.store.submit(std::move(command), [weak](Status status) {
    auto self = weak.lock();
    if (!self) return;
    Write done;
    {
      std::lock_guard lock(self->mu_);
      done = std::move(self->queue_.front());
      self->queue_.pop_front();
    }
    if (!status)
      self->server_.log->warn("call bridge '{}': its space occupants could not be recorded: {}", self->bridge_,
                              status.error().text());
    done.send(status ? done.reply : done.error);
    self->submit_next();
  });
}

}  // namespace convene::xmpp
