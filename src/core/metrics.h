// Metrics: counters and gauges rendered as Prometheus text (exposition format 0.0.4).
//
// Registration takes a lock and returns a reference that stays valid for the registry's
// lifetime; updating a Counter or Gauge is lock-free and safe from any thread. Render may run
// concurrently with updates.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace strata {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class MetricsRegistry {
 public:
  // The same (name, labels) returns the same object. `help` is taken from the first call.
  Counter& GetCounter(const std::string& name, const std::string& help,
                      const MetricLabels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help,
                  const MetricLabels& labels = {});
  // A gauge computed when rendered. `fn` must be safe to call from the rendering thread and
  // must not call back into the registry (it runs under the registry's lock). Registering the
  // same (name, labels) again replaces the callback.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        const MetricLabels& labels, std::function<double()> fn);

  std::string RenderPrometheus() const;

  // Current value of a counter or gauge (0 if absent); for tests and summaries.
  double Value(const std::string& name, const MetricLabels& labels = {}) const;
  // Sum over every label set of `name`.
  double Sum(const std::string& name) const;

 private:
  enum class Type { kCounter, kGauge };
  struct Series {
    MetricLabels labels;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    std::function<double()> callback;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<Series> series;
  };
  Series* FindSeries(const std::string& name, const MetricLabels& labels);
  const Series* FindSeries(const std::string& name, const MetricLabels& labels) const;
  static double SeriesValue(const Series& s);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
};

}  // namespace strata
