#include "connectors/modbus/modbus_connector.h"

#include <fmt/format.h>
#include <modbus.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/time_util.h"

namespace strata {
namespace {

void SetTimeout(modbus_t* ctx, int64_t ns, int (*setter)(modbus_t*, uint32_t, uint32_t)) {
  setter(ctx, static_cast<uint32_t>(ns / kNsPerSec),
         static_cast<uint32_t>((ns % kNsPerSec) / kNsPerUs));
}

std::string ErrnoText(int err) {
  if (err == ETIMEDOUT) return "no answer within the response timeout";
  if (err >= EMBBADCRC && err <= EMBBADSLAVE) {
    return fmt::format("not a valid response ({})", modbus_strerror(err));
  }
  return modbus_strerror(err);
}

}  // namespace

void ModbusConnector::ModbusDeleter::operator()(_modbus* ctx) const {
  modbus_close(ctx);
  modbus_free(ctx);
}

ModbusConnector::ModbusConnector(ModbusConnectorConfig config, uint32_t index,
                                 BoundedQueue<RawMessage>* sink, const Clock& clock,
                                 MetricsRegistry& metrics)
    : config_(std::move(config)),
      index_(index),
      sink_(sink),
      clock_(clock),
      metrics_(metrics),
      up_(metrics.GetGauge(
          "strata_edge_connector_up",
          "1 while the connector is connected and its subscriptions are acknowledged",
          {{"connector", config_.name}})),
      connects_(metrics.GetCounter("strata_edge_connector_connects_total",
                                   "Successful connections to the peer",
                                   {{"connector", config_.name}})),
      connect_failures_(metrics.GetCounter("strata_edge_connector_connect_failures_total",
                                           "Failed or lost connections to the peer",
                                           {{"connector", config_.name}})),
      messages_(metrics.GetCounter("strata_edge_messages_received_total",
                                   "Messages received by the connector",
                                   {{"connector", config_.name}})),
      requests_(metrics.GetCounter("strata_edge_modbus_requests_total", "Modbus read requests sent",
                                   {{"connector", config_.name}})),
      polls_(metrics.GetCounter("strata_edge_modbus_polls_total",
                                "Poll cycles of Modbus poll groups",
                                {{"connector", config_.name}})),
      poll_seconds_total_(metrics.GetGauge(
          "strata_edge_modbus_poll_seconds_total",
          "Time spent in poll cycles; over strata_edge_modbus_polls_total, the mean poll duration",
          {{"connector", config_.name}})),
      overruns_(metrics.GetCounter(
          "strata_edge_modbus_poll_overruns_total",
          "Poll cycles skipped because a group fell a whole interval behind (slow device, "
          "timeouts or a full pipeline)",
          {{"connector", config_.name}})) {
  failures_.resize(kModbusOutcomeCount, nullptr);
  for (int i = 1; i < kModbusOutcomeCount; ++i) {
    failures_[static_cast<size_t>(i)] = &metrics.GetCounter(
        "strata_edge_modbus_request_failures_total",
        "Modbus read requests that failed, by reason (timeout, exception, connection, "
        "bad_response)",
        {{"connector", config_.name},
         {"reason", std::string(ModbusOutcomeName(static_cast<ModbusOutcome>(i)))}});
  }
  for (const auto& g : config_.groups) {
    poll_seconds_.push_back(&metrics.GetGauge("strata_edge_modbus_poll_duration_seconds",
                                              "Duration of the last poll cycle of a group",
                                              {{"connector", config_.name}, {"group", g.name}}));
  }
}

ModbusConnector::~ModbusConnector() { Stop(); }

Status ModbusConnector::Start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  backoff_ns_ = config_.reconnect_min_ns;
  last_outcome_.assign(config_.requests.size(), -1);
  next_due_.assign(config_.groups.size(), std::chrono::steady_clock::now());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void ModbusConnector::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    paused_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ModbusConnector::Pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void ModbusConnector::Resume() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  cv_.notify_all();
}

bool ModbusConnector::stopping() {
  std::lock_guard lock(mu_);
  return stop_ || closed_sink_;
}

bool ModbusConnector::WaitUntil(SteadyTime deadline) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return stop_; });
  cv_.wait(lock, [&] { return stop_ || !paused_; });
  return !stop_ && !closed_sink_;
}

