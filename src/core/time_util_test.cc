#include "core/time_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace strata {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNsPerMin = 60 * kNsPerSec;
constexpr int64_t kNsPerHour = 60 * kNsPerMin;
constexpr int64_t kNsPerDay = 24 * kNsPerHour;

// Seconds since the epoch of some instants, computed independently (Python's
// calendar.timegm) rather than with the code under test.
constexpr int64_t k2000 = 946'684'800;               // 2000-01-01T00:00:00Z
constexpr int64_t k20261123_101530 = 1'795'428'930;  // 2026-11-23T10:15:30Z
constexpr int64_t k20240229 = 1'709'164'800;         // 2024-02-29T00:00:00Z
constexpr int64_t k20000229_12 = 951'825'600;        // 2000-02-29T12:00:00Z
constexpr int64_t k19000301 = -2'203'891'200;        // 1900-03-01T00:00:00Z

int64_t Duration(std::string_view text) {
  StatusOr<int64_t> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << "'" << text << "': " << d.status().ToString();
  return d.ok() ? *d : -1;
}

std::string DurationError(std::string_view text) {
  StatusOr<int64_t> d = ParseDuration(text);
  EXPECT_FALSE(d.ok()) << "'" << text << "' parsed as " << *d << " ns";
  if (d.ok()) return "";
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  return d.status().message();
}

int64_t Timestamp(std::string_view text) {
  StatusOr<int64_t> t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << "'" << text << "': " << t.status().ToString();
  return t.ok() ? *t : std::numeric_limits<int64_t>::min();
}

std::string TimestampError(std::string_view text) {
  StatusOr<int64_t> t = ParseTimestamp(text);
  EXPECT_FALSE(t.ok()) << "'" << text << "' parsed as " << *t << " ns";
  return t.ok() ? "" : t.status().message();
}

// ---------------------------------------------------------------- ParseDuration

TEST(ParseDurationTest, EveryUnit) {
  EXPECT_EQ(Duration("7ns"), 7);
  EXPECT_EQ(Duration("500us"), 500 * kNsPerUs);
  EXPECT_EQ(Duration("250ms"), 250 * kNsPerMs);
  EXPECT_EQ(Duration("10s"), 10 * kNsPerSec);
  EXPECT_EQ(Duration("5m"), 5 * kNsPerMin);
  EXPECT_EQ(Duration("5min"), 5 * kNsPerMin);
  EXPECT_EQ(Duration("2h"), 2 * kNsPerHour);
  EXPECT_EQ(Duration("7d"), 7 * kNsPerDay);
}

TEST(ParseDurationTest, Combinations) {
  EXPECT_EQ(Duration("1h30m"), 90 * kNsPerMin);
  EXPECT_EQ(Duration("1m30s"), 90 * kNsPerSec);
  EXPECT_EQ(Duration("2h0m5s"), 2 * kNsPerHour + 5 * kNsPerSec);
  EXPECT_EQ(Duration("1d2h3m4s5ms6us7ns"), kNsPerDay + 2 * kNsPerHour + 3 * kNsPerMin +
                                               4 * kNsPerSec + 5 * kNsPerMs + 6 * kNsPerUs + 7);
}

