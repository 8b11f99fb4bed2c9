#include "core/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace strata {
namespace {

using ::testing::HasSubstr;

TEST(CounterTest, AddsFromZero) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.Add();
  c.Add(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(GaugeTest, SetAndAdd) {
  Gauge g;
  EXPECT_EQ(g.value(), 0.0);
  g.Set(2.5);
  g.Add(-1);
  EXPECT_EQ(g.value(), 1.5);
  g.Add(0.25);
  EXPECT_EQ(g.value(), 1.75);
}

TEST(MetricsRegistryTest, SameNameAndLabelsReturnTheSameObject) {
  MetricsRegistry r;
  Counter& a = r.GetCounter("strata_ingest_total", "Readings ingested", {{"connector", "plant"}});
  Counter& b = r.GetCounter("strata_ingest_total", "ignored", {{"connector", "plant"}});
  Counter& other = r.GetCounter("strata_ingest_total", "", {{"connector", "lab"}});
  Counter& unlabelled = r.GetCounter("strata_ingest_total", "");
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  EXPECT_NE(&a, &unlabelled);
  EXPECT_EQ(&unlabelled, &r.GetCounter("strata_ingest_total", ""));

  Gauge& g1 = r.GetGauge("strata_queue_bytes", "Queue", {{"queue", "raw"}});
  Gauge& g2 = r.GetGauge("strata_queue_bytes", "Queue", {{"queue", "raw"}});
  EXPECT_EQ(&g1, &g2);
  EXPECT_NE(&g1, &r.GetGauge("strata_queue_bytes", "Queue", {{"queue", "batch"}}));
}

TEST(MetricsRegistryTest, ReferencesStayValidAsTheRegistryGrows) {
  MetricsRegistry r;
  Counter& first = r.GetCounter("first_total", "First");
  Gauge& first_gauge = r.GetGauge("first_gauge", "First");
  for (int i = 0; i < 1000; ++i) {
    r.GetCounter("many_total", "Many", {{"i", std::to_string(i)}}).Add(1);
    r.GetGauge("many_gauge", "Many", {{"i", std::to_string(i)}}).Set(i);
  }
  first.Add(7);
  first_gauge.Set(3);
  EXPECT_EQ(r.Value("first_total"), 7);
  EXPECT_EQ(r.Value("first_gauge"), 3);
  EXPECT_EQ(&first, &r.GetCounter("first_total", "First"));
  EXPECT_EQ(r.Sum("many_total"), 1000);
  EXPECT_EQ(r.Sum("many_gauge"), 999 * 1000 / 2);
}

TEST(MetricsRegistryTest, ValueAndSum) {
  MetricsRegistry r;
  r.GetCounter("c_total", "C", {{"k", "a"}}).Add(2);
  r.GetCounter("c_total", "C", {{"k", "b"}}).Add(5);
  r.GetGauge("g", "G").Set(-1.5);
  r.AddCallbackGauge("cb", "CB", {{"k", "x"}}, [] { return 4.25; });
  r.AddCallbackGauge("cb", "CB", {{"k", "y"}}, [] { return 0.75; });

  EXPECT_EQ(r.Value("c_total", {{"k", "a"}}), 2);
  EXPECT_EQ(r.Value("c_total", {{"k", "b"}}), 5);
  EXPECT_EQ(r.Value("c_total"), 0) << "no unlabelled series";
  EXPECT_EQ(r.Value("c_total", {{"k", "c"}}), 0);
  EXPECT_EQ(r.Value("absent"), 0);
  EXPECT_EQ(r.Value("g"), -1.5);
  EXPECT_EQ(r.Value("cb", {{"k", "x"}}), 4.25);

  EXPECT_EQ(r.Sum("c_total"), 7);
  EXPECT_EQ(r.Sum("cb"), 5);
  EXPECT_EQ(r.Sum("g"), -1.5);
  EXPECT_EQ(r.Sum("absent"), 0);
}

TEST(MetricsRegistryTest, CallbackGaugeIsEvaluatedAtEachRead) {
  MetricsRegistry r;
  double level = 1;
  r.AddCallbackGauge("level", "Level", {}, [&level] { return level; });
  EXPECT_EQ(r.Value("level"), 1);
  level = 8;
  EXPECT_EQ(r.Value("level"), 8);
  EXPECT_THAT(r.RenderPrometheus(), HasSubstr("\nlevel 8\n"));
}

TEST(MetricsRegistryTest, RegisteringACallbackAgainReplacesIt) {
  MetricsRegistry r;
  r.AddCallbackGauge("up", "Up", {{"c", "plant"}}, [] { return 1.0; });
  r.AddCallbackGauge("up", "Up", {{"c", "plant"}}, [] { return 2.0; });
  EXPECT_EQ(r.Value("up", {{"c", "plant"}}), 2);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP up Up\n"
            "# TYPE up gauge\n"
            "up{c=\"plant\"} 2\n");
}

// ---------------------------------------------------------------- Prometheus text

TEST(PrometheusTest, EmptyRegistryRendersNothing) {
  MetricsRegistry r;
  EXPECT_EQ(r.RenderPrometheus(), "");
}

TEST(PrometheusTest, ExactExpositionFormat) {
  MetricsRegistry r;
  r.GetGauge("strata_queue_depth", "Rows waiting for the store").Set(2.5);
  r.GetCounter("strata_ingest_total", "Readings ingested", {{"connector", "plant"}}).Add(3);
  r.GetCounter("strata_ingest_total", "", {{"connector", "lab"}, {"qos", "1"}});
  r.AddCallbackGauge("strata_uptime_seconds", "Seconds since start", {}, [] { return 42.0; });
  // Families in name order, series in registration order, HELP from the first registration.
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP strata_ingest_total Readings ingested\n"
            "# TYPE strata_ingest_total counter\n"
            "strata_ingest_total{connector=\"plant\"} 3\n"
            "strata_ingest_total{connector=\"lab\",qos=\"1\"} 0\n"
            "# HELP strata_queue_depth Rows waiting for the store\n"
            "# TYPE strata_queue_depth gauge\n"
            "strata_queue_depth 2.5\n"
            "# HELP strata_uptime_seconds Seconds since start\n"
            "# TYPE strata_uptime_seconds gauge\n"
            "strata_uptime_seconds 42\n");
}

