#include "features/window.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace strata::features {
namespace {

constexpr int64_t kSec = 1'000'000'000;

std::shared_ptr<const AssetModel> TestModel() {
  auto doc = ConfigDocument::Parse(
      "asset_types:\n"
      "  m:\n"
      "    signals:\n"
      "      a: {unit: Cel}\n"
      "      b: {unit: A}\n"
      "      w: {unit: m/s2, kind: waveform}\n"
      "  other:\n"
      "    signals:\n"
      "      a: {unit: Cel}\n"
      "assets:\n"
      "  - {path: x/m1, type: m}\n"
      "  - {path: x/m2, type: m}\n"
      "  - {path: x/o1, type: other}\n",
      "assets.yaml");
  EXPECT_TRUE(doc.ok());
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

class WindowTest : public ::testing::Test {
 protected:
  std::unique_ptr<WindowAssembler> Make(const WindowSpec& spec,
                                        WindowAssembler::Options options = {}) {
    auto w =
        WindowAssembler::Create(model_, *model_->FindType("m"), spec, {"a", "b", "w"}, options);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }

  Observation Scalar(const std::string& asset, const std::string& signal, int64_t ts, double value,
                     Quality q = Quality::kGood) {
    Observation o;
    o.signal = model_->Find(asset, signal);
    o.ts_ns = ts;
    o.value = value;
    o.quality = q;
    o.seq = ++seq_;
    return o;
  }

  Observation Block(const std::string& asset, int64_t ts, double rate, size_t n, float first = 0) {
    auto block = std::make_shared<WaveformBlock>();
    block->sample_rate_hz = rate;
    for (size_t i = 0; i < n; ++i) block->samples.push_back(first + static_cast<float>(i));
    Observation o;
    o.signal = model_->Find(asset, "w");
    o.ts_ns = ts;
    o.block = block;
    o.seq = ++seq_;
    return o;
  }

  std::shared_ptr<const AssetModel> model_ = TestModel();
  uint64_t seq_ = 0;
};

WindowSpec Time(int64_t length, int64_t step) {
  WindowSpec s;
  s.length_ns = length;
  s.step_ns = step;
  return s;
}

// A compact, comparable description of a window.
std::string Describe(const CompletedWindow& w) {
  std::string out = fmt::format("{} [{}, {}) seq {}..{} obs {} bad {}", w.asset->path, w.start_ns,
                                w.end_ns, w.first_seq, w.last_seq, w.observations, w.bad_quality);
  for (const auto& s : w.signals) {
    out += fmt::format(" | {}:{}", s.name, s.samples);
    for (const auto& x : s.scalars) out += fmt::format(" {}@{}#{}", x.value, x.ts_ns, x.seq);
    for (const auto& p : s.parts) out += fmt::format(" [{}+{}@{}]", p.offset, p.count, p.ts_ns);
  }
  return out;
}

std::vector<std::string> Describe(const std::vector<CompletedWindow>& ws) {
  std::vector<std::string> out;
  for (const auto& w : ws) out.push_back(Describe(w));
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(WindowTest, TumblingWindowsOnTheEpochGridCompleteAfterLateness) {
  auto w = Make(Time(60 * kSec, 60 * kSec), {.allowed_lateness_ns = 5 * kSec});
  std::vector<CompletedWindow> out;
  std::vector<Observation> obs;
  for (int t = 17; t < 150; ++t) obs.push_back(Scalar("x/m1", "a", t * kSec, t));
  w->Add(obs, &out);
  // Watermark 149 s - 5 s lateness: [0, 60) and [60, 120) are complete, [120, 180) is not.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].asset->path, "x/m1");
  EXPECT_EQ(out[0].start_ns, 0);
  EXPECT_EQ(out[0].end_ns, 60 * kSec);
  EXPECT_EQ(out[0].signals[0].samples, 43u);  // 17 .. 59
  EXPECT_EQ(out[0].first_seq, 1u);
  EXPECT_EQ(out[0].last_seq, 43u);
  EXPECT_EQ(out[1].start_ns, 60 * kSec);
  EXPECT_EQ(out[1].signals[0].samples, 60u);
  EXPECT_EQ(out[1].signals[0].scalars.front().value, 60);
  EXPECT_EQ(out[1].signals[0].scalars.back().value, 119);
  EXPECT_EQ(out[1].first_seq, 44u);
  EXPECT_EQ(out[1].last_seq, 103u);
  EXPECT_EQ(out[1].Find("b")->samples, 0u);

  out.clear();
  w->Flush(180 * kSec, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start_ns, 120 * kSec);
  EXPECT_EQ(out[0].signals[0].samples, 30u);
  EXPECT_EQ(w->counters().windows, 3u);
  EXPECT_EQ(w->counters().accepted, 133u);
}

TEST_F(WindowTest, SlidingWindowsOverlap) {
  auto w = Make(Time(60 * kSec, 20 * kSec), {.allowed_lateness_ns = 0});
  std::vector<CompletedWindow> out;
  for (int t = 0; t < 120; ++t) w->Add(std::vector{Scalar("x/m1", "a", t * kSec, t)}, &out);
  w->Flush(std::numeric_limits<int64_t>::max(), &out);
  std::vector<std::pair<int64_t, size_t>> got;
  for (const auto& win : out) got.emplace_back(win.start_ns / kSec, win.signals[0].samples);
  // Every window that holds a sample: starts -40 .. 100.
  EXPECT_THAT(got, ::testing::ElementsAre(
                       std::pair<int64_t, size_t>{-40, 20}, std::pair<int64_t, size_t>{-20, 40},
                       std::pair<int64_t, size_t>{0, 60}, std::pair<int64_t, size_t>{20, 60},
                       std::pair<int64_t, size_t>{40, 60}, std::pair<int64_t, size_t>{60, 60},
                       std::pair<int64_t, size_t>{80, 40}, std::pair<int64_t, size_t>{100, 20}));
  EXPECT_EQ(out[3].signals[0].scalars.front().value, 20);
  EXPECT_EQ(out[3].signals[0].scalars.back().value, 79);
}

TEST_F(WindowTest, SignalsAndAssetsShareTheGrid) {
  auto w = Make(Time(10 * kSec, 10 * kSec), {.allowed_lateness_ns = 0});
  std::vector<CompletedWindow> out;
  w->Add(std::vector{Scalar("x/m1", "a", 3 * kSec, 1), Scalar("x/m1", "b", 9 * kSec, 2),
                     Scalar("x/m2", "b", 7 * kSec, 3), Scalar("x/o1", "a", 4 * kSec, 4),
                     Block("x/m1", 5 * kSec, 1.0, 2)},
         &out);
  EXPECT_TRUE(out.empty());
  w->Add(std::vector{Scalar("x/m1", "a", 10 * kSec, 5), Scalar("x/m2", "a", 12 * kSec, 6)}, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Describe(out[0]),
            "x/m1 [0, 10000000000) seq 1..5 obs 3 bad 0 | a:1 1@3000000000#1 | b:1 "
            "2@9000000000#2 | w:2 [0+2@5000000000]");
  EXPECT_EQ(Describe(out[1]),
            "x/m2 [0, 10000000000) seq 3..3 obs 1 bad 0 | a:0 | b:1 3@7000000000#3 | w:0");
  EXPECT_EQ(w->counters().ignored, 1u);  // the other type's asset
}

TEST_F(WindowTest, WaveformBlocksAreSplitBySampleTime) {
  auto w = Make(Time(60 * kSec, 60 * kSec), {.allowed_lateness_ns = 0});
  std::vector<CompletedWindow> out;
  // 200 samples at 1 kHz from 59.9 s: 100 before 60 s, 100 after.
  w->Add(std::vector{Block("x/m1", 59'900'000'000, 1000, 200)}, &out);
  w->Flush(std::numeric_limits<int64_t>::max(), &out);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].signals[2].parts.size(), 1u);
  const WaveformPart& p0 = out[0].signals[2].parts[0];
  EXPECT_EQ(p0.offset, 0u);
  EXPECT_EQ(p0.count, 100u);
  const WaveformPart& p1 = out[1].signals[2].parts[0];
  EXPECT_EQ(p1.offset, 100u);
  EXPECT_EQ(p1.count, 100u);
  EXPECT_EQ(p1.ts_ns, 60 * kSec);
  EXPECT_EQ(p1.samples()[0], 100.0f);
  EXPECT_EQ(out[0].first_seq, out[1].first_seq);  // one observation fed both
}

TEST_F(WindowTest, OutOfOrderWithinLatenessIsUsedLaterIsCounted) {
  auto w = Make(Time(60 * kSec, 60 * kSec), {.allowed_lateness_ns = 5 * kSec});
  std::vector<CompletedWindow> out;
  w->Add(std::vector{Scalar("x/m1", "a", 62 * kSec, 62)}, &out);
  w->Add(std::vector{Scalar("x/m1", "a", 58 * kSec, 58)}, &out);  // within lateness
  EXPECT_TRUE(out.empty());
  w->Add(std::vector{Scalar("x/m1", "a", 70 * kSec, 70)}, &out);  // 70 - 5 >= 60: complete
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Describe(out[0]),
            "x/m1 [0, 60000000000) seq 2..2 obs 1 bad 0 | a:1 58@58000000000#2 "
            "| b:0 | w:0");
  w->Add(std::vector{Scalar("x/m1", "a", 59 * kSec, 59)}, &out);  // too late
  EXPECT_EQ(w->counters().too_late, 1u);
  EXPECT_EQ(out.size(), 1u);
}

TEST_F(WindowTest, BadQualityIsExcludedAndCounted) {
  auto w = Make(Time(10 * kSec, 10 * kSec), {.allowed_lateness_ns = 0});
  std::vector<CompletedWindow> out;
  w->Add(std::vector{Scalar("x/m1", "a", 1 * kSec, 1),
                     Scalar("x/m1", "a", 2 * kSec, 99, Quality::kBad),
                     Scalar("x/m1", "a", 3 * kSec, 3, Quality::kUncertain),
                     Scalar("x/m1", "a", 12 * kSec, 12)},
         &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].signals[0].samples, 2u);
  EXPECT_EQ(out[0].bad_quality, 1u);
  EXPECT_EQ(out[0].first_seq, 1u);
  EXPECT_EQ(out[0].last_seq, 3u);
  EXPECT_EQ(w->counters().bad_quality, 1u);
  // A window with only bad data is not emitted.
  w->Add(std::vector{Scalar("x/m1", "b", 25 * kSec, 1, Quality::kBad)}, &out);
  w->Flush(std::numeric_limits<int64_t>::max(), &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].start_ns, 10 * kSec);
}

TEST_F(WindowTest, MemoryIsBoundedPerSignalPerWindow) {
  auto w =
      Make(Time(60 * kSec, 60 * kSec), {.allowed_lateness_ns = 0, .max_samples_per_signal = 10});
  std::vector<CompletedWindow> out;
  for (int t = 0; t < 60; ++t) w->Add(std::vector{Scalar("x/m1", "a", t * kSec, t)}, &out);
  w->Add(std::vector{Block("x/m1", 0, 1, 30)}, &out);
  w->Flush(60 * kSec, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].signals[0].samples, 10u);
  EXPECT_EQ(out[0].signals[0].scalars.back().value, 9);  // the earliest are kept
  EXPECT_EQ(out[0].signals[2].samples, 10u);
  EXPECT_GE(out[0].signals[0].dropped + w->counters().dropped_samples, 50u);
  EXPECT_GT(w->counters().dropped_samples, 0u);
}