void ModbusConnector::Run() {
  int attempt = 0;
  while (!stopping()) {
    if (!ctx_) {
      ++attempt;
      if (!Connect()) {
        spdlog::warn(
            "{} cannot connect to {} (attempt {}); is the device reachable? retrying "
            "in {}",
            Tag(), config_.Endpoint(), attempt, FormatDuration(backoff_ns_));
        if (!WaitUntil(std::chrono::steady_clock::now() + std::chrono::nanoseconds(backoff_ns_))) {
          break;
        }
        backoff_ns_ = std::min(backoff_ns_ * 2, config_.reconnect_max_ns);
        continue;
      }
      attempt = 0;
    }
    // The group that is due first.
    const size_t g = static_cast<size_t>(std::min_element(next_due_.begin(), next_due_.end()) -
                                         next_due_.begin());
    if (!WaitUntil(next_due_[g])) break;
    const auto start = std::chrono::steady_clock::now();
    const bool still_connected = PollGroup(g);
    const auto end = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(end - start).count();
    polls_.Add();
    poll_seconds_total_.Add(seconds);
    poll_seconds_[g]->Set(seconds);
    const auto interval = std::chrono::nanoseconds(config_.groups[g].interval_ns);
    next_due_[g] += interval;
    if (next_due_[g] <= end) {
      // A whole interval behind: skip the missed cycles rather than burst to catch up.
      overruns_.Add();
      next_due_[g] = end + interval;
    }
    if (!still_connected && !stopping()) {
      if (!WaitUntil(std::chrono::steady_clock::now() + std::chrono::nanoseconds(backoff_ns_))) {
        break;
      }
      backoff_ns_ = std::min(backoff_ns_ * 2, config_.reconnect_max_ns);
    }
  }
  if (ctx_) ctx_.reset();
  up_.Set(0);
}

bool ModbusConnector::Connect() {
  ModbusPtr ctx(modbus_new_tcp_pi(config_.host.c_str(), std::to_string(config_.port).c_str()));
  if (!ctx) {
    connect_failures_.Add();
    spdlog::error("{} cannot create a Modbus context for {}: {}", Tag(), config_.Endpoint(),
                  modbus_strerror(errno));
    Disconnect("no context");
    return false;
  }
  // libmodbus bounds the TCP connect by the response timeout.
  SetTimeout(ctx.get(), config_.connect_timeout_ns, modbus_set_response_timeout);
  if (modbus_connect(ctx.get()) == -1) {
    const int err = errno;
    connect_failures_.Add();
    Disconnect(fmt::format("cannot connect: {}", ErrnoText(err)));
    return false;
  }
  SetTimeout(ctx.get(), config_.response_timeout_ns, modbus_set_response_timeout);
  SetTimeout(ctx.get(), config_.response_timeout_ns, modbus_set_byte_timeout);
  ctx_ = std::move(ctx);
  consecutive_timeouts_ = 0;
  connects_.Add();
  up_.Set(1);
  spdlog::info("{} connected to {}; polling {} groups with {} requests", Tag(), config_.Endpoint(),
               config_.groups.size(), config_.requests.size());
  return true;
}

void ModbusConnector::Disconnect(const std::string& why) {
  ctx_.reset();
  up_.Set(0);
  // Every signal goes bad once, not again on each failed reconnect.
  bool logged = false;
  for (uint32_t r = 0; r < config_.requests.size() && !stopping(); ++r) {
    if (last_outcome_[r] == static_cast<int>(ModbusOutcome::kConnection)) continue;
    if (!logged) {
      spdlog::warn("{} {}: {}; its signals are bad until it is back", Tag(), config_.Endpoint(),
                   why);
      logged = true;
    }
    last_outcome_[r] = static_cast<int>(ModbusOutcome::kConnection);
    if (!Emit(r, ModbusOutcome::kConnection, 0, {})) return;
  }
}

ModbusOutcome ModbusConnector::Execute(const ModbusRequest& q, uint8_t* exception_code,
                                       std::string* data, std::string* error) {
  modbus_t* ctx = ctx_.get();
  if (modbus_set_slave(ctx, q.unit_id) == -1) {  // Read allows only ids libmodbus takes
    *error = fmt::format("unit id {}: {}", q.unit_id, modbus_strerror(errno));
    return ModbusOutcome::kBadResponse;
  }
  requests_.Add();
  int rc = -1;
  if (IsBitTable(q.table)) {
    uint8_t bits[MODBUS_MAX_READ_BITS];
    rc = q.table == ModbusTable::kCoil ? modbus_read_bits(ctx, q.address, q.count, bits)
                                       : modbus_read_input_bits(ctx, q.address, q.count, bits);
    if (rc == q.count) {
      data->reserve(q.count);
      for (int i = 0; i < rc; ++i) data->push_back(bits[i] ? 1 : 0);
      return ModbusOutcome::kOk;
    }
  } else {
    uint16_t words[MODBUS_MAX_READ_REGISTERS];
    rc = q.table == ModbusTable::kHoldingRegister
             ? modbus_read_registers(ctx, q.address, q.count, words)
             : modbus_read_input_registers(ctx, q.address, q.count, words);
    if (rc == q.count) {
      data->reserve(2 * size_t{q.count});
      for (int i = 0; i < rc; ++i) {
        data->push_back(static_cast<char>(words[i] >> 8));
        data->push_back(static_cast<char>(words[i] & 0xff));
      }
      return ModbusOutcome::kOk;
    }
  }
  if (rc >= 0) {
    *error = fmt::format("{} values in the answer, {} asked for", rc, q.count);
    return ModbusOutcome::kBadResponse;
  }
  const int err = errno;
  *error = ErrnoText(err);
  if (err > MODBUS_ENOBASE && err <= EMBXGTAR) {
    *exception_code = static_cast<uint8_t>(err - MODBUS_ENOBASE);
    *error =
        fmt::format("exception {} ({})", *exception_code, ModbusExceptionName(*exception_code));
    return ModbusOutcome::kException;
  }
  if (err == ETIMEDOUT) return ModbusOutcome::kTimeout;
  if (err >= EMBBADCRC && err <= EMBBADSLAVE) return ModbusOutcome::kBadResponse;
  return ModbusOutcome::kConnection;
}

