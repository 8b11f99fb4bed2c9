// libFuzzer target for what the hub's API parses from a request before any handler runs
// (api/route.h, api/auth.h): the raw path, percent escapes, time parameters and bearer tokens.
// Hostile input must be refused with a Status, never crash; encoding round-trips.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto segments = strata::api::SplitPath(text); segments.ok()) {
    for (const std::string& s : *segments) {
      auto back = strata::api::PercentDecode(strata::api::PercentEncode(s));
      if (!back.ok() || *back != s) std::abort();
    }
  }
  static_cast<void>(strata::api::PercentDecode(text));
  static_cast<void>(strata::api::ParseTimeParam(text, 1'700'000'000'000'000'000));
  static_cast<void>(strata::api::TokenIdOf(text));
  static_cast<void>(strata::api::HashToken(text));
  return 0;
}
