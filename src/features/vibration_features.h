// Vibration features of waveform samples: time-domain statistics, band energies from an FFT,
// and envelope-spectrum amplitudes at bearing defect frequencies. FFTs are KissFFT (float):
// expect relative differences of about 1e-5 from a double-precision reference.
//
// Definitions (x: samples in the signal's unit, n samples, fs sample rate in Hz):
//   rms          sqrt(mean(x^2))                 (not mean-removed)
//   peak         max |x|
//   peak_to_peak max x - min x
//   crest_factor peak / rms
//   kurtosis     m4 / m2^2, Pearson (non-excess; 3 for Gaussian noise, 1.5 for a sine),
//                with m_k = mean((x - mean x)^k), as scipy.stats.kurtosis(fisher=False)
//   skewness     m3 / m2^1.5, as scipy.stats.skew (biased)
//   band energy  mean-square energy in [low_hz, high_hz): with X = DFT(x),
//                E = 1/n^2 * sum over bins k with k*fs/n in the band of w_k |X_k|^2,
//                w_k = 1 at DC and at Nyquist, 2 elsewhere (k <= n/2). Rectangular window. By
//                Parseval, bands that tile [0, fs/2] add up to mean(x^2). Unit: unit^2.
//   envelope     the amplitude of the envelope spectrum at frequency f: the analytic signal
//                of x by FFT (the Hilbert transform, as scipy.signal.hilbert; optionally
//                band-passed to [low_hz, high_hz) by zeroing the other bins first), its
//                magnitude (the envelope) minus its mean, then the one-sided amplitude
//                spectrum 2|E_k|/n; the result is the largest amplitude among the bins within
//                max(tolerance * f, 2 bins) of f. Unit: the signal's unit. NaN when f is 0,
//                not finite, or above fs/2.
//
// Threading: SpectrumWorkspace caches FFT plans and buffers; one per thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "features/window.h"

namespace strata::features {

struct WaveformStats {
  double rms = 0;
  double peak = 0;
  double peak_to_peak = 0;
  double crest_factor = 0;
  double kurtosis = 0;
  double skewness = 0;
  size_t n = 0;
};

// Statistics over all samples of all parts together. Every field NaN when there are no
// samples; crest factor NaN when rms is 0, kurtosis and skewness NaN when the variance is 0.
WaveformStats ComputeWaveformStats(std::span<const WaveformPart> parts);
WaveformStats ComputeWaveformStats(std::span<const float> x);

class SpectrumWorkspace {
 public:
  SpectrumWorkspace();
  ~SpectrumWorkspace();
  SpectrumWorkspace(const SpectrumWorkspace&) = delete;
  SpectrumWorkspace& operator=(const SpectrumWorkspace&) = delete;

  // Mean-square energy of x in [low_hz, high_hz) (see above). NaN when x is empty.
  double BandEnergy(std::span<const float> x, double fs, double low_hz, double high_hz);

  // Envelope-spectrum amplitude at `freq_hz` (see above); `band_high_hz` 0: no band-pass.
  double EnvelopeAmplitude(std::span<const float> x, double fs, double freq_hz, double tolerance,
                           double band_low_hz = 0, double band_high_hz = 0);

 private:
  struct Plan;
  Plan& PlanFor(size_t n, bool inverse);
  std::map<std::pair<size_t, bool>, std::unique_ptr<Plan>> plans_;
};

// Over several parts (blocks) of a window: each part is transformed on its own and the
// results are averaged weighted by the parts' sample counts. NaN when no part has data.
double BandEnergy(SpectrumWorkspace& ws, std::span<const WaveformPart> parts, double low_hz,
                  double high_hz);
double EnvelopeAmplitude(SpectrumWorkspace& ws, std::span<const WaveformPart> parts, double freq_hz,
                         double tolerance, double band_low_hz, double band_high_hz);

}  // namespace strata::features