TEST(ParseDurationTest, Fractions) {
  EXPECT_EQ(Duration("1.5s"), 1'500'000'000);
  EXPECT_EQ(Duration("0.25h"), 15 * kNsPerMin);
  EXPECT_EQ(Duration("1.5ms"), 1'500'000);
  EXPECT_EQ(Duration("0.1s"), 100'000'000);
  EXPECT_EQ(Duration("0.000000001s"), 1);
  EXPECT_EQ(Duration("1.000000001s"), 1'000'000'001);
  EXPECT_EQ(Duration("1.5m30s"), 2 * kNsPerMin);
}

TEST(ParseDurationTest, LongDurationsAreExactToTheNanosecond) {
  // Beyond 2^53 ns (~104 days) a double cannot hold every nanosecond.
  EXPECT_EQ(Duration("200d1ns"), 200 * kNsPerDay + 1);
  EXPECT_EQ(Duration("3650d0.000000001s"), 3650 * kNsPerDay + 1);
  EXPECT_EQ(Duration("106751d"), 106'751 * kNsPerDay);
}

TEST(ParseDurationTest, BareNumberIsSeconds) {
  EXPECT_EQ(Duration("0"), 0);
  EXPECT_EQ(Duration("90"), 90 * kNsPerSec);
  EXPECT_EQ(Duration("1.5"), 1'500'000'000);
  EXPECT_EQ(Duration("0s"), 0);
}

TEST(ParseDurationTest, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(Duration("  10s "), 10 * kNsPerSec);
  EXPECT_EQ(Duration("\t5\n"), 5 * kNsPerSec);
}

TEST(ParseDurationTest, GarbageIsAnErrorThatNamesTheTextAndTheUnits) {
  const std::string message = DurationError("10x");
  EXPECT_THAT(message, HasSubstr("'10x'"));
  EXPECT_THAT(message, HasSubstr("ms"));
  EXPECT_THAT(message, HasSubstr("1h30m"));
  for (const char* text : {"", "   ", "abc", "s", "ms5", "1h30", "1..5s", "1.5.2s", "10 s x",
                           "5sec", "1H", "1 h", "nan", "inf", "1e400", "."}) {
    SCOPED_TRACE(text);
    DurationError(text);
  }
}

TEST(ParseDurationTest, NegativeDurationsAreErrors) {
  DurationError("-5s");
  DurationError("-5");
  DurationError("-0.5");
  DurationError("1h-5m");
}

TEST(ParseDurationTest, OverflowIsAnErrorNotWrapAround) {
  DurationError("106752d");  // one day more than int64 nanoseconds hold
  DurationError("9999999999999999999999s");
  DurationError("1e30");
  DurationError("100000000000h");
  DurationError("106751d106751d");
}

// ---------------------------------------------------------------- FormatDuration

TEST(FormatDurationTest, ReadableForms) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(1), "1ns");
  EXPECT_EQ(FormatDuration(1500), "1500ns");
  EXPECT_EQ(FormatDuration(1500 * kNsPerUs), "1500us");
  EXPECT_EQ(FormatDuration(250 * kNsPerMs), "250ms");
  EXPECT_EQ(FormatDuration(2'500'000'000), "2.5s");
  EXPECT_EQ(FormatDuration(10 * kNsPerSec), "10s");
  EXPECT_EQ(FormatDuration(90 * kNsPerSec), "1m30s");
  EXPECT_EQ(FormatDuration(kNsPerHour), "1h");
  EXPECT_EQ(FormatDuration(90 * kNsPerMin), "1h30m");
  EXPECT_EQ(FormatDuration(kNsPerHour + kNsPerMin + kNsPerSec), "1h1m1s");
  EXPECT_EQ(FormatDuration(kNsPerDay), "1d");
  EXPECT_EQ(FormatDuration(7 * kNsPerDay), "7d");
  EXPECT_EQ(FormatDuration(25 * kNsPerHour), "25h");
  EXPECT_EQ(FormatDuration(-90 * kNsPerSec), "-1m30s");
  EXPECT_EQ(FormatDuration(-250 * kNsPerMs), "-250ms");
}

TEST(FormatDurationTest, SubSecondRemaindersKeepFullPrecision) {
  EXPECT_EQ(FormatDuration(10 * kNsPerSec + 10 * kNsPerUs), "10.00001s");
  EXPECT_EQ(FormatDuration(kNsPerSec + 1), "1.000000001s");
  EXPECT_EQ(Duration(FormatDuration(kNsPerMin + kNsPerUs)), kNsPerMin + kNsPerUs);
}

TEST(FormatDurationTest, RoundTripsThroughParseDuration) {
  const std::vector<int64_t> values = {
      0,
      1,
      999,
      kNsPerUs,
      kNsPerMs + 1,
      999'999'999,
      kNsPerSec,
      kNsPerSec + 1,
      2'500'000'000,
      10 * kNsPerSec + 10 * kNsPerUs,
      59 * kNsPerSec + 999'999'999,
      kNsPerMin + kNsPerUs,
      kNsPerMin + 1,
      kNsPerHour + 500 * kNsPerMs,
      kNsPerDay - 1,
      kNsPerDay + 1,
      25 * kNsPerHour + 7,
      200 * kNsPerDay + 1,
      106'751 * kNsPerDay,
      std::numeric_limits<int64_t>::max(),
  };
  for (int64_t ns : values) {
    const std::string text = FormatDuration(ns);
    SCOPED_TRACE(text);
    EXPECT_EQ(Duration(text), ns);
  }
}

TEST(FormatDurationTest, ExtremesOfTheInt64Range) {
  EXPECT_EQ(FormatDuration(std::numeric_limits<int64_t>::max()), "2562047h47m16.854775807s");
  EXPECT_EQ(FormatDuration(std::numeric_limits<int64_t>::min()), "-2562047h47m16.854775808s");
}

// ---------------------------------------------------------------- ParseTimestamp

TEST(ParseTimestampTest, KnownEpochValues) {
  EXPECT_EQ(Timestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Timestamp("2000-01-01T00:00:00Z"), k2000 * kNsPerSec);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30Z"), k20261123_101530 * kNsPerSec);
  EXPECT_EQ(Timestamp("1969-12-31T23:59:59Z"), -kNsPerSec);
  EXPECT_EQ(Timestamp("1900-03-01T00:00:00Z"), k19000301 * kNsPerSec);
}

TEST(ParseTimestampTest, LowercaseSeparatorsAndSpace) {
  EXPECT_EQ(Timestamp("2026-11-23t10:15:30z"), k20261123_101530 * kNsPerSec);
  EXPECT_EQ(Timestamp("2026-11-23 10:15:30"), k20261123_101530 * kNsPerSec);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30"), k20261123_101530 * kNsPerSec);
  EXPECT_EQ(Timestamp("2026-11-23 10:15:30Z"), k20261123_101530 * kNsPerSec);
}

TEST(ParseTimestampTest, DateOnlyIsMidnightUtc) {
  EXPECT_EQ(Timestamp("2000-01-01"), k2000 * kNsPerSec);
  EXPECT_EQ(Timestamp("2024-02-29"), k20240229 * kNsPerSec);
}

TEST(ParseTimestampTest, MinutesWithoutSeconds) {
  EXPECT_EQ(Timestamp("2026-11-23T10:15Z"), (k20261123_101530 - 30) * kNsPerSec);
}

TEST(ParseTimestampTest, Offsets) {
  // 10:15:30+01:00 is 09:15:30Z.
  const int64_t utc = (k20261123_101530 - 3600) * kNsPerSec;
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30+01:00"), utc);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30+0100"), utc);
  EXPECT_EQ(Timestamp("2026-11-23T08:15:30-01:00"), utc);
  EXPECT_EQ(Timestamp("2026-11-23T08:15:30-0100"), utc);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30+00:00"), k20261123_101530 * kNsPerSec);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30-00:00"), k20261123_101530 * kNsPerSec);
  EXPECT_EQ(Timestamp("2026-11-23T15:45:30+05:30"), k20261123_101530 * kNsPerSec);
  // An offset can move the instant across midnight and across a year.
  EXPECT_EQ(Timestamp("2000-01-01T01:00:00+02:00"), (k2000 - 3600) * kNsPerSec);
  EXPECT_EQ(Timestamp("1999-12-31T23:00:00-01:00"), k2000 * kNsPerSec);
}

