#include "pipeline/staleness_watchdog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config_node.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr int64_t kStart = 1'764'000'000 * kNsPerSec;

constexpr const char* kAssets = R"(
asset_types:
  pump:
    signals:
      temp:  {unit: Cel, period: 1s}
      accel: {unit: m/s2, kind: waveform, period: 5s}
      alarm: {unit: "1"}
assets:
  - {path: "acme/p1/pump-01", type: pump}
  - {path: "acme/p1/pump-02", type: pump}
)";

std::shared_ptr<const AssetModel> LoadModel() {
  auto doc = ConfigDocument::Parse(kAssets, "assets.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

// "kind subject" of each event, for compact expectations.
std::vector<std::string> Describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(e.kind + " " + e.subject);
  return out;
}

class StalenessWatchdogTest : public ::testing::Test {
 protected:
  SignalId Id(const std::string& asset, const std::string& signal) const {
    const SignalId id = model_->Find(asset, signal);
    EXPECT_NE(id, kInvalidSignal);
    return id;
  }

  // Check() at the fake clock's time; returns the events of this call only.
  std::vector<Event> Check() {
    std::vector<Event> events;
    watchdog_.Check(clock_.NowNs(), &events);
    return events;
  }

  // Every signal with a period seen now.
  void SeeAll() {
    for (SignalId id = 0; id < model_->signal_count(); ++id) watchdog_.Seen(id, clock_.NowNs());
  }

  std::shared_ptr<const AssetModel> model_ = LoadModel();
  FakeClock clock_{kStart};
  StalenessWatchdog watchdog_{model_, 3.0, kStart};
};

TEST_F(StalenessWatchdogTest, NothingIsStaleAtStart) {
  EXPECT_THAT(Check(), IsEmpty());
  EXPECT_EQ(watchdog_.stale_count(), 0u);
}

TEST_F(StalenessWatchdogTest, NeverSeenSignalsGoStaleAfterPeriodTimesFactorFromStart) {
  clock_.Advance(3 * kNsPerSec);  // exactly period × factor for temp: not yet
  EXPECT_THAT(Check(), IsEmpty());
  clock_.Advance(1);
  EXPECT_THAT(Describe(Check()), UnorderedElementsAre("signal.stale acme/p1/pump-01 temp",
                                                      "signal.stale acme/p1/pump-02 temp"));
  EXPECT_EQ(watchdog_.stale_count(), 2u);
  EXPECT_TRUE(watchdog_.IsStale(Id("acme/p1/pump-01", "temp")));
  EXPECT_FALSE(watchdog_.IsStale(Id("acme/p1/pump-01", "accel")));

  clock_.Set(kStart + 15 * kNsPerSec + 1);  // 5 s period × 3
  EXPECT_THAT(Describe(Check()), UnorderedElementsAre("signal.stale acme/p1/pump-01 accel",
                                                      "signal.stale acme/p1/pump-02 accel"));
  EXPECT_EQ(watchdog_.stale_count(), 4u);
}

TEST_F(StalenessWatchdogTest, StaleEventSaysWhenAndHowLong) {
  clock_.Advance(4 * kNsPerSec);
  const auto events = Check();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].ts_ns, clock_.NowNs());
  EXPECT_EQ(events[0].kind, "signal.stale");
  EXPECT_THAT(events[0].detail, HasSubstr("no reading for 4s"));
  EXPECT_THAT(events[0].detail, HasSubstr("expected every 1s"));
  EXPECT_THAT(events[0].detail, HasSubstr("stale after 3s"));
}

TEST_F(StalenessWatchdogTest, SeenResetsTheQuietTime) {
  const SignalId temp1 = Id("acme/p1/pump-01", "temp");
  clock_.Advance(2 * kNsPerSec);
  watchdog_.Seen(temp1, clock_.NowNs());
  clock_.Advance(2 * kNsPerSec);  // 4 s after start, 2 s after temp1 was seen
  EXPECT_THAT(Describe(Check()), ElementsAre("signal.stale acme/p1/pump-02 temp"));
  EXPECT_FALSE(watchdog_.IsStale(temp1));
  clock_.Advance(1 * kNsPerSec + 1);  // 3 s + 1 ns after temp1 was seen
  EXPECT_THAT(Describe(Check()), ElementsAre("signal.stale acme/p1/pump-01 temp"));
}

