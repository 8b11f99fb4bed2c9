#include "ml/training/dataset.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "features/feature_extractor.h"
#include "features/window.h"

namespace strata::ml {
namespace {

// One input signal of one asset, read from the store in pages of `page_size`. Observations
// are unique by (signal, ts), so the next page starts just after the last timestamp read.
class SignalCursor {
 public:
  SignalCursor(Store& store, const std::string& asset, const std::string& signal,
               SignalId signal_id, int64_t from_ns, int64_t to_ns, size_t page_size)
      : store_(store), signal_id_(signal_id), next_from_(from_ns), to_ns_(to_ns) {
    query_.asset = asset;
    query_.signal = signal;
    query_.limit = page_size;
  }

  // The next observation, or nullptr at the end. Errors from the store.
  StatusOr<const ObservationRow*> Peek() {
    if (index_ < page_.size()) return &page_[index_];
    if (done_) return static_cast<const ObservationRow*>(nullptr);
    query_.from_ns = next_from_;
    query_.to_ns = to_ns_;
    STRATA_ASSIGN_OR_RETURN(page_, store_.QueryObservations(query_));
    index_ = 0;
    if (page_.size() < query_.limit) done_ = true;
    if (page_.empty()) return static_cast<const ObservationRow*>(nullptr);
    const int64_t last = page_.back().ts_ns;
    if (last == std::numeric_limits<int64_t>::max()) done_ = true;
    next_from_ = last + 1;
    return &page_[0];
  }

  Observation Take() {
    ObservationRow& row = page_[index_++];
    Observation obs;
    obs.signal = signal_id_;
    obs.ts_ns = row.ts_ns;
    obs.ingest_ts_ns = row.ingest_ts_ns;
    if (row.value) obs.value = *row.value;
    if (row.block) obs.block = std::make_shared<const WaveformBlock>(std::move(*row.block));
    obs.quality = row.quality;
    obs.seq = row.seq;
    return obs;
  }

