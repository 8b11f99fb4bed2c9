#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/decision.h"
#include "core/time_util.h"
#include "edge/edge_config.h"
#include "store/store.h"

namespace strata {
namespace {

struct QueryOptions {
  std::string db;
  std::string config;
  std::string asset;
  std::string signal;
  std::string from = "-1h";
  std::string to = "now";
  size_t limit = 1000;
  std::string format = "table";
  bool samples = false;
  bool dead_letters = false;
  bool events = false;
  bool decisions = false;
  bool alerts = false;
};

// Prints rows as an aligned text table.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += "  ";
      out += i + 1 == cells.size() ? cells[i] : fmt::format("{:<{}}", cells[i], width[i]);
    }
    fmt::print("{}\n", out);
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : rows) line(r);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void PrintCsv(const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows) {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out += ',';
      out += CsvField(cells[i]);
    }
    fmt::print("{}\n", out);
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string BlockSummary(const ObservationRow& r) {
  if (!r.block) return "waveform";
  double sum = 0;
  for (float s : r.block->samples) sum += double(s) * s;
  const double rms = r.block->samples.empty() ? 0 : std::sqrt(sum / r.block->samples.size());
  return fmt::format("waveform {} samples @ {:g} Hz, rms {:.4g}", r.block->samples.size(),
                     r.block->sample_rate_hz, rms);
}

