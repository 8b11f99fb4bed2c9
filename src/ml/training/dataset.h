// Training data from an edge store: stored observations replayed through the edge's own
// windowing and feature code, labelled from a ground-truth fault file.
//
// BuildDataset reads the observations of each asset in timestamp order, in bounded pages
// (one cursor per input signal of the spec, merged by (ts, seq)), feeds them to
// features::WindowAssembler and features::FeatureExtractor — the code the edge runs live —
// and labels every completed window from the fault episodes of its asset:
//
//   severity(t) = clamp((t - onset) / (full_severity - onset), 0, 1)^2   (as the simulator)
//   t = the window's end;  label 1 when an episode is active at t (onset < t < end, if the
//   episode has an end) and severity(t) >= min_severity; label 0 when no episode is active.
//
// Windows in between (a fault has started but is still below min_severity) are ambiguous:
// the fault is there but too small to show; they are left out unless keep_ambiguous (then 0).
// Windows with a NaN feature are left out by default, because the edge does not score them
// either (no training/serving mismatch on what a model ever sees).
// A window still open when an asset's data (or the range) ends, and a window that starts
// before `from_ns`, are partial and left out.
//
// Ground-truth file (the simulator writes it): one JSON object per line,
//   {"asset": "acme/plant-1/line-1/pump-02", "fault": "bearing_outer_race",
//    "onset_ns": 1732350000000000000, "full_severity_ns": 1732351200000000000}
// with an optional "end_ns" (the fault was repaired: healthy from then on). Other keys are
// ignored. Blank lines and lines starting with '#' are skipped.
//
// Threading: BuildDataset uses the store from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset_model.h"
#include "core/status.h"
#include "features/feature_spec.h"
#include "store/store.h"

namespace strata::ml {

struct FaultEpisode {
  std::string asset;
  std::string fault;
  int64_t onset_ns = 0;
  int64_t full_severity_ns = 0;
  std::optional<int64_t> end_ns;  // repaired at; absent: lasts past the end of the data
  std::string where;              // "ground-truth.jsonl:3", for messages

  // Severity in [0, 1] at `t_ns` (0 before onset and after the end).
  double Severity(int64_t t_ns) const;
  bool Active(int64_t t_ns) const { return t_ns > onset_ns && (!end_ns || t_ns < *end_ns); }
};

// Reads a ground-truth file. Errors name the file and line, and what is wrong.
[[nodiscard]] StatusOr<std::vector<FaultEpisode>> LoadGroundTruth(const std::string& path);
[[nodiscard]] StatusOr<std::vector<FaultEpisode>> ParseGroundTruth(std::string_view text,
                                                                   const std::string& name);
// One JSON line per episode, readable by ParseGroundTruth.
std::string GroundTruthJsonLine(const FaultEpisode& episode);

struct DatasetOptions {
  std::string asset_glob;  // fnmatch ('*' crosses '/') on asset paths; "" = every asset
  int64_t from_ns = std::numeric_limits<int64_t>::min();  // source time, inclusive
  int64_t to_ns = std::numeric_limits<int64_t>::max();    // exclusive
  double min_severity = 0.25;                             // see the header comment
  bool keep_ambiguous = false;
  bool keep_nan_rows = false;
  size_t page_size = 2048;  // observations per store query and signal
};

struct Dataset {
  std::vector<std::string> feature_names;  // the spec's, in order
  std::vector<float> X;                    // rows() x feature_names.size(), row-major
  std::vector<float> y;                    // 0 or 1
  std::vector<std::string> assets;         // the assets used, in the order replayed
  std::vector<uint32_t> row_asset;         // index into `assets`, per row
  std::vector<int64_t> row_start_ns;       // window start, per row
  std::vector<int64_t> row_end_ns;         // window end, per row

  // What happened on the way.
  uint64_t observations = 0;  // read from the store
  uint64_t windows = 0;       // completed windows
  uint64_t ambiguous = 0;     // left out: fault started, below min_severity
  uint64_t nan_rows = 0;      // left out: a feature was NaN
  uint64_t positives = 0;     // rows labelled 1
  int64_t first_ns = 0;       // earliest window start among rows (0 when none)
  int64_t last_ns = 0;        // latest window end among rows

  size_t rows() const { return y.size(); }
  size_t n_features() const { return feature_names.size(); }
};

// Called after each asset: (asset path, its rows so far, asset index from 0, asset count).
using DatasetProgress =
    std::function<void(const std::string& asset, uint64_t windows, size_t index, size_t count)>;

// Builds the dataset of `spec` over the assets of its type in `model` that match the glob.
// InvalidArgument when the spec does not check against the model (CheckFeatureSpec) or no
// asset matches; store errors as they come. An empty dataset is not an error here (callers
// say what to do about it).
[[nodiscard]] StatusOr<Dataset> BuildDataset(Store& store, std::shared_ptr<const AssetModel> model,
                                             const features::FeatureSpec& spec,
                                             std::span<const FaultEpisode> labels,
                                             const DatasetOptions& options,
                                             const DatasetProgress& progress = {});

}  // namespace strata::ml