TEST(ParseTimestampTest, Fractions) {
  const int64_t base = k20261123_101530 * kNsPerSec;
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.1Z"), base + 100'000'000);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.123Z"), base + 123'000'000);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.123456Z"), base + 123'456'000);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.123456789Z"), base + 123'456'789);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30,5Z"), base + 500'000'000);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.000000001Z"), base + 1);
  // Digits past the ninth are truncated, not rounded.
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.1234567899999Z"), base + 123'456'789);
  EXPECT_EQ(Timestamp("2026-11-23T10:15:30.123456+01:00"), base - 3600 * kNsPerSec + 123'456'000);
  // Before the epoch the fraction still counts forward from the whole second.
  EXPECT_EQ(Timestamp("1969-12-31T23:59:59.5Z"), -500'000'000);
}

TEST(ParseTimestampTest, LeapYears) {
  EXPECT_EQ(Timestamp("2024-02-29T00:00:00Z"), k20240229 * kNsPerSec);
  EXPECT_EQ(Timestamp("2000-02-29T12:00:00Z"), k20000229_12 * kNsPerSec);
  EXPECT_EQ(Timestamp("2024-03-01T00:00:00Z") - Timestamp("2024-02-28T00:00:00Z"), 2 * kNsPerDay);
  EXPECT_EQ(Timestamp("2023-03-01T00:00:00Z") - Timestamp("2023-02-28T00:00:00Z"), kNsPerDay);
  EXPECT_EQ(Timestamp("2100-03-01T00:00:00Z") - Timestamp("2100-02-28T00:00:00Z"), kNsPerDay);
}