int RunQuery(const QueryOptions& o) {
  auto fail = [](const std::string& message) {
    fmt::print(stderr, "strata query: {}\n", message);
    return kExitUsage;
  };
  std::string db = o.db;
  if (db.empty() && !o.config.empty()) {
    auto config = EdgeConfig::Load(o.config);
    if (!config.ok()) return fail(config.status().message());
    db = config->store_path;
  }
  if (db.empty()) return fail("say which store to read: --db FILE or --config EDGE.yaml");
  if (!o.dead_letters && !o.events && !o.decisions && !o.alerts && o.asset.empty()) {
    return fail(
        "say what to read: --asset PATH [--signal NAME], --dead-letters, --events, --decisions "
        "[--asset PATH] or --alerts [--asset PATH]");
  }
  if (o.format != "table" && o.format != "json" && o.format != "csv") {
    return fail(fmt::format("--format '{}': use table, json or csv", o.format));
  }
  const int64_t now = Clock::System().NowNs();
  auto from = ParseTimeArg(o.from, now);
  if (!from.ok()) return fail("--from: " + from.status().message());
  auto to = ParseTimeArg(o.to, now);
  if (!to.ok()) return fail("--to: " + to.status().message());

  SqliteStoreOptions options;
  options.path = db;
  options.read_only = true;
  auto store = OpenSqliteStore(options);
  if (!store.ok()) {
    fmt::print(stderr, "strata query: {}\n", store.status().message());
    return kExitFailure;
  }

  if (o.dead_letters) {
    DeadLetterQuery q{*from, *to, o.limit};
    auto rows = (*store)->QueryDeadLetters(q);
    if (!rows.ok()) {
      fmt::print(stderr, "strata query: {}\n", rows.status().message());
      return kExitFailure;
    }
    if (o.format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : *rows) {
        out.push_back({{"seq", d.seq},
                       {"ts", FormatTimestamp(d.ts_ns)},
                       {"reason", RejectReasonName(d.reason)},
                       {"source", d.source},
                       {"detail", d.detail},
                       {"payload", d.payload},
                       {"payload_truncated", d.payload_truncated}});
      }
      fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
      return kExitOk;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& d : *rows) {
      table.push_back({std::to_string(d.seq), FormatTimestamp(d.ts_ns),
                       std::string(RejectReasonName(d.reason)), d.source, d.detail});
    }
    const std::vector<std::string> header{"seq", "rejected at", "reason", "source", "detail"};
    o.format == "csv" ? PrintCsv(header, table) : PrintTable(header, table);
    if (o.format == "table") fmt::print("{} dead letter(s)\n", rows->size());
    return kExitOk;
  }

  if (o.decisions || o.alerts) {
    RecordQuery q;
    q.stream = std::string(o.decisions ? kDecisionStream : kAlertStream);
    q.subject = o.asset;
    q.from_ns = *from;
    q.to_ns = *to;
    q.limit = o.limit;
    auto rows = (*store)->QueryRecords(q);
    if (!rows.ok()) {
      fmt::print(stderr, "strata query: {}\n", rows.status().message());
      return kExitFailure;
    }
    if (o.format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : *rows) {
        nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
        out.push_back({{"seq", r.seq},
                       {"ts", FormatTimestamp(r.ts_ns)},
                       {"asset", r.subject},
                       {o.decisions ? "decision" : "alert", std::move(body)}});
      }
      fmt::print("{}\n", out.dump(2));
      return kExitOk;
    }
    auto reasons = [](const std::vector<Contribution>& top) {
      std::string out;
      for (const Contribution& c : top) {
        out += fmt::format("{}{}={:.4g} ({:+.3f})", out.empty() ? "" : ", ", c.feature, c.value,
                           c.contribution);
      }
      return out;
    };
    std::vector<std::vector<std::string>> table;
    for (const auto& r : *rows) {
      if (o.decisions) {
        auto d = DecisionFromJson(r.body);
        if (!d.ok()) continue;
        table.push_back({std::to_string(r.seq), FormatTimestamp(r.ts_ns), r.subject,
                         fmt::format("{} {}", d->model_name, d->model_version),
                         fmt::format("{:.3f}", d->score), d->label, reasons(d->top), d->trace_id});
      } else {
        auto a = AlertEventFromJson(r.body);
        if (!a.ok()) continue;
        table.push_back({std::to_string(r.seq), FormatTimestamp(r.ts_ns), r.subject, a->kind,
                         fmt::format("{} {}", a->model_name, a->model_version),
                         fmt::format("{:.3f}", a->score), reasons(a->reasons), a->trace_id});
      }
    }
    const std::vector<std::string> header =
        o.decisions ? std::vector<std::string>{"seq",
                                               "window end",
                                               "asset",
                                               "model",
                                               "score",
                                               "label",
                                               "top reasons (value, SHAP)",
                                               "trace id"}
                    : std::vector<std::string>{"seq",
                                               "time",
                                               "asset",
                                               "event",
                                               "model",
                                               "score",
                                               "top reasons (value, SHAP)",
                                               "trace id"};
    o.format == "csv" ? PrintCsv(header, table) : PrintTable(header, table);
    if (o.format == "table") {
      fmt::print("{} {}\n", rows->size(), o.decisions ? "decision(s)" : "alert event(s)");
    }
    return kExitOk;
  }

  if (o.events) {
    auto rows = (*store)->QueryEvents(*from, *to, o.limit);
    if (!rows.ok()) {
      fmt::print(stderr, "strata query: {}\n", rows.status().message());
      return kExitFailure;
    }
    if (o.format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : *rows) {
        out.push_back({{"ts", FormatTimestamp(e.ts_ns)},
                       {"kind", e.kind},
                       {"subject", e.subject},
                       {"detail", e.detail}});
      }
      fmt::print("{}\n", out.dump(2));
      return kExitOk;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& e : *rows) {
      table.push_back({FormatTimestamp(e.ts_ns), e.kind, e.subject, e.detail});
    }
    const std::vector<std::string> header{"time", "kind", "subject", "detail"};
    o.format == "csv" ? PrintCsv(header, table) : PrintTable(header, table);
    if (o.format == "table") fmt::print("{} event(s)\n", rows->size());
    return kExitOk;
  }

  ObservationQuery q;
  q.asset = o.asset;
  q.signal = o.signal;
  q.from_ns = *from;
  q.to_ns = *to;
  q.limit = o.limit;
  q.with_blocks = true;
  auto rows = (*store)->QueryObservations(q);
  if (!rows.ok()) {
    fmt::print(stderr, "strata query: {}\n", rows.status().message());
    return kExitFailure;
  }
  if (o.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) {
      nlohmann::json j{{"seq", r.seq},
                       {"asset", r.asset},
                       {"signal", r.signal},
                       {"ts", FormatTimestamp(r.ts_ns)},
                       {"ingest_ts", FormatTimestamp(r.ingest_ts_ns)},
                       {"unit", r.unit},
                       {"quality", QualityName(r.quality)},
                       {"source", fmt::format("{} {} {}", r.source.protocol, r.source.endpoint,
                                              r.source.address)}};
      if (r.value) j["value"] = *r.value;
      if (r.is_block && r.block) {
        j["sample_rate_hz"] = r.block->sample_rate_hz;
        j["sample_count"] = r.block->samples.size();
        if (o.samples) j["samples"] = r.block->samples;
      }
      out.push_back(std::move(j));
    }
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : *rows) {
    std::string value = r.is_block ? BlockSummary(r)
                        : r.value  ? fmt::format("{:.6g}", *r.value)
                                   : "";
    table.push_back({std::to_string(r.seq), FormatTimestamp(r.ts_ns), r.signal, value, r.unit,
                     std::string(QualityName(r.quality))});
  }
  const std::vector<std::string> header{"seq", "time", "signal", "value", "unit", "quality"};
  o.format == "csv" ? PrintCsv(header, table) : PrintTable(header, table);
  if (o.format == "table") {
    fmt::print("{} observation(s) of {}{} from {} to {}{}\n", rows->size(), o.asset,
               o.signal.empty() ? "" : " " + o.signal, FormatTimestamp(*from), FormatTimestamp(*to),
               rows->size() == o.limit ? " (limit reached: --limit)" : "");
  }
  return kExitOk;
}

}  // namespace