TEST_F(WindowTest, CountWindowsOverAWaveform) {
  WindowSpec spec;
  spec.kind = WindowSpec::Kind::kCount;
  spec.samples = 250;
  spec.step_samples = 250;
  spec.count_signal = "w";
  auto w = Make(spec, {.allowed_lateness_ns = 0});
  std::vector<CompletedWindow> out;
  // Four blocks of 100 samples at 100 Hz, one per second: samples 0..399.
  for (int i = 0; i < 4; ++i) {
    // The reading first: a block moves the watermark to its last sample, and the lateness is 0.
    w->Add(std::vector{Scalar("x/m1", "a", i * kSec + kSec / 2, i),
                       Block("x/m1", i * kSec, 100, 100, static_cast<float>(i * 100))},
           &out);
  }
  w->Flush(std::numeric_limits<int64_t>::max(), &out);
  ASSERT_EQ(out.size(), 1u);  // the second window (250..499) never fills
  const WindowSignal& ws = out[0].signals[2];
  EXPECT_EQ(ws.samples, 250u);
  ASSERT_EQ(ws.parts.size(), 3u);
  EXPECT_EQ(ws.parts[2].count, 50u);
  EXPECT_EQ(ws.parts[2].samples().back(), 249.0f);
  EXPECT_EQ(out[0].start_ns, 0);
  EXPECT_EQ(out[0].end_ns, 2 * kSec + 490'000'000 + 1);
  EXPECT_EQ(out[0].signals[0].samples, 2u);  // a at 0.5 and 1.5 s; 2.5 s is past the end
}

