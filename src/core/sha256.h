// SHA-256 digests (OpenSSL), as lower-case hex: content identity of model packages and files.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// The SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

// The SHA-256 of `first` followed by `second`, as 32 raw bytes (wire formats).
std::string Sha256Digest(std::string_view first, std::string_view second = {});

// The SHA-256 of a file's bytes; NotFound / Unavailable naming the file when it cannot be read.
StatusOr<std::string> Sha256File(const std::string& path);

}  // namespace strata
