// Secrets made from the system's random generator (OpenSSL RAND_bytes): API tokens, the
// passwords the hub gives enrolled edges. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// `n` random bytes; Unavailable when the generator fails (nothing safe can be made then).
StatusOr<std::string> RandomBytes(size_t n);

// `n` random bytes as RFC 4648 base32, lower case, without padding (8 characters per 5 bytes).
StatusOr<std::string> RandomBase32(size_t n);

// RFC 4648 base32 of `bytes`, lower case, without padding.
std::string Base32(std::string_view bytes);

// `bytes` as lower-case hex.
std::string Hex(std::string_view bytes);

}  // namespace strata
