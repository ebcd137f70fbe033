#pragma once
// One HTTP request and its answer as the web admin's handlers see them: plain
// values, so the pages, the API and their unit tests never include the HTTP
// library (https_listener.cpp is the only file that does).
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace convene::web {

struct HttpRequest {
  std::string method;                         // "GET", "POST", ...
  std::string path;                           // "/api/v1/coSpaces", percent-decoding left to the handler
  std::string query;                          // after '?', raw
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string peer;                           // the client's address, for throttling and the audit log
  unsigned short peer_port = 0;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Location, Set-Cookie, ...
};

}  // namespace convene::web
