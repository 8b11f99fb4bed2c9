#include "features/vibration_features.h"

#include <kiss_fft.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::features {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Running sums for the pooled statistics: a first pass for the mean, a second for the
// central moments (two passes keep the kurtosis of a signal with a large offset accurate).
WaveformStats StatsOf(std::span<const std::span<const float>> runs) {
  WaveformStats st;
  double sum = 0, sum_sq = 0;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  size_t n = 0;
  for (auto run : runs) {
    for (float f : run) {
      const double v = f;
      sum += v;
      sum_sq += v * v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    n += run.size();
  }
  st.n = n;
  if (n == 0) {
    st.rms = st.peak = st.peak_to_peak = st.crest_factor = st.kurtosis = st.skewness = kNaN;
    return st;
  }
  const double count = static_cast<double>(n);
  const double mean = sum / count;
  double m2 = 0, m3 = 0, m4 = 0;
  for (auto run : runs) {
    for (float f : run) {
      const double d = f - mean;
      const double d2 = d * d;
      m2 += d2;
      m3 += d2 * d;
      m4 += d2 * d2;
    }
  }
  m2 /= count;
  m3 /= count;
  m4 /= count;
  st.rms = std::sqrt(sum_sq / count);
  st.peak = std::max(std::abs(lo), std::abs(hi));
  st.peak_to_peak = hi - lo;
  st.crest_factor = st.rms > 0 ? st.peak / st.rms : kNaN;
  st.kurtosis = m2 > 0 ? m4 / (m2 * m2) : kNaN;
  st.skewness = m2 > 0 ? m3 / std::pow(m2, 1.5) : kNaN;
  return st;
}

}  // namespace

WaveformStats ComputeWaveformStats(std::span<const WaveformPart> parts) {
  std::vector<std::span<const float>> runs;
  runs.reserve(parts.size());
  for (const auto& p : parts) runs.push_back(p.samples());
  return StatsOf(runs);
}

WaveformStats ComputeWaveformStats(std::span<const float> x) {
  const std::span<const float> runs[] = {x};
  return StatsOf(runs);
}

struct SpectrumWorkspace::Plan {
  Plan(size_t size, bool inverse)
      : n(size), cfg(kiss_fft_alloc(static_cast<int>(size), inverse ? 1 : 0, nullptr, nullptr)) {}
  ~Plan() { kiss_fft_free(cfg); }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  void Run(const std::vector<kiss_fft_cpx>& in, std::vector<kiss_fft_cpx>* out) {
    out->resize(n);
    kiss_fft(cfg, in.data(), out->data());
  }

  size_t n;
  kiss_fft_cfg cfg;
};

SpectrumWorkspace::SpectrumWorkspace() = default;
SpectrumWorkspace::~SpectrumWorkspace() = default;

SpectrumWorkspace::Plan& SpectrumWorkspace::PlanFor(size_t n, bool inverse) {
  auto& p = plans_[{n, inverse}];
  if (!p) p = std::make_unique<Plan>(n, inverse);
  return *p;
}

namespace {

std::vector<kiss_fft_cpx> ToComplex(std::span<const float> x) {
  std::vector<kiss_fft_cpx> c(x.size());
  for (size_t i = 0; i < x.size(); ++i) c[i] = kiss_fft_cpx{x[i], 0.0f};
  return c;
}

double Power(const kiss_fft_cpx& c) {
  return static_cast<double>(c.r) * c.r + static_cast<double>(c.i) * c.i;
}

}  // namespace

double SpectrumWorkspace::BandEnergy(std::span<const float> x, double fs, double low_hz,
                                     double high_hz) {
  const size_t n = x.size();
  if (n == 0 || !(fs > 0)) return kNaN;
  std::vector<kiss_fft_cpx> spectrum;
  PlanFor(n, false).Run(ToComplex(x), &spectrum);
  double energy = 0;
  for (size_t k = 0; k <= n / 2; ++k) {
    const double f = static_cast<double>(k) * fs / static_cast<double>(n);
    if (f < low_hz || f >= high_hz) continue;
    const bool single = k == 0 || (n % 2 == 0 && k == n / 2);
    energy += (single ? 1.0 : 2.0) * Power(spectrum[k]);
  }
  return energy / (static_cast<double>(n) * static_cast<double>(n));
}

