#include "core/time_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace strata {
namespace {

bool ParseDouble(std::string_view text, double* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

bool ParseDigits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Status TimestampError(std::string_view text) {
  return InvalidArgumentError(
      fmt::format("'{}' is not a timestamp: write RFC 3339, e.g. 2026-11-23T10:15:30Z", text));
}

}  // namespace

StatusOr<int64_t> ParseDuration(std::string_view text) {
  const std::string_view original = text;
  auto error = [&] {
    return InvalidArgumentError(fmt::format(
        "'{}' is not a duration: write a number and a unit (ns, us, ms, s, m, h, d), e.g. 500ms "
        "or 1h30m",
        original));
  };
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty()) return error();
  const auto is_number_char = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  };
  // A bare number is seconds: plain decimals are read exactly below, other numeric forms
  // (1e3, -5) here, when non-negative and in range.
  const bool bare_seconds = std::all_of(text.begin(), text.end(), is_number_char);
  if (double bare = 0; !bare_seconds && ParseDouble(text, &bare)) {
    if (bare < 0 || bare * kNsPerSec >= 9.2e18) return error();
    return static_cast<int64_t>(std::llround(bare * kNsPerSec));
  }
  // Each component is exact: whole units in integer arithmetic (overflow is an error), the
  // fraction of a unit as a double (below 2^53 ns even for days, so exact to the ns).
  int64_t total = 0;
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() && is_number_char(text[n])) ++n;
    const std::string_view number = text.substr(0, n);
    text.remove_prefix(n);
    size_t u = 0;
    while (u < text.size() && std::isalpha(static_cast<unsigned char>(text[u]))) ++u;
    const std::string_view unit = text.substr(0, u);
    text.remove_prefix(u);
    int64_t scale = 0;
    if (unit == "ns") scale = 1;
    else if (unit == "us") scale = kNsPerUs;
    else if (unit == "ms") scale = kNsPerMs;
    else if (unit == "s" || (unit.empty() && bare_seconds)) scale = kNsPerSec;
    else if (unit == "m" || unit == "min") scale = 60 * kNsPerSec;
    else if (unit == "h") scale = 3600 * kNsPerSec;
    else if (unit == "d") scale = 86400 * kNsPerSec;
    else return error();

    const size_t dot = number.find('.');
    const std::string_view whole = number.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
    if ((whole.empty() && fraction.empty()) || fraction.find('.') != std::string_view::npos) {
      return error();
    }
    int64_t whole_value = 0;
    if (!whole.empty()) {
      auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
      if (ec != std::errc() || ptr != whole.data() + whole.size()) return error();
    }
    int64_t ns = 0;
    if (__builtin_mul_overflow(whole_value, scale, &ns)) return error();
    if (!fraction.empty()) {
      double f = 0;
      const std::string decimal = "0." + std::string(fraction);
      if (!ParseDouble(decimal, &f)) return error();
      if (__builtin_add_overflow(ns, std::llround(f * static_cast<double>(scale)), &ns)) {
        return error();
      }
    }
    if (__builtin_add_overflow(total, ns, &total)) return error();
  }
  return total;
}

std::string FormatDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string out = ns < 0 ? "-" : "";
  // The magnitude as unsigned, so that INT64_MIN does not overflow.
  uint64_t v = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  constexpr uint64_t kSec = kNsPerSec, kMs = kNsPerMs, kUs = kNsPerUs;
  constexpr uint64_t kMinute = 60 * kSec, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (v % kDay == 0) return out + fmt::format("{}d", v / kDay);
  if (v >= kHour) {
    out += fmt::format("{}h", v / kHour);
    v %= kHour;
  }
  if (v >= kMinute) {
    out += fmt::format("{}m", v / kMinute);
    v %= kMinute;
  }
  if (v == 0) return out;
  if (v < kSec) {
    if (v % kMs == 0) return out + fmt::format("{}ms", v / kMs);
    if (v % kUs == 0) return out + fmt::format("{}us", v / kUs);
    return out + fmt::format("{}ns", v);
  }
  if (v % kSec == 0) return out + fmt::format("{}s", v / kSec);
  // Exact decimal fraction of a second, trailing zeros dropped: "1.000001s", "2.5s".
  std::string fraction = fmt::format("{:09}", v % kSec);
  while (fraction.back() == '0') fraction.pop_back();
  return out + fmt::format("{}.{}s", v / kSec, fraction);
}

StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ParseDigits(text, 5, 2, &month) || text[7] != '-' || !ParseDigits(text, 8, 2, &day)) {
    return TimestampError(text);
  }
  size_t pos = 10;
  int64_t fraction_ns = 0;
  int64_t offset_s = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return TimestampError(text);
    ++pos;
    if (!ParseDigits(text, pos, 2, &hour) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
        !ParseDigits(text, pos + 3, 2, &minute)) {
      return TimestampError(text);
    }
    pos += 5;
    if (pos < text.size() && text[pos] == ':') {
      if (!ParseDigits(text, pos + 1, 2, &second)) return TimestampError(text);
      pos += 3;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          if (digits < 9) {
            fraction_ns = fraction_ns * 10 + (text[pos] - '0');
            ++digits;
          }
          ++pos;
        }
        if (digits == 0) return TimestampError(text);
        for (int i = digits; i < 9; ++i) fraction_ns *= 10;
      }
    }
    if (pos < text.size()) {
      const char zone = text[pos];
      if ((zone == 'Z' || zone == 'z') && pos + 1 == text.size()) {
        pos += 1;
      } else if (zone == '+' || zone == '-') {
        int oh = 0, om = 0;
        if (!ParseDigits(text, pos + 1, 2, &oh)) return TimestampError(text);
        size_t mpos = pos + 3;
        if (mpos < text.size() && text[mpos] == ':') ++mpos;
        if (!ParseDigits(text, mpos, 2, &om) || mpos + 2 != text.size()) {
          return TimestampError(text);
        }
        if (oh > 23 || om > 59) return TimestampError(text);
        offset_s = (zone == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        pos = text.size();
      } else {
        return TimestampError(text);
      }
    }
  }
  if (pos != text.size() && pos != 10) return TimestampError(text);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return TimestampError(text);
  }
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // Borrow a second before the epoch so that the INT64_MIN instant does not overflow midway.
  if (seconds < 0 && fraction_ns > 0) {
    seconds += 1;
    fraction_ns -= kNsPerSec;
  }
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSec, &ns) ||
      __builtin_add_overflow(ns, fraction_ns, &ns)) {
    return OutOfRangeError(fmt::format(
        "'{}' is outside the times this program can represent (1677-09-21T00:12:44Z to "
        "2262-04-11T23:47:16Z)",
        text));
  }
  return ns;
}

std::string FormatTimestamp(int64_t ns, int digits) {
  int64_t seconds = ns / kNsPerSec;
  int64_t frac = ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (digits == 3) {
    out += fmt::format(".{:03}", frac / kNsPerMs);
  } else if (digits == 6) {
    out += fmt::format(".{:06}", frac / kNsPerUs);
  } else if (digits == 9) {
    out += fmt::format(".{:09}", frac);
  }
  out += 'Z';
  return out;
}

StatusOr<int64_t> ParseTimeArg(std::string_view text, int64_t now_ns) {
  if (text == "now") return now_ns;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    auto d = ParseDuration(text.substr(1));
    if (!d.ok()) {
      return InvalidArgumentError(fmt::format(
          "'{}' is not a time: write 'now', a relative duration like -1h or -30m, or an RFC "
          "3339 timestamp like 2026-11-23T10:15:30Z",
          text));
    }
    return text.front() == '-' ? now_ns - *d : now_ns + *d;
  }
  return ParseTimestamp(text);
}

StatusOr<int64_t> ParseByteSize(std::string_view text) {
  auto error = [&] {
    return InvalidArgumentError(fmt::format(
        "'{}' is not a byte size: write a number and a unit (B, KB, MB, GB, KiB, MiB, GiB), "
        "e.g. 64MiB",
        text));
  };
  size_t n = 0;
  while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) {
    ++n;
  }
  double number = 0;
  if (n == 0 || !ParseDouble(text.substr(0, n), &number)) return error();
  std::string_view unit = text.substr(n);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KB" || unit == "kB") scale = 1e3;
  else if (unit == "MB") scale = 1e6;
  else if (unit == "GB") scale = 1e9;
  else if (unit == "TB") scale = 1e12;
  else if (unit == "KiB") scale = 1024.0;
  else if (unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "TiB") scale = 1024.0 * 1024 * 1024 * 1024;
  else return error();
  const double bytes = std::round(number * scale);
  if (bytes >= 9.2e18) return error();
  return static_cast<int64_t>(bytes);
}

std::string FormatByteSize(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  // 1023.95 and above would print as "1024.0": move on to the next unit instead.
  while (std::fabs(v) >= 1023.95 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", v, kUnits[u]);
}

}  // namespace strata