TEST(ParseTimestampTest, InvalidDatesAreErrors) {
  for (const char* text :
       {"2023-02-29", "2100-02-29T00:00:00Z", "2026-02-30", "2026-04-31", "2026-06-31T00:00:00Z",
        "2026-09-31", "2026-11-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32"}) {
    SCOPED_TRACE(text);
    TimestampError(text);
  }
  // The last day of every month is fine.
  for (const char* text :
       {"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
        "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31"}) {
    SCOPED_TRACE(text);
    Timestamp(text);
  }
}

TEST(ParseTimestampTest, InvalidTimesAndOffsetsAreErrors) {
  for (const char* text :
       {"2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z", "2026-11-23T10:15:61Z",
        "2026-11-23T10:15:30+24:00", "2026-11-23T10:15:30+01:60", "2026-11-23T10:15:30+1:00",
        "2026-11-23T10:15:30+01", "2026-11-23T10:15:30+01:0", "2026-11-23T10:15:30+01:000"}) {
    SCOPED_TRACE(text);
    TimestampError(text);
  }
}

TEST(ParseTimestampTest, GarbageIsAnErrorThatShowsTheExpectedForm) {
  const std::string message = TimestampError("yesterday");
  EXPECT_THAT(message, HasSubstr("'yesterday'"));
  EXPECT_THAT(message, HasSubstr("RFC 3339"));
  for (const char* text :
       {"", "2026", "2026-11", "2026-11-2", "26-11-23", "2026/11/23", "2026-11-23T",
        "2026-11-23T10", "2026-11-23T10:1", "2026-11-23T10:15:30.", "2026-11-23T10:15:30ZZ",
        "2026-11-23T10:15:30 Z", "2026-11-23T10:15:30X", "2026-11-23x10:15:30", "2026-11-23 ",
        " 2026-11-23", "2026-11-23T10:15:30.123Zjunk", "2026-11-23T10:15:3"}) {
    SCOPED_TRACE(text);
    TimestampError(text);
  }
}

