#include "features/process_features.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::features {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double Mean(std::span<const ScalarSample> x) {
  if (x.empty()) return kNaN;
  double sum = 0;
  for (const auto& s : x) sum += s.value;
  return sum / static_cast<double>(x.size());
}

double StdDev(std::span<const ScalarSample> x) {
  if (x.empty()) return kNaN;
  const double mean = Mean(x);
  double sum = 0;
  for (const auto& s : x) sum += (s.value - mean) * (s.value - mean);
  return std::sqrt(sum / static_cast<double>(x.size()));
}

double Min(std::span<const ScalarSample> x) {
  if (x.empty()) return kNaN;
  double m = x[0].value;
  for (const auto& s : x) m = std::min(m, s.value);
  return m;
}

double Max(std::span<const ScalarSample> x) {
  if (x.empty()) return kNaN;
  double m = x[0].value;
  for (const auto& s : x) m = std::max(m, s.value);
  return m;
}

double Slope(std::span<const ScalarSample> x) {
  if (x.size() < 2) return kNaN;
  // Times in seconds relative to the first reading, centred: well conditioned at epoch ns.
  const int64_t t0 = x[0].ts_ns;
  double t_mean = 0, v_mean = 0;
  for (const auto& s : x) {
    t_mean += static_cast<double>(s.ts_ns - t0) * 1e-9;
    v_mean += s.value;
  }
  const double n = static_cast<double>(x.size());
  t_mean /= n;
  v_mean /= n;
  double stt = 0, stv = 0;
  for (const auto& s : x) {
    const double dt = static_cast<double>(s.ts_ns - t0) * 1e-9 - t_mean;
    stt += dt * dt;
    stv += dt * (s.value - v_mean);
  }
  return stt > 0 ? stv / stt : kNaN;
}

double Last(std::span<const ScalarSample> x) { return x.empty() ? kNaN : x.back().value; }

}  // namespace strata::features