CommandRunner AddQueryCommand(CLI::App& root) {
  auto o = std::make_shared<QueryOptions>();
  CLI::App* cmd = root.add_subcommand(
      "query",
      "Read the edge store: observations of an asset (and signal) in a time range, dead "
      "letters, or events. Safe while the edge runs.");
  cmd->add_option("--db", o->db, "Store file (SQLite), e.g. examples/data/edge.db");
  cmd->add_option("-c,--config", o->config, "Or: the edge configuration, to find its store");
  cmd->add_option("--asset", o->asset, "Asset path, e.g. acme/plant-1/line-1/pump-01");
  cmd->add_option("--signal", o->signal, "Signal name, e.g. bearing_de.temp (default: all)");
  cmd->add_option("--from", o->from,
                  "Start (inclusive): RFC 3339, 'now', or relative like -1h (write --from=-1h)")
      ->capture_default_str();
  cmd->add_option("--to", o->to, "End (exclusive), same forms as --from")->capture_default_str();
  cmd->add_option("--limit", o->limit, "At most this many rows")->capture_default_str();
  cmd->add_option("--format", o->format, "table, json or csv")->capture_default_str();
  cmd->add_flag("--samples", o->samples, "With --format json: include waveform samples");
  cmd->add_flag("--dead-letters", o->dead_letters, "Show rejected readings and why");
  cmd->add_flag("--events", o->events, "Show events (stale signals, dropped data)");
  cmd->add_flag("--decisions", o->decisions,
                "Show model decisions (score, label, top reasons, trace id); --asset filters");
  cmd->add_flag("--alerts", o->alerts, "Show alert events (open/clear); --asset filters");
  cmd->footer(fmt::format(
      "Examples:\n"
      "  strata query --db examples/data/edge.db --asset acme/plant-1/line-1/pump-01 "
      "--signal bearing_de.temp --from=-10m\n"
      "  strata query --config examples/edge.yaml --dead-letters --from=-1h --format json\n{}",
      kExitCodes));
  return [o] { return RunQuery(*o); };
}

}  // namespace strata
