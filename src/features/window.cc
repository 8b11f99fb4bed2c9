#include "features/window.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace strata::features {

namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Time of sample `i` of a block that starts at `ts_ns`: the one definition every window uses.
int64_t SampleTime(int64_t ts_ns, double rate_hz, size_t i) {
  return ts_ns + static_cast<int64_t>(std::llround(static_cast<double>(i) * 1e9 / rate_hz));
}

// The smallest i in [0, n] with SampleTime(i) >= t.
size_t FirstSampleAtOrAfter(int64_t ts_ns, double rate_hz, size_t n, int64_t t) {
  if (t <= ts_ns) return 0;
  const double estimate = std::ceil(static_cast<double>(t - ts_ns) * rate_hz / 1e9);
  size_t i = estimate >= static_cast<double>(n) ? n : static_cast<size_t>(estimate);
  while (i > 0 && SampleTime(ts_ns, rate_hz, i - 1) >= t) --i;
  while (i < n && SampleTime(ts_ns, rate_hz, i) < t) ++i;
  return i;
}

}  // namespace

// One buffered observation.
struct Entry {
  int64_t ts_ns = 0;
  int64_t last_ns = 0;  // time of the last sample (== ts_ns for a scalar)
  uint64_t seq = 0;
  double value = 0;
  std::shared_ptr<const WaveformBlock> block;
  bool bad = false;

  size_t size() const { return block ? block->samples.size() : 1; }
  bool operator<(const Entry& o) const { return ts_ns != o.ts_ns ? ts_ns < o.ts_ns : seq < o.seq; }
};

struct WindowAssembler::AssetState {
  const Asset* asset = nullptr;
  int64_t watermark = kMinTime;
  // Every window with end <= horizon has completed (time windows); no sample before it can
  // still arrive (count windows).
  int64_t horizon = kMinTime;
  std::vector<std::vector<Entry>> buffer;  // per signal, ordered by (ts, seq)
  std::vector<size_t> buffered_samples;    // per signal
  // Count windows: global index of the first sample of buffer[count_index_][0], and the index
  // of the next window.
  int64_t base = 0;
  int64_t next_window = 0;
  int64_t count_end = kMinTime;  // end of the last emitted count window
};

