// Parsing and formatting of times, durations and byte sizes as people write them in config
// files and on the command line. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace strata {

// "250ms", "10s", "5m", "2h", "7d", "1h30m", "1.5s", "500us", "0"; a bare number is seconds.
// Returns nanoseconds, exact to the ns; negative or overflowing durations are errors.
StatusOr<int64_t> ParseDuration(std::string_view text);

// 2'500'000'000 -> "2.5s"; 90 s -> "1m30s". Round-trips through ParseDuration.
std::string FormatDuration(int64_t ns);

// RFC 3339 / ISO 8601: "2026-11-23T10:15:30Z", "2026-11-23T10:15:30.123456+01:00",
// "2026-11-23 10:15:30" (UTC assumed), "2026-11-23" (midnight UTC). Returns ns since epoch.
// Fraction digits past the ninth are truncated. Impossible dates (2026-02-30) are
// InvalidArgument; instants outside 1677-09-21 .. 2262-04-11 (int64 ns) are OutOfRange.
StatusOr<int64_t> ParseTimestamp(std::string_view text);

// ns since epoch -> "2026-11-23T10:15:30.123Z". `digits` sets the number of fraction digits,
// shown even when zero ("...:30.000Z") and truncated, not rounded: 3, 6 or 9; 0 (or any other
// value) shows none.
std::string FormatTimestamp(int64_t ns, int digits = 3);

// A time as given on the command line: an RFC 3339 timestamp, "now", or a duration relative
// to now ("-1h", "-30m", "+5m").
StatusOr<int64_t> ParseTimeArg(std::string_view text, int64_t now_ns);

// "512", "64KiB", "64KB", "10MiB", "1GiB", "1.5GB" -> bytes. KB/MB/GB are decimal (1000),
// KiB/MiB/GiB binary (1024).
StatusOr<int64_t> ParseByteSize(std::string_view text);

// 1536 -> "1.5 KiB".
std::string FormatByteSize(int64_t bytes);

}  // namespace strata