 private:
  Store& store_;
  SignalId signal_id_;
  int64_t next_from_;
  int64_t to_ns_;
  ObservationQuery query_;
  std::vector<ObservationRow> page_;
  size_t index_ = 0;
  bool done_ = false;
};

}  // namespace

double FaultEpisode::Severity(int64_t t_ns) const {
  if (!Active(t_ns)) return 0;
  const int64_t growth = full_severity_ns - onset_ns;
  if (growth <= 0) return 1;
  const double x = std::clamp(double(t_ns - onset_ns) / double(growth), 0.0, 1.0);
  return x * x;
}

StatusOr<std::vector<FaultEpisode>> ParseGroundTruth(std::string_view text,
                                                     const std::string& name) {
  std::vector<FaultEpisode> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const std::string where = fmt::format("{}:{}", name, number);
    auto fail = [&](const std::string& what) {
      return InvalidArgumentError(
          fmt::format("{}: {}; each line must be a JSON object with asset, fault, onset_ns and "
                      "full_severity_ns (as `strata sim` writes it)",
                      where, what));
    };
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
    FaultEpisode e;
    e.where = where;
    if (!j.contains("asset") || !j["asset"].is_string()) return fail("'asset' (a string) missing");
    e.asset = j["asset"].get<std::string>();
    if (j.contains("fault") && j["fault"].is_string()) e.fault = j["fault"].get<std::string>();
    if (!j.contains("onset_ns") || !j["onset_ns"].is_number_integer()) {
      return fail("'onset_ns' (ns since the epoch, an integer) missing");
    }
    e.onset_ns = j["onset_ns"].get<int64_t>();
    e.full_severity_ns = e.onset_ns;
    if (j.contains("full_severity_ns")) {
      if (!j["full_severity_ns"].is_number_integer())
        return fail("'full_severity_ns' not an integer");
      e.full_severity_ns = j["full_severity_ns"].get<int64_t>();
    }
    if (e.full_severity_ns < e.onset_ns) return fail("full_severity_ns is before onset_ns");
    if (j.contains("end_ns") && !j["end_ns"].is_null()) {
      if (!j["end_ns"].is_number_integer()) return fail("'end_ns' not an integer");
      e.end_ns = j["end_ns"].get<int64_t>();
      if (*e.end_ns <= e.onset_ns) return fail("end_ns is not after onset_ns");
    }
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::vector<FaultEpisode>> LoadGroundTruth(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError(fmt::format(
        "cannot read the labels file '{}': give the ground-truth file `strata sim` wrote "
        "(its `ground_truth:` setting)",
        path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseGroundTruth(text.str(), path);
}

std::string GroundTruthJsonLine(const FaultEpisode& e) {
  nlohmann::json j;
  j["asset"] = e.asset;
  j["fault"] = e.fault;
  j["onset_ns"] = e.onset_ns;
  j["full_severity_ns"] = e.full_severity_ns;
  if (e.end_ns) j["end_ns"] = *e.end_ns;
  return j.dump();
}

StatusOr<Dataset> BuildDataset(Store& store, std::shared_ptr<const AssetModel> model,
                               const features::FeatureSpec& spec,
                               std::span<const FaultEpisode> labels, const DatasetOptions& options,
                               const DatasetProgress& progress) {
  STRATA_RETURN_IF_ERROR(features::CheckFeatureSpec(spec, *model));
  const AssetType* type = model->FindType(spec.asset_type);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<features::FeatureExtractor> extractor,
                          features::FeatureExtractor::Create(spec, *type));
  const std::vector<std::string>& inputs = extractor->input_signals();

  std::vector<const Asset*> assets;
  for (const auto& a : model->assets()) {
    if (a->type != type) continue;
    if (!options.asset_glob.empty() &&
        fnmatch(options.asset_glob.c_str(), a->path.c_str(), 0) != 0) {
      continue;
    }
    assets.push_back(a.get());
  }
  if (assets.empty()) {
    return InvalidArgumentError(fmt::format(
        "no asset of type '{}' in the asset model{}: check --assets and the spec's asset_type",
        spec.asset_type,
        options.asset_glob.empty() ? "" : fmt::format(" matches '{}'", options.asset_glob)));
  }

  Dataset ds;
  for (const auto& f : spec.features) ds.feature_names.push_back(f.name);
  const size_t width = ds.n_features();
  const size_t page = std::max<size_t>(options.page_size, 1);
  std::vector<float> row(width);
  std::vector<Observation> batch;
  std::vector<features::CompletedWindow> windows;

  for (size_t ai = 0; ai < assets.size(); ++ai) {
    const Asset* asset = assets[ai];
    const uint32_t asset_index = static_cast<uint32_t>(ds.assets.size());
    ds.assets.push_back(asset->path);
    std::vector<const FaultEpisode*> episodes;
    for (const FaultEpisode& e : labels) {
      if (e.asset == asset->path) episodes.push_back(&e);
    }
    STRATA_ASSIGN_OR_RETURN(
        std::unique_ptr<features::WindowAssembler> assembler,
        features::WindowAssembler::Create(model, *type, spec.window, inputs, {}));
    std::vector<SignalCursor> cursors;
    for (const std::string& signal : inputs) {
      cursors.emplace_back(store, asset->path, signal, asset->FindSignal(signal), options.from_ns,
                           options.to_ns, page);
    }
    uint64_t asset_windows = 0;
    int64_t last_ts = std::numeric_limits<int64_t>::min();

    auto take_windows = [&]() -> Status {
      for (const features::CompletedWindow& w : windows) {
        ++ds.windows;
        ++asset_windows;
        if (w.start_ns < options.from_ns) continue;  // partial: data before it not read
        bool active = false;
        double severity = 0;
        for (const FaultEpisode* e : episodes) {
          if (!e->Active(w.end_ns)) continue;
          active = true;
          severity = std::max(severity, e->Severity(w.end_ns));
        }
        float label = 0;
        if (active && severity >= options.min_severity) {
          label = 1;
        } else if (active && !options.keep_ambiguous) {
          ++ds.ambiguous;
          continue;
        }
        STRATA_RETURN_IF_ERROR(extractor->Compute(w, row));
        if (!options.keep_nan_rows &&
            std::any_of(row.begin(), row.end(), [](float v) { return std::isnan(v); })) {
          ++ds.nan_rows;
          continue;
        }
        ds.X.insert(ds.X.end(), row.begin(), row.end());
        ds.y.push_back(label);
        ds.row_asset.push_back(asset_index);
        ds.row_start_ns.push_back(w.start_ns);
        ds.row_end_ns.push_back(w.end_ns);
        if (label > 0) ++ds.positives;
      }
      windows.clear();
      return Status::Ok();
    };

    // Merge the signals by (ts, seq), handing the assembler modest batches.
    while (true) {
      int best = -1;
      const ObservationRow* best_row = nullptr;
      for (size_t i = 0; i < cursors.size(); ++i) {
        STRATA_ASSIGN_OR_RETURN(const ObservationRow* head, cursors[i].Peek());
        if (head == nullptr) continue;
        if (best_row == nullptr || head->ts_ns < best_row->ts_ns ||
            (head->ts_ns == best_row->ts_ns && head->seq < best_row->seq)) {
          best = static_cast<int>(i);
          best_row = head;
        }
      }
      if (best < 0) break;
      batch.push_back(cursors[best].Take());
      last_ts = std::max(last_ts, batch.back().ts_ns);
      ++ds.observations;
      if (batch.size() >= 256) {
        assembler->Add(batch, &windows);
        batch.clear();
        STRATA_RETURN_IF_ERROR(take_windows());
      }
    }
    if (!batch.empty()) assembler->Add(batch, &windows);
    batch.clear();
    // End of data: complete the windows that ended by the last observation (a trailing
    // window still open at the end of the range is partial and left out).
    if (last_ts != std::numeric_limits<int64_t>::min()) {
      assembler->Flush(std::min(options.to_ns, last_ts + 1), &windows);
    }
    STRATA_RETURN_IF_ERROR(take_windows());
    if (progress) progress(asset->path, asset_windows, ai, assets.size());
  }
  if (!ds.row_start_ns.empty()) {
    ds.first_ns = *std::min_element(ds.row_start_ns.begin(), ds.row_start_ns.end());
    ds.last_ns = *std::max_element(ds.row_end_ns.begin(), ds.row_end_ns.end());
  }
  return ds;
}

}  // namespace strata::ml