TEST(PrometheusTest, LabelValuesAreEscaped) {
  MetricsRegistry r;
  r.GetCounter("m_total", "M", {{"path", "C:\\data"}, {"q", "say \"hi\""}, {"nl", "a\nb"}}).Add(1);
  EXPECT_THAT(r.RenderPrometheus(),
              HasSubstr("m_total{path=\"C:\\\\data\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n"));
}

TEST(PrometheusTest, HelpTextIsEscaped) {
  MetricsRegistry r;
  r.GetGauge("g", "first line\nsecond \\ line \"quoted\"").Set(1);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP g first line\\nsecond \\\\ line \"quoted\"\n"
            "# TYPE g gauge\n"
            "g 1\n");
}

// The rendered value of a gauge set to `v`.
std::string Rendered(double v) {
  MetricsRegistry r;
  r.GetGauge("g", "G").Set(v);
  const std::string text = r.RenderPrometheus();
  const std::string prefix = "\ng ";
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return "<missing>";
  return text.substr(at + prefix.size(), text.size() - at - prefix.size() - 1);
}

TEST(PrometheusTest, IntegersAndFloats) {
  EXPECT_EQ(Rendered(0), "0");
  EXPECT_EQ(Rendered(3), "3");
  EXPECT_EQ(Rendered(-2), "-2");
  EXPECT_EQ(Rendered(123456789012345.0), "123456789012345");
  EXPECT_EQ(Rendered(2.5), "2.5");
  EXPECT_EQ(Rendered(0.1), "0.1");
  EXPECT_EQ(Rendered(-0.001), "-0.001");
  EXPECT_EQ(Rendered(1e20), "1e+20");
  EXPECT_EQ(std::stod(Rendered(1e15)), 1e15);
  EXPECT_EQ(std::stod(Rendered(1.0 / 3)), 1.0 / 3) << "shortest text that reads back exactly";
}

TEST(PrometheusTest, NanAndInfinities) {
  EXPECT_EQ(Rendered(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Rendered(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Rendered(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(PrometheusTest, LargeCountersAreExact) {
  MetricsRegistry r;
  // 2^53 + 1 has no exact double.
  r.GetCounter("bytes_total", "Bytes").Add((uint64_t{1} << 53) + 1);
  EXPECT_THAT(r.RenderPrometheus(), HasSubstr("\nbytes_total 9007199254740993\n"));
}

// ---------------------------------------------------------------- threads

TEST(MetricsRegistryTest, ConcurrentUpdatesSumCorrectly) {
  MetricsRegistry r;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, &ready, t] {
      // Every thread registers the same series itself, racing the others.
      Counter& shared = r.GetCounter("ops_total", "Ops");
      Counter& mine = r.GetCounter("ops_by_thread_total", "Ops", {{"t", std::to_string(t)}});
      Gauge& level = r.GetGauge("level", "Level");
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        shared.Add();
        mine.Add(2);
        level.Add(0.5);
        if (i % 5000 == 0) {
          EXPECT_FALSE(r.RenderPrometheus().empty());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.Value("ops_total"), kThreads * kPerThread);
  EXPECT_EQ(r.Sum("ops_by_thread_total"), 2.0 * kThreads * kPerThread);
  EXPECT_EQ(r.Value("ops_by_thread_total", {{"t", "3"}}), 2.0 * kPerThread);
  EXPECT_EQ(r.Value("level"), 0.5 * kThreads * kPerThread);
}

}  // namespace
}  // namespace strata