TEST(ParseTimestampTest, InstantsOutsideTheInt64RangeAreErrors) {
  // int64 nanoseconds span 1677-09-21T00:12:44Z .. 2262-04-11T23:47:16Z.
  EXPECT_EQ(Timestamp("2262-04-11T23:47:16Z"), 9'223'372'036 * kNsPerSec);
  EXPECT_EQ(Timestamp("2262-04-11T23:47:16.854775807Z"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Timestamp("1677-09-21T00:12:44Z"), -9'223'372'036 * kNsPerSec);
  for (const char* text : {"2262-04-11T23:47:16.854775808Z", "2262-04-11T23:47:17Z",
                           "9999-12-31T23:59:59Z", "1677-09-21T00:12:43Z", "0001-01-01"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(TimestampError(text), HasSubstr(text));
  }
}

// ---------------------------------------------------------------- FormatTimestamp

TEST(FormatTimestampTest, DigitsSelectTheFraction) {
  const int64_t t = k20261123_101530 * kNsPerSec + 123'456'789;
  EXPECT_EQ(FormatTimestamp(t, 0), "2026-11-23T10:15:30Z");
  EXPECT_EQ(FormatTimestamp(t, 3), "2026-11-23T10:15:30.123Z");
  EXPECT_EQ(FormatTimestamp(t, 6), "2026-11-23T10:15:30.123456Z");
  EXPECT_EQ(FormatTimestamp(t, 9), "2026-11-23T10:15:30.123456789Z");
  EXPECT_EQ(FormatTimestamp(t), "2026-11-23T10:15:30.123Z");
}

TEST(FormatTimestampTest, FractionIsTruncatedNotRounded) {
  const int64_t t = k2000 * kNsPerSec + 999'999'999;
  EXPECT_EQ(FormatTimestamp(t, 0), "2000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(t, 3), "2000-01-01T00:00:00.999Z");
  EXPECT_EQ(FormatTimestamp(t, 6), "2000-01-01T00:00:00.999999Z");
}

TEST(FormatTimestampTest, KnownInstants) {
  EXPECT_EQ(FormatTimestamp(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(k2000 * kNsPerSec, 0), "2000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(k20240229 * kNsPerSec, 3), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(k19000301 * kNsPerSec, 0), "1900-03-01T00:00:00Z");
}

TEST(FormatTimestampTest, NegativeTimesCountBackFromTheEpoch) {
  EXPECT_EQ(FormatTimestamp(-1, 9), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTimestamp(-1, 3), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatTimestamp(-500'000'000, 3), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(FormatTimestamp(-kNsPerSec, 3), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(FormatTimestamp(-kNsPerSec - 1, 9), "1969-12-31T23:59:58.999999999Z");
}

TEST(FormatTimestampTest, ExtremesOfTheInt64Range) {
  EXPECT_EQ(FormatTimestamp(std::numeric_limits<int64_t>::max(), 9),
            "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatTimestamp(std::numeric_limits<int64_t>::min(), 9),
            "1677-09-21T00:12:43.145224192Z");
}

TEST(FormatTimestampTest, RoundTripsThroughParseTimestamp) {
  for (int64_t ns : {int64_t{0}, int64_t{-1}, int64_t{1}, k2000 * kNsPerSec + 123'456'789,
                     k19000301 * kNsPerSec - 7, std::numeric_limits<int64_t>::max(),
                     std::numeric_limits<int64_t>::min()}) {
    const std::string text = FormatTimestamp(ns, 9);
    SCOPED_TRACE(text);
    EXPECT_EQ(Timestamp(text), ns);
  }
}

// ---------------------------------------------------------------- ParseTimeArg

TEST(ParseTimeArgTest, NowAndRelative) {
  const int64_t now = k20261123_101530 * kNsPerSec;
  auto t = [&](std::string_view text) {
    StatusOr<int64_t> v = ParseTimeArg(text, now);
    EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
    return v.ok() ? *v : 0;
  };
  EXPECT_EQ(t("now"), now);
  EXPECT_EQ(t("-1h"), now - kNsPerHour);
  EXPECT_EQ(t("-30m"), now - 30 * kNsPerMin);
  EXPECT_EQ(t("+5m"), now + 5 * kNsPerMin);
  EXPECT_EQ(t("-1h30m"), now - 90 * kNsPerMin);
  EXPECT_EQ(t("-90"), now - 90 * kNsPerSec);
  EXPECT_EQ(t("2026-11-23T10:15:30Z"), now);
  EXPECT_EQ(t("2026-11-23T11:15:30+01:00"), now);
  EXPECT_EQ(t("2000-01-01"), k2000 * kNsPerSec);
}

TEST(ParseTimeArgTest, ErrorsShowTheAcceptedForms) {
  for (const char* text : {"-", "+", "-x", "--1h", "-1hour"}) {
    SCOPED_TRACE(text);
    StatusOr<int64_t> v = ParseTimeArg(text, 0);
    ASSERT_FALSE(v.ok());
    EXPECT_THAT(v.status().message(), HasSubstr("'" + std::string(text) + "'"));
    EXPECT_THAT(v.status().message(), HasSubstr("now"));
  }
  for (const char* text : {"", "Now", "yesterday", "1h"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(ParseTimeArg(text, 0).ok());
  }
}

// ---------------------------------------------------------------- byte sizes

TEST(ParseByteSizeTest, DecimalAndBinaryUnits) {
  auto b = [](std::string_view text) {
    StatusOr<int64_t> v = ParseByteSize(text);
    EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  };
  EXPECT_EQ(b("0"), 0);
  EXPECT_EQ(b("512"), 512);
  EXPECT_EQ(b("512B"), 512);
  EXPECT_EQ(b("64KB"), 64'000);
  EXPECT_EQ(b("64kB"), 64'000);
  EXPECT_EQ(b("64KiB"), 64 * 1024);
  EXPECT_EQ(b("10MB"), 10'000'000);
  EXPECT_EQ(b("10MiB"), 10 * 1024 * 1024);
  EXPECT_EQ(b("1GiB"), int64_t{1} << 30);
  EXPECT_EQ(b("1.5GB"), 1'500'000'000);
  EXPECT_EQ(b("2TB"), 2'000'000'000'000);
  EXPECT_EQ(b("1TiB"), int64_t{1} << 40);
  EXPECT_EQ(b("1.5 KiB"), 1536);
  EXPECT_EQ(b("64 MiB"), 64 << 20);
}

TEST(ParseByteSizeTest, ErrorsNameTheTextAndTheUnits) {
  StatusOr<int64_t> v = ParseByteSize("64MIB");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("'64MIB'"));
  EXPECT_THAT(v.status().message(), HasSubstr("MiB"));
  for (const char* text :
       {"", "MiB", "-5", "-5MiB", "1..5MB", "5 bytes", "5mb", "5KiBs", "0x10", "1e3"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(ParseByteSize(text).ok());
  }
}

TEST(ParseByteSizeTest, OverflowIsAnError) {
  EXPECT_FALSE(ParseByteSize("9000000000GiB").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999").ok());
  EXPECT_FALSE(ParseByteSize("10000000TiB").ok());
}

TEST(FormatByteSizeTest, PicksTheLargestBinaryUnit) {
  EXPECT_EQ(FormatByteSize(0), "0 B");
  EXPECT_EQ(FormatByteSize(1023), "1023 B");
  EXPECT_EQ(FormatByteSize(1024), "1.0 KiB");
  EXPECT_EQ(FormatByteSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatByteSize(10 * 1024 * 1024), "10.0 MiB");
  EXPECT_EQ(FormatByteSize(int64_t{3} << 30), "3.0 GiB");
  EXPECT_EQ(FormatByteSize(int64_t{5} << 40), "5.0 TiB");
  EXPECT_EQ(FormatByteSize(int64_t{2048} << 40), "2048.0 TiB");
  EXPECT_EQ(FormatByteSize(-1536), "-1.5 KiB");
}

TEST(FormatByteSizeTest, RoundingUpMovesToTheNextUnit) {
  // 1 MiB - 1 B is 1023.999 KiB: shown as 1.0 MiB, not "1024.0 KiB".
  EXPECT_EQ(FormatByteSize((1 << 20) - 1), "1.0 MiB");
  EXPECT_EQ(FormatByteSize((int64_t{1} << 30) - 1), "1.0 GiB");
}

TEST(FormatByteSizeTest, ExactValuesRoundTrip) {
  for (int64_t bytes :
       {int64_t{0}, int64_t{512}, int64_t{1536}, int64_t{64} << 20, int64_t{3} << 30}) {
    const std::string text = FormatByteSize(bytes);
    SCOPED_TRACE(text);
    StatusOr<int64_t> back = ParseByteSize(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, bytes);
  }
}

}  // namespace
}  // namespace strata
