#include "connectors/sparkplug/sparkplug_codec.h"

#include <fmt/format.h>

#include <limits>

#include "sparkplug_b.pb.h"

namespace strata {

namespace pb = sparkplug::pb;

namespace {

constexpr uint64_t kMaxMs = static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / 1'000'000);

SparkplugValueField FieldOf(const pb::Payload::Metric& m) {
  switch (m.value_case()) {
    case pb::Payload::Metric::kIntValue:
      return SparkplugValueField::kInt;
    case pb::Payload::Metric::kLongValue:
      return SparkplugValueField::kLong;
    case pb::Payload::Metric::kFloatValue:
      return SparkplugValueField::kFloat;
    case pb::Payload::Metric::kDoubleValue:
      return SparkplugValueField::kDouble;
    case pb::Payload::Metric::kBooleanValue:
      return SparkplugValueField::kBoolean;
    case pb::Payload::Metric::kStringValue:
      return SparkplugValueField::kString;
    case pb::Payload::Metric::kBytesValue:
      return SparkplugValueField::kBytes;
    case pb::Payload::Metric::VALUE_NOT_SET:
      return SparkplugValueField::kNone;
    default:
      return SparkplugValueField::kOther;
  }
}

std::string_view FieldName(SparkplugValueField f) {
  switch (f) {
    case SparkplugValueField::kNone:
      return "no value";
    case SparkplugValueField::kInt:
      return "int_value";
    case SparkplugValueField::kLong:
      return "long_value";
    case SparkplugValueField::kFloat:
      return "float_value";
    case SparkplugValueField::kDouble:
      return "double_value";
    case SparkplugValueField::kBoolean:
      return "boolean_value";
    case SparkplugValueField::kString:
      return "string_value";
    case SparkplugValueField::kBytes:
      return "bytes_value";
    case SparkplugValueField::kOther:
      return "a dataset, template or extension value";
  }
  return "?";
}

}  // namespace

std::string SparkplugTypeName(uint32_t type) {
  static constexpr std::string_view kNames[] = {
      "Unknown", "Int8",   "Int16",   "Int32",  "Int64",   "UInt8",   "UInt16",
      "UInt32",  "UInt64", "Float",   "Double", "Boolean", "String",  "DateTime",
      "Text",    "UUID",   "DataSet", "Bytes",  "File",    "Template"};
  if (type < std::size(kNames)) return std::string(kNames[type]);
  return fmt::format("type {}", type);
}

StatusOr<double> SparkplugNumber(const SparkplugMetric& m, uint32_t type) {
  auto want = [&](SparkplugValueField field) -> Status {
    if (m.field == field) return Status::Ok();
    return InvalidArgumentError(fmt::format("the metric is {} but carries {}",
                                            SparkplugTypeName(type), FieldName(m.field)));
  };
  const auto t = static_cast<SparkplugType>(type);
  switch (t) {
    case SparkplugType::kInt8:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kInt));
      return static_cast<double>(static_cast<int8_t>(static_cast<uint8_t>(m.bits & 0xff)));
    case SparkplugType::kInt16:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kInt));
      return static_cast<double>(static_cast<int16_t>(static_cast<uint16_t>(m.bits & 0xffff)));
    case SparkplugType::kInt32:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kInt));
      return static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(m.bits)));
    case SparkplugType::kUInt8:
    case SparkplugType::kUInt16:
    case SparkplugType::kUInt32:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kInt));
      return static_cast<double>(static_cast<uint32_t>(m.bits));
    case SparkplugType::kInt64:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kLong));
      return static_cast<double>(static_cast<int64_t>(m.bits));
    case SparkplugType::kUInt64:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kLong));
      return static_cast<double>(m.bits);
    case SparkplugType::kFloat:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kFloat));
      return m.real;
    case SparkplugType::kDouble:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kDouble));
      return m.real;
    case SparkplugType::kBoolean:
      STRATA_RETURN_IF_ERROR(want(SparkplugValueField::kBoolean));
      return m.bits != 0 ? 1.0 : 0.0;
    case SparkplugType::kUnknown:
      return InvalidArgumentError("the metric has no data type and no birth declared one");
    default:
      return InvalidArgumentError(fmt::format(
          "{} metrics are not numeric; Strata stores numbers only", SparkplugTypeName(type)));
  }
}

struct SparkplugDecoder::Impl {
  pb::Payload payload;
};

SparkplugDecoder::SparkplugDecoder() : impl_(std::make_unique<Impl>()) {}
SparkplugDecoder::~SparkplugDecoder() = default;

Status SparkplugDecoder::Decode(std::string_view bytes, SparkplugPayload* out) {
  out->ts_ms.reset();
  out->seq.reset();
  out->metrics.clear();
  pb::Payload& p = impl_->payload;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgumentError(
        fmt::format("not a Sparkplug B payload ({} bytes that do not parse as its protobuf "
                    "message); check that the sender speaks Sparkplug B",
                    bytes.size()));
  }
  auto millis = [](uint64_t ms, std::string_view what) -> StatusOr<int64_t> {
    if (ms > kMaxMs) {
      return InvalidArgumentError(
          fmt::format("{} {} is not a time in milliseconds since 1970", what, ms));
    }
    return static_cast<int64_t>(ms);
  };
  if (p.has_timestamp()) {
    STRATA_ASSIGN_OR_RETURN(out->ts_ms, millis(p.timestamp(), "payload timestamp"));
  }
  if (p.has_seq()) out->seq = p.seq();
  out->metrics.reserve(static_cast<size_t>(p.metrics_size()));
  for (const pb::Payload::Metric& pm : p.metrics()) {
    SparkplugMetric& m = out->metrics.emplace_back();
    m.name = pm.name();
    if (pm.has_alias()) m.alias = pm.alias();
    if (pm.has_timestamp()) {
      STRATA_ASSIGN_OR_RETURN(
          m.ts_ms,
          millis(pm.timestamp(), fmt::format("timestamp of metric {}", out->metrics.size() - 1)));
    }
    m.type = pm.datatype();
    m.is_null = pm.is_null();
    m.field = FieldOf(pm);
    switch (m.field) {
      case SparkplugValueField::kInt:
        m.bits = pm.int_value();
        break;
      case SparkplugValueField::kLong:
        m.bits = pm.long_value();
        break;
      case SparkplugValueField::kFloat:
        m.real = static_cast<double>(pm.float_value());
        break;
      case SparkplugValueField::kDouble:
        m.real = pm.double_value();
        break;
      case SparkplugValueField::kBoolean:
        m.bits = pm.boolean_value() ? 1 : 0;
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

std::string EncodeRebirthRequest(int64_t ts_ms) {
  pb::Payload p;
  p.set_timestamp(static_cast<uint64_t>(ts_ms));
  pb::Payload::Metric* m = p.add_metrics();
  m->set_name("Node Control/Rebirth");
  m->set_timestamp(static_cast<uint64_t>(ts_ms));
  m->set_datatype(static_cast<uint32_t>(SparkplugType::kBoolean));
  m->set_boolean_value(true);
  return p.SerializeAsString();
}

}  // namespace strata