const WindowSignal* CompletedWindow::Find(std::string_view name) const {
  for (const auto& s : signals) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

WindowAssembler::WindowAssembler(std::shared_ptr<const AssetModel> model, const AssetType& type,
                                 const WindowSpec& spec, std::vector<std::string> signals,
                                 Options options)
    : model_(std::move(model)),
      type_(type),
      spec_(spec),
      signal_names_(std::move(signals)),
      options_(options) {}

WindowAssembler::~WindowAssembler() = default;

StatusOr<std::unique_ptr<WindowAssembler>> WindowAssembler::Create(
    std::shared_ptr<const AssetModel> model, const AssetType& type, const WindowSpec& spec,
    std::vector<std::string> signals, Options options) {
  if (spec.kind == WindowSpec::Kind::kTime &&
      !(spec.length_ns > 0 && spec.step_ns > 0 && spec.step_ns <= spec.length_ns)) {
    return InvalidArgumentError("window: need length > 0 and 0 < step <= length");
  }
  if (spec.kind == WindowSpec::Kind::kCount &&
      !(spec.samples > 0 && spec.step_samples > 0 && spec.step_samples <= spec.samples)) {
    return InvalidArgumentError("window: need samples > 0 and 0 < step <= samples");
  }
  if (options.max_samples_per_signal == 0) {
    return InvalidArgumentError("window: max_samples_per_signal must be > 0");
  }
  if (spec.kind == WindowSpec::Kind::kCount &&
      std::find(signals.begin(), signals.end(), spec.count_signal) == signals.end()) {
    signals.push_back(spec.count_signal);
  }
  std::unique_ptr<WindowAssembler> w(
      new WindowAssembler(std::move(model), type, spec, std::move(signals), options));
  w->index_of_type_signal_.assign(type.signals.size(), -1);
  for (size_t i = 0; i < w->signal_names_.size(); ++i) {
    const SignalSpec* s = type.FindSignal(w->signal_names_[i]);
    if (s == nullptr) {
      return InvalidArgumentError(fmt::format("window: asset type '{}' has no signal '{}'",
                                              type.name, w->signal_names_[i]));
    }
    w->is_waveform_.push_back(s->kind == SignalKind::kWaveform);
    w->index_of_type_signal_[type.signal_index.at(s->name)] = static_cast<int>(i);
    if (spec.kind == WindowSpec::Kind::kCount && w->signal_names_[i] == spec.count_signal) {
      w->count_index_ = static_cast<int>(i);
    }
  }
  return w;
}

void WindowAssembler::Add(std::span<const Observation> observations,
                          std::vector<CompletedWindow>* out) {
  // One observation at a time, advancing after each: the outcome depends on the order of
  // arrival, never on how the observations were grouped into calls.
  for (const Observation& obs : observations) AddOne(obs, out);
}

void WindowAssembler::Flush(int64_t now_ns, std::vector<CompletedWindow>* out) {
  for (auto& [asset, state] : assets_) Advance(*state, now_ns, out);
}

void WindowAssembler::AddOne(const Observation& obs, std::vector<CompletedWindow>* out) {
  if (obs.signal >= model_->signal_count()) {
    ++counters_.ignored;
    return;
  }
  const SignalInfo& info = model_->signal(obs.signal);
  if (info.asset->type != &type_) {
    ++counters_.ignored;
    return;
  }
  const int index = index_of_type_signal_[obs.signal - info.asset->first_signal];
  const bool waveform = index >= 0 && is_waveform_[static_cast<size_t>(index)];
  if (index < 0 || waveform != obs.is_block() || (waveform && !(obs.block->sample_rate_hz > 0))) {
    ++counters_.ignored;
    return;
  }
  auto& slot = assets_[info.asset];
  if (!slot) {
    slot = std::make_unique<AssetState>();
    slot->asset = info.asset;
    slot->buffer.resize(signal_names_.size());
    slot->buffered_samples.resize(signal_names_.size());
  }
  AssetState& state = *slot;

  Entry e;
  e.ts_ns = obs.ts_ns;
  e.seq = obs.seq;
  e.value = obs.value;
  e.block = obs.block;
  e.last_ns = waveform && !obs.block->samples.empty()
                  ? SampleTime(obs.ts_ns, obs.block->sample_rate_hz, obs.block->samples.size() - 1)
                  : obs.ts_ns;
  e.bad = obs.quality == Quality::kBad || (!waveform && !std::isfinite(obs.value)) ||
          (waveform && obs.block->samples.empty());
  state.watermark = std::max(state.watermark, e.last_ns);

  bool late = false;
  if (spec_.kind == WindowSpec::Kind::kTime) {
    // Too late when the last window holding the last sample has completed.
    late = state.horizon != kMinTime &&
           FloorDiv(e.last_ns, spec_.step_ns) * spec_.step_ns + spec_.length_ns <= state.horizon;
  } else {
    // Count windows: before the end of the last emitted window (it would change which samples
    // earlier windows counted).
    late = e.ts_ns < state.count_end;
  }
  if (e.bad) ++counters_.bad_quality;
  if (late) {
    if (!e.bad) ++counters_.too_late;
  } else {
    const size_t i = static_cast<size_t>(index);
    // The buffer of one signal holds at most the windows that overlap (length / step) plus
    // the one being filled, each at most max_samples_per_signal.
    const size_t overlap =
        spec_.kind == WindowSpec::Kind::kTime
            ? static_cast<size_t>((spec_.length_ns + spec_.step_ns - 1) / spec_.step_ns) + 1
            : 2;
    const size_t cap = options_.max_samples_per_signal * overlap;
    if (!e.bad && state.buffered_samples[i] >= cap) {
      counters_.dropped_samples += e.size();
    } else {
      if (!e.bad) {
        state.buffered_samples[i] += e.size();
        ++counters_.accepted;
      }
      auto& buf = state.buffer[i];
      buf.insert(std::upper_bound(buf.begin(), buf.end(), e), std::move(e));
    }
  }
  if (state.watermark != kMinTime) {
    const int64_t lateness = options_.allowed_lateness_ns;
    const int64_t h = state.watermark < kMinTime + lateness ? kMinTime : state.watermark - lateness;
    Advance(state, h, out);
  }
}

void WindowAssembler::Advance(AssetState& state, int64_t horizon,
                              std::vector<CompletedWindow>* out) {
  if (horizon <= state.horizon) return;
  if (spec_.kind == WindowSpec::Kind::kTime) {
    AdvanceTime(state, horizon, out);
  } else {
    AdvanceCount(state, horizon, out);
  }
  state.horizon = horizon;
}

namespace {

// Removes entries whose last sample is before `t`; returns how many good samples went.
void EvictBefore(std::vector<Entry>& buf, size_t* buffered, int64_t t) {
  auto keep =
      std::stable_partition(buf.begin(), buf.end(), [t](const Entry& e) { return e.last_ns >= t; });
  for (auto it = keep; it != buf.end(); ++it) {
    if (!it->bad) *buffered -= it->size();
  }
  buf.erase(keep, buf.end());
}

}  // namespace

void WindowAssembler::AdvanceTime(AssetState& state, int64_t horizon,
                                  std::vector<CompletedWindow>* out) {
  const int64_t step = spec_.step_ns;
  const int64_t length = spec_.length_ns;
  const int64_t previous = state.horizon;
  while (true) {
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (const auto& buf : state.buffer) {
      for (const Entry& e : buf) {
        if (!e.bad) {
          earliest = std::min(earliest, e.ts_ns);
          break;  // ordered by ts
        }
      }
    }
    if (earliest == std::numeric_limits<int64_t>::max()) break;
    // The first window that holds `earliest` and has not completed.
    int64_t k = FloorDiv(earliest - length, step) + 1;
    if (state.horizon != kMinTime) k = std::max(k, FloorDiv(state.horizon - length, step) + 1);
    const int64_t start = k * step;
    const int64_t end = start + length;
    if (end > horizon) break;
    CompletedWindow w = Build(state, start, end, -1, 0, 0);
    if (w.observations > 0) {
      ++counters_.windows;
      out->push_back(std::move(w));
    }
    state.horizon = end;
    for (size_t i = 0; i < state.buffer.size(); ++i) {
      EvictBefore(state.buffer[i], &state.buffered_samples[i], start + step);
    }
  }
  // Entries (bad ones; good ones went with their windows) whose every window has completed;
  // only when the horizon passed a window end, so that in-order data costs O(1) per reading.
  if (previous != kMinTime &&
      FloorDiv(previous - length, step) == FloorDiv(horizon - length, step)) {
    return;
  }
  for (size_t i = 0; i < state.buffer.size(); ++i) {
    auto& buf = state.buffer[i];
    auto keep = std::stable_partition(buf.begin(), buf.end(), [&](const Entry& e) {
      return FloorDiv(e.last_ns, step) * step + length > horizon;
    });
    for (auto it = keep; it != buf.end(); ++it) {
      if (!it->bad) state.buffered_samples[i] -= it->size();
    }
    buf.erase(keep, buf.end());
  }
}

void WindowAssembler::AdvanceCount(AssetState& state, int64_t horizon,
                                   std::vector<CompletedWindow>* out) {
  const size_t ci = static_cast<size_t>(count_index_);
  auto& counted = state.buffer[ci];
  // Bad observations of the counted signal are not samples: count them and let them go.
  auto good =
      std::stable_partition(counted.begin(), counted.end(), [](const Entry& e) { return !e.bad; });
  counted.erase(good, counted.end());

  // Time of global sample index g, or nullopt when not buffered.
  auto locate = [&](int64_t g) -> std::optional<int64_t> {
    int64_t index = state.base;
    for (const Entry& e : counted) {
      const int64_t n = static_cast<int64_t>(e.size());
      if (g < index + n) {
        return e.block
                   ? SampleTime(e.ts_ns, e.block->sample_rate_hz, static_cast<size_t>(g - index))
                   : e.ts_ns;
      }
      index += n;
    }
    return std::nullopt;
  };
  while (true) {
    const int64_t g0 = state.next_window * spec_.step_samples;
    const int64_t g1 = g0 + spec_.samples;
    auto first = locate(g0);
    auto last = locate(g1 - 1);
    if (!first || !last) break;
    const int64_t start = *first;
    const int64_t end = *last + 1;
    if (end > horizon) break;
    CompletedWindow w = Build(state, start, end, static_cast<int>(ci), g0, g1);
    ++counters_.windows;
    out->push_back(std::move(w));
    state.count_end = end;
    ++state.next_window;
    const int64_t next_g0 = state.next_window * spec_.step_samples;
    while (!counted.empty() &&
           state.base + static_cast<int64_t>(counted.front().size()) <= next_g0) {
      state.base += static_cast<int64_t>(counted.front().size());
      state.buffered_samples[ci] -= counted.front().size();
      counted.erase(counted.begin());
    }
    // Other signals: what lies before the next window's first sample can serve no window.
    const int64_t next_start = locate(next_g0).value_or(end);
    for (size_t i = 0; i < state.buffer.size(); ++i) {
      if (i != ci) EvictBefore(state.buffer[i], &state.buffered_samples[i], next_start);
    }
  }
}

CompletedWindow WindowAssembler::Build(AssetState& state, int64_t start_ns, int64_t end_ns,
                                       int count_signal, int64_t g0, int64_t g1) {
  CompletedWindow w;
  w.asset = state.asset;
  w.start_ns = start_ns;
  w.end_ns = end_ns;
  w.signals.resize(signal_names_.size());
  uint64_t min_seq = std::numeric_limits<uint64_t>::max();
  uint64_t max_seq = 0;
  const size_t cap = options_.max_samples_per_signal;
  for (size_t i = 0; i < signal_names_.size(); ++i) {
    WindowSignal& out = w.signals[i];
    out.name = signal_names_[i];
    int64_t index = state.base;  // count signal: global index of the entry's first sample
    for (const Entry& e : state.buffer[i]) {
      const int64_t entry_first = index;
      index += static_cast<int64_t>(e.size());
      if (e.bad) {
        if (e.ts_ns >= start_ns && e.ts_ns < end_ns) ++w.bad_quality;
        continue;
      }
      size_t used = 0;
      if (static_cast<int>(i) == count_signal) {
        const int64_t lo = std::max(g0, entry_first);
        const int64_t hi = std::min(g1, index);
        if (lo >= hi) continue;
        if (e.block) {
          const size_t off = static_cast<size_t>(lo - entry_first);
          size_t n = static_cast<size_t>(hi - lo);
          if (out.samples + n > cap) {
            out.dropped += out.samples + n - cap;
            n = cap - out.samples;
          }
          if (n == 0) continue;
          out.parts.push_back(WaveformPart{SampleTime(e.ts_ns, e.block->sample_rate_hz, off),
                                           e.block->sample_rate_hz, e.block, off, n, e.seq});
          used = n;
        } else if (out.samples < cap) {
          out.scalars.push_back(ScalarSample{e.ts_ns, e.value, e.seq});
          used = 1;
        } else {
          ++out.dropped;
        }
      } else if (e.block) {
        const double rate = e.block->sample_rate_hz;
        const size_t n_all = e.block->samples.size();
        const size_t lo = FirstSampleAtOrAfter(e.ts_ns, rate, n_all, start_ns);
        const size_t hi = FirstSampleAtOrAfter(e.ts_ns, rate, n_all, end_ns);
        if (lo >= hi) continue;
        size_t n = hi - lo;
        if (out.samples + n > cap) {
          out.dropped += out.samples + n - cap;
          n = cap - out.samples;
        }
        if (n == 0) continue;
        out.parts.push_back(
            WaveformPart{SampleTime(e.ts_ns, rate, lo), rate, e.block, lo, n, e.seq});
        used = n;
      } else {
        if (e.ts_ns < start_ns || e.ts_ns >= end_ns) continue;
        if (out.samples < cap) {
          out.scalars.push_back(ScalarSample{e.ts_ns, e.value, e.seq});
          used = 1;
        } else {
          ++out.dropped;
        }
      }
      if (used > 0) {
        out.samples += used;
        ++w.observations;
        min_seq = std::min(min_seq, e.seq);
        max_seq = std::max(max_seq, e.seq);
      }
    }
    counters_.dropped_samples += out.dropped;
  }
  if (w.observations > 0) {
    w.first_seq = min_seq;
    w.last_seq = max_seq;
  }
  return w;
}

}  // namespace strata::features