TEST_F(WindowTest, SlidingCountWindowsOverAScalarSignal) {
  WindowSpec spec;
  spec.kind = WindowSpec::Kind::kCount;
  spec.samples = 10;
  spec.step_samples = 5;
  spec.count_signal = "a";
  std::vector<Observation> obs;
  for (int i = 0; i < 30; ++i) {
    obs.push_back(Scalar("x/m1", "a", i * kSec, i));
    obs.push_back(Scalar("x/m1", "b", i * kSec + kSec / 2, 100 + i));
  }
  std::vector<std::string> reference;
  for (size_t batch : {size_t{1}, size_t{4}, obs.size()}) {
    auto w = Make(spec, {.allowed_lateness_ns = 0});
    std::vector<CompletedWindow> out;
    for (size_t i = 0; i < obs.size(); i += batch) {
      w->Add(std::span(obs).subspan(i, std::min(batch, obs.size() - i)), &out);
    }
    w->Flush(std::numeric_limits<int64_t>::max(), &out);
    // Readings 0-9, 5-14, 10-19, 15-24, 20-29.
    ASSERT_EQ(out.size(), 5u);
    for (size_t k = 0; k < out.size(); ++k) {
      EXPECT_EQ(out[k].signals[0].samples, 10u);
      EXPECT_EQ(out[k].signals[0].scalars.front().value, 5.0 * static_cast<double>(k));
      EXPECT_EQ(out[k].start_ns, static_cast<int64_t>(5 * k) * kSec);
      EXPECT_EQ(out[k].end_ns, static_cast<int64_t>(5 * k + 9) * kSec + 1);
      // b at +0.5 s: nine of them fall before the last a of the window.
      EXPECT_EQ(out[k].signals[1].samples, 9u);
    }
    if (batch == 1) {
      reference = Describe(out);
    } else {
      EXPECT_EQ(Describe(out), reference);
    }
  }
}

