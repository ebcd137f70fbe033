#pragma once
// The `KEY:value` argument words of the pki commands, as CMS spells them
// ("CN:xmpp.example.com", "subjectAltName:a.example,10.0.0.5", "days:30"), turned
// into checked values. Keys match case-insensitively; each may appear once.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pki/csr.h"
#include "util/result.h"

namespace convene::pki {

struct ArgWords {
  std::vector<std::string> positional;        // words that are not KEY:value, in order
  std::map<std::string, std::string> values;  // canonical key (as in `keys`) -> value

  const std::string* find(const std::string& key) const;
};

// Splits `words` into positional words and KEY:value pairs whose key is one of
// `keys`. Fails on an unknown key, a repeated key, or a positional count outside
// [min_positional, max_positional]. The errors carry no hint: the caller adds its
// usage line.
Result<ArgWords> parse_arg_words(const std::vector<std::string>& words, const std::vector<std::string>& keys,
                                 size_t min_positional, size_t max_positional);

// The subject keys in the order they go into the name (the order of seed 004's
// certificates), and the SAN key.
inline const std::vector<std::string> kSubjectKeys = {"C", "ST", "L", "O", "OU", "CN"};
inline const std::string kSanKey = "subjectAltName";

// Subject (in kSubjectKeys order) and SANs from the words; validated.
Result<CsrRequest> request_from_args(const ArgWords& args);

// An integer argument (e.g. "days", "start"), `fallback` when absent.
Result<long> integer_arg(const ArgWords& args, const std::string& key, long fallback, long min, long max);
// A yes/no argument ("ca:yes"), `fallback` when absent.
Result<bool> yes_no_arg(const ArgWords& args, const std::string& key, bool fallback);

}  // namespace convene::pki
