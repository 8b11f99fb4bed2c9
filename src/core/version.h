// The version of this build of Strata: `strata --version`, edge heartbeats, the hub's API.
#pragma once

namespace strata {

inline constexpr const char* kStrataVersion = "0.1.0";

}  // namespace strata