bool ModbusConnector::PollGroup(size_t g) {
  bool unit_silent = false;  // a request of this group timed out this cycle
  for (const uint32_t r : config_.groups[g].requests) {
    if (stopping()) return true;
    if (!ctx_) return false;
    const ModbusRequest& q = config_.requests[r];
    if (unit_silent) {
      NoteOutcome(r, ModbusOutcome::kTimeout, "not sent: the unit did not answer this cycle");
      if (!Emit(r, ModbusOutcome::kTimeout, 0, {})) return true;
      continue;
    }
    uint8_t exception_code = 0;
    std::string data;
    std::string error;
    const ModbusOutcome outcome = Execute(q, &exception_code, &data, &error);
    if (outcome != ModbusOutcome::kOk) failures_[static_cast<size_t>(outcome)]->Add();
    if (outcome == ModbusOutcome::kException) {
      metrics_
          .GetCounter("strata_edge_modbus_exceptions_total",
                      "Modbus exception responses, by exception code",
                      {{"connector", config_.name}, {"code", std::to_string(exception_code)}})
          .Add();
    }
    NoteOutcome(r, outcome, error);
    if (!Emit(r, outcome, exception_code, std::move(data))) return true;
    switch (outcome) {
      case ModbusOutcome::kOk:
      case ModbusOutcome::kException:
        consecutive_timeouts_ = 0;
        backoff_ns_ = config_.reconnect_min_ns;
        up_.Set(1);
        break;
      case ModbusOutcome::kTimeout:
        unit_silent = true;
        modbus_flush(ctx_.get());
        if (++consecutive_timeouts_ >= config_.timeouts_before_reconnect) {
          connect_failures_.Add();
          Disconnect(fmt::format("{} requests in a row got no answer; reconnecting",
                                 consecutive_timeouts_));
          return false;
        }
        break;
      case ModbusOutcome::kBadResponse:
      case ModbusOutcome::kConnection:
        connect_failures_.Add();
        Disconnect(fmt::format("{} ({}); reconnecting", error, q.description));
        return false;
    }
  }
  return true;
}

void ModbusConnector::NoteOutcome(uint32_t r, ModbusOutcome outcome, const std::string& error) {
  const int previous = last_outcome_[r];
  last_outcome_[r] = static_cast<int>(outcome);
  if (previous == static_cast<int>(outcome)) return;  // logged when it changed
  const ModbusRequest& q = config_.requests[r];
  if (outcome == ModbusOutcome::kOk) {
    if (previous > 0) spdlog::info("{} {} reads again", Tag(), q.description);
    return;
  }
  // These drop the connection, and Disconnect says so.
  if (outcome == ModbusOutcome::kBadResponse || outcome == ModbusOutcome::kConnection) return;
  spdlog::warn("{} {} failed: {}; its {} signals are bad", Tag(), q.description, error,
               q.registers.size());
}

bool ModbusConnector::Emit(uint32_t r, ModbusOutcome outcome, uint8_t exception_code,
                           std::string data) {
  RawMessage raw;
  raw.connector = index_;
  raw.receive_ts_ns = clock_.NowNs();
  std::string payload;
  payload.reserve(kModbusHeaderSize + data.size() + kPayloadPadding);
  AppendModbusHeader({outcome, exception_code, r}, &payload);
  payload += data;
  raw.payload = std::move(payload);
  messages_.Add();
  // Blocks while the pipeline is full: the backpressure (see header).
  if (!sink_->Push(std::move(raw))) {
    spdlog::error("{} pipeline closed before the connector stopped", Tag());
    std::lock_guard lock(mu_);
    closed_sink_ = true;
    return false;
  }
  return true;
}

}  // namespace strata
