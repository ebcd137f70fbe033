#pragma once
// GET /metrics: the node in the Prometheus text format (version 0.0.4), each value
// read from what the node sees at the moment of the request:
//   convene_xmpp_*         the XMPP service's own counters (xmpp::Service::status)
//   convene_raft_*         this node's view of the XMPP cluster's raft group
//   convene_database_*     the database cluster as this node's agent sees it
//   convene_webadmin_logins_total{result}  logins over HTTPS since the daemon started
//   convene_certificate_days_left{use,file} for the XMPP and web admin certificates
// A value the node cannot know now is left out, never guessed.
#include <string>

namespace convene::web {

class WebContext;

std::string render_metrics(WebContext& routes);

}  // namespace convene::web
