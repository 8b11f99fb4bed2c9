#include "core/metrics.h"

#include <cmath>

#include <fmt/format.h>

namespace strata {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HELP text escapes only backslash and line feed (exposition format 0.0.4).
std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

MetricsRegistry::Series* MetricsRegistry::FindSeries(const std::string& name,
                                                     const MetricLabels& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) return nullptr;
  for (auto& s : it->second.series) {
    if (s.labels == labels) return &s;
  }
  return nullptr;
}

const MetricsRegistry::Series* MetricsRegistry::FindSeries(const std::string& name,
                                                           const MetricLabels& labels) const {
  return const_cast<MetricsRegistry*>(this)->FindSeries(name, labels);
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  if (Series* s = FindSeries(name, labels); s && s->counter) return *s->counter;
  auto& family = families_.try_emplace(name, Family{Type::kCounter, help, {}}).first->second;
  Series s;
  s.labels = labels;
  s.counter = &counters_.emplace_back();
  family.series.push_back(std::move(s));
  return *family.series.back().counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  if (Series* s = FindSeries(name, labels); s && s->gauge) return *s->gauge;
  auto& family = families_.try_emplace(name, Family{Type::kGauge, help, {}}).first->second;
  Series s;
  s.labels = labels;
  s.gauge = &gauges_.emplace_back();
  family.series.push_back(std::move(s));
  return *family.series.back().gauge;
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       const MetricLabels& labels, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  // Registering again (e.g. a restarted component) replaces the callback: one series per
  // label set, and the old callback, which may point at a destroyed object, is dropped.
  if (Series* s = FindSeries(name, labels); s && s->callback) {
    s->callback = std::move(fn);
    return;
  }
  auto& family = families_.try_emplace(name, Family{Type::kGauge, help, {}}).first->second;
  Series s;
  s.labels = labels;
  s.callback = std::move(fn);
  family.series.push_back(std::move(s));
}

double MetricsRegistry::SeriesValue(const Series& s) {
  if (s.counter) return static_cast<double>(s.counter->value());
  if (s.gauge) return s.gauge->value();
  if (s.callback) return s.callback();
  return 0;
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(family.help), name,
                       family.type == Type::kCounter ? "counter" : "gauge");
    for (const auto& s : family.series) {
      out += name;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += fmt::format("{}=\"{}\"", s.labels[i].first, EscapeLabel(s.labels[i].second));
        }
        out += '}';
      }
      out += ' ';
      // Counters are integers: written exactly, also beyond 2^53 where a double rounds.
      out += s.counter ? fmt::format("{}", s.counter->value()) : FormatValue(SeriesValue(s));
      out += '\n';
    }
  }
  return out;
}

double MetricsRegistry::Value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard lock(mu_);
  const Series* s = FindSeries(name, labels);
  return s ? SeriesValue(*s) : 0;
}

double MetricsRegistry::Sum(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  double total = 0;
  for (const auto& s : it->second.series) total += SeriesValue(s);
  return total;
}

}  // namespace strata