TEST_F(WindowTest, ResultDoesNotDependOnBatching) {
  // Two assets, three signals, arrivals out of order by up to 3 s (lateness 5 s).
  std::vector<Observation> obs;
  std::mt19937 rng(7);
  for (int t = 0; t < 400; ++t) {
    const std::string asset = t % 3 == 0 ? "x/m2" : "x/m1";
    obs.push_back(Scalar(asset, t % 2 ? "a" : "b", t * kSec / 2, t,
                         t % 37 == 0 ? Quality::kBad : Quality::kGood));
    if (t % 10 == 0) obs.push_back(Block(asset, t * kSec / 2, 50, 100, static_cast<float>(t)));
  }
  for (size_t i = 0; i + 1 < obs.size(); ++i) {
    const size_t j = std::min(obs.size() - 1, i + rng() % 5);
    if (std::abs(obs[i].ts_ns - obs[j].ts_ns) < 3 * kSec) std::swap(obs[i], obs[j]);
  }
  for (const WindowSpec& spec : {Time(20 * kSec, 20 * kSec), Time(30 * kSec, 10 * kSec)}) {
    std::vector<std::string> reference;
    for (size_t batch : {size_t{1}, size_t{7}, size_t{64}, obs.size()}) {
      auto w = Make(spec, {.allowed_lateness_ns = 5 * kSec});
      std::vector<CompletedWindow> out;
      for (size_t i = 0; i < obs.size(); i += batch) {
        w->Add(std::span(obs).subspan(i, std::min(batch, obs.size() - i)), &out);
      }
      w->Flush(std::numeric_limits<int64_t>::max(), &out);
      EXPECT_EQ(w->counters().too_late, 0u);
      if (batch == 1) {
        reference = Describe(out);
        EXPECT_GE(reference.size(), 20u);
      } else {
        EXPECT_EQ(Describe(out), reference) << "batch " << batch;
      }
    }
  }
}

TEST_F(WindowTest, CreateRejectsUnknownSignals) {
  auto w = WindowAssembler::Create(model_, *model_->FindType("m"), Time(kSec, kSec), {"zz"}, {});
  EXPECT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), ::testing::HasSubstr("no signal 'zz'"));
}

}  // namespace
}  // namespace strata::features