double SpectrumWorkspace::EnvelopeAmplitude(std::span<const float> x, double fs, double freq_hz,
                                            double tolerance, double band_low_hz,
                                            double band_high_hz) {
  const size_t n = x.size();
  if (n < 4 || !(fs > 0) || !(freq_hz > 0) || !std::isfinite(freq_hz) || freq_hz > fs / 2) {
    return kNaN;
  }
  const double bin_hz = fs / static_cast<double>(n);
  // Analytic signal: keep DC (and Nyquist) once, double the positive frequencies, drop the
  // negative ones; optionally only the bins of the band.
  std::vector<kiss_fft_cpx> spectrum;
  PlanFor(n, false).Run(ToComplex(x), &spectrum);
  const bool band = band_high_hz > 0;
  for (size_t k = 0; k < n; ++k) {
    double h = 0;
    if (k == 0 || (n % 2 == 0 && k == n / 2)) {
      h = 1;
    } else if (k < (n + 1) / 2) {
      h = 2;
    }
    if (band && h != 0) {
      const double f = static_cast<double>(k) * bin_hz;
      if (f < band_low_hz || f >= band_high_hz) h = 0;
    }
    spectrum[k].r = static_cast<float>(spectrum[k].r * h);
    spectrum[k].i = static_cast<float>(spectrum[k].i * h);
  }
  std::vector<kiss_fft_cpx> analytic;
  PlanFor(n, true).Run(spectrum, &analytic);  // unnormalised: n * a(t)
  std::vector<double> env(n);
  double mean = 0;
  for (size_t i = 0; i < n; ++i) {
    env[i] = std::sqrt(Power(analytic[i])) / static_cast<double>(n);
    mean += env[i];
  }
  mean /= static_cast<double>(n);
  std::vector<kiss_fft_cpx> env_c(n);
  for (size_t i = 0; i < n; ++i) env_c[i] = kiss_fft_cpx{static_cast<float>(env[i] - mean), 0.0f};
  std::vector<kiss_fft_cpx> env_spectrum;
  PlanFor(n, false).Run(env_c, &env_spectrum);
  const double half_width = std::max(tolerance * freq_hz, 2 * bin_hz);
  double best = 0;
  bool any = false;
  for (size_t k = 1; k < (n + 1) / 2; ++k) {
    const double f = static_cast<double>(k) * bin_hz;
    if (std::abs(f - freq_hz) > half_width) continue;
    best = std::max(best, 2.0 * std::sqrt(Power(env_spectrum[k])) / static_cast<double>(n));
    any = true;
  }
  return any ? best : kNaN;
}

double BandEnergy(SpectrumWorkspace& ws, std::span<const WaveformPart> parts, double low_hz,
                  double high_hz) {
  double sum = 0;
  size_t n = 0;
  for (const auto& p : parts) {
    const double e = ws.BandEnergy(p.samples(), p.sample_rate_hz, low_hz, high_hz);
    if (std::isnan(e)) continue;
    sum += e * static_cast<double>(p.count);
    n += p.count;
  }
  return n > 0 ? sum / static_cast<double>(n) : kNaN;
}

double EnvelopeAmplitude(SpectrumWorkspace& ws, std::span<const WaveformPart> parts, double freq_hz,
                         double tolerance, double band_low_hz, double band_high_hz) {
  double sum = 0;
  size_t n = 0;
  for (const auto& p : parts) {
    const double a = ws.EnvelopeAmplitude(p.samples(), p.sample_rate_hz, freq_hz, tolerance,
                                          band_low_hz, band_high_hz);
    if (std::isnan(a)) continue;
    sum += a * static_cast<double>(p.count);
    n += p.count;
  }
  return n > 0 ? sum / static_cast<double>(n) : kNaN;
}

}  // namespace strata::features
