#pragma once
// Random bytes and identifiers from OpenSSL's CSPRNG, with one failure policy.
//
// Policy: if the CSPRNG fails, the process logs the failure and aborts. RAND_bytes
// fails only when OpenSSL cannot seed from the operating system, which no retry
// repairs; every caller needs the bytes to be unpredictable (SCRAM salts and
// nonces, MAC keys, secrets shown to the operator, stream and session ids), so
// carrying on with whatever is in the buffer would hand out guessable values, and
// returning an error would only move the same dead end into every caller.
#include <cstddef>
#include <cstdint>
#include <string>

namespace convene {

// Fills `out[0..n)` with random bytes.
void random_bytes(unsigned char* out, std::size_t n);

// `n` random bytes as a string (binary; may hold any byte value).
std::string random_bytes(std::size_t n);

// A random 64-bit number.
std::uint64_t random_u64();

// `n` characters drawn uniformly (no modulo bias) from [A-Za-z0-9]: safe in URLs,
// XML attributes, JIDs and file names, nothing to escape. 5.95 bits per character.
std::string random_id(std::size_t n);

}  // namespace convene