TEST_F(StalenessWatchdogTest, StaleAndFreshAreReportedOnceEach) {
  const SignalId temp1 = Id("acme/p1/pump-01", "temp");
  clock_.Advance(4 * kNsPerSec);
  EXPECT_EQ(Check().size(), 2u);
  clock_.Advance(kNsPerSec);
  EXPECT_THAT(Check(), IsEmpty()) << "still stale: no repeated event";
  EXPECT_EQ(watchdog_.stale_count(), 2u);

  watchdog_.Seen(temp1, clock_.NowNs());
  const auto fresh = Check();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].kind, "signal.fresh");
  EXPECT_EQ(fresh[0].subject, "acme/p1/pump-01 temp");
  EXPECT_EQ(fresh[0].ts_ns, clock_.NowNs());
  EXPECT_FALSE(fresh[0].detail.empty());
  EXPECT_EQ(watchdog_.stale_count(), 1u);
  EXPECT_FALSE(watchdog_.IsStale(temp1));

  watchdog_.Seen(temp1, clock_.NowNs());
  EXPECT_THAT(Check(), IsEmpty()) << "still fresh: no repeated event";

  clock_.Advance(3 * kNsPerSec + 1);
  EXPECT_THAT(Describe(Check()), ElementsAre("signal.stale acme/p1/pump-01 temp"))
      << "a signal can go stale again after recovering";
}

TEST_F(StalenessWatchdogTest, EventsAreAppendedToTheCallersList) {
  std::vector<Event> events(1);
  clock_.Advance(4 * kNsPerSec);
  watchdog_.Check(clock_.NowNs(), &events);
  EXPECT_EQ(events.size(), 3u);
}

TEST_F(StalenessWatchdogTest, SignalsWithoutAPeriodAreNeverStale) {
  clock_.Advance(365LL * 86400 * kNsPerSec);
  const auto events = Check();
  EXPECT_EQ(events.size(), 4u);  // temp and accel of both pumps, not alarm
  for (const Event& e : events) EXPECT_THAT(e.subject, Not(HasSubstr("alarm")));
  EXPECT_FALSE(watchdog_.IsStale(Id("acme/p1/pump-01", "alarm")));
  EXPECT_EQ(watchdog_.stale_count(), 4u);
}

TEST_F(StalenessWatchdogTest, RegularReadingsKeepEverythingFresh) {
  for (int i = 0; i < 100; ++i) {
    SeeAll();
    clock_.Advance(kNsPerSec);
    EXPECT_THAT(Check(), IsEmpty()) << "at second " << i;
  }
  EXPECT_EQ(watchdog_.stale_count(), 0u);
}

TEST_F(StalenessWatchdogTest, StaleCountFollowsRecoveries) {
  clock_.Advance(20 * kNsPerSec);
  EXPECT_EQ(Check().size(), 4u);
  EXPECT_EQ(watchdog_.stale_count(), 4u);
  SeeAll();
  EXPECT_EQ(Check().size(), 4u);
  EXPECT_EQ(watchdog_.stale_count(), 0u);
}

TEST_F(StalenessWatchdogTest, FactorScalesTheLimit) {
  StalenessWatchdog watchdog(model_, 1.5, kStart);
  std::vector<Event> events;
  watchdog.Check(kStart + 1500 * kNsPerMs, &events);
  EXPECT_THAT(events, IsEmpty());
  watchdog.Check(kStart + 1500 * kNsPerMs + 1, &events);
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(StalenessWatchdogTest, HugeFactorMeansPracticallyNeverStale) {
  // 1 s × 1e12 is past the int64 ns range: it must not wrap into "always stale".
  StalenessWatchdog watchdog(model_, 1e12, kStart);
  std::vector<Event> events;
  watchdog.Check(kStart + 1, &events);
  watchdog.Check(kStart + 100LL * 365 * 86400 * kNsPerSec, &events);
  EXPECT_THAT(events, IsEmpty());
  EXPECT_EQ(watchdog.stale_count(), 0u);
}

TEST_F(StalenessWatchdogTest, TinyLimitStillExpires) {
  // 1 s × 1e-12 rounds to 0 ns, which must not mean "never stale".
  StalenessWatchdog watchdog(model_, 1e-12, kStart);
  std::vector<Event> events;
  watchdog.Check(kStart + 2, &events);
  EXPECT_EQ(events.size(), 4u);
}

TEST_F(StalenessWatchdogTest, UnknownSignalIdsAreIgnored) {
  watchdog_.Seen(kInvalidSignal, clock_.NowNs());
  watchdog_.Seen(static_cast<SignalId>(model_->signal_count()), clock_.NowNs());
  EXPECT_FALSE(watchdog_.IsStale(kInvalidSignal));
  EXPECT_THAT(Check(), IsEmpty());
}

TEST_F(StalenessWatchdogTest, AClockGoingBackwardsMakesNothingStale) {
  SeeAll();
  clock_.Set(kStart - 3600 * kNsPerSec);
  EXPECT_THAT(Check(), IsEmpty());
}

}  // namespace
}  // namespace strata
