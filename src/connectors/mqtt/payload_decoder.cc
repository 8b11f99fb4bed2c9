#include "connectors/mqtt/payload_decoder.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "core/time_util.h"

namespace strata {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<std::string> ReadPointer(ConfigNode& node, const std::string& key) {
  auto child = node.Find(key);
  if (!child) return std::nullopt;
  std::string ptr = child->AsString();
  if (!ptr.empty() && ptr.front() != '/') {
    child->Fail(
        fmt::format("'{}' is not a JSON pointer: write it like /{} (RFC 6901), or \"\" "
                    "for the whole document",
                    ptr, ptr));
  }
  for (size_t i = ptr.find('~'); i != std::string::npos; i = ptr.find('~', i + 1)) {
    if (i + 1 == ptr.size() || (ptr[i + 1] != '0' && ptr[i + 1] != '1')) {
      child->Fail(
          fmt::format("'{}' is not a JSON pointer: '~' must be followed by 0 or 1 (~0 "
                      "stands for '~', ~1 for '/' in a key)",
                      ptr));
    }
  }
  return ptr;
}

// NaN and infinities as devices write them in strings, since JSON has no literal for them.
bool ParseNonFiniteWord(std::string_view s, double* out) {
  if (s.size() > 9) return false;  // longer than "+infinity"
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "nan") {
    *out = kNaN;
  } else if (lower == "inf" || lower == "infinity" || lower == "+inf" || lower == "+infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (lower == "-inf" || lower == "-infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  return true;
}

const char* TypeName(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY:
      return "an array";
    case T::OBJECT:
      return "an object";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
      return "a number";
    case T::STRING:
      return "a string";
    case T::BOOL:
      return "a boolean";
    case T::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

// Timestamps are int64 ns since the epoch, which span 1677-09-21 .. 2262-04-11. ParseTimestamp
// would overflow on years outside [1678, 2261] (the margin covers any UTC offset): returns the
// reason to reject such a year, or nullopt when the text is in range or no year at all (then
// ParseTimestamp rejects it).
std::optional<RejectReason> YearOutOfRange(std::string_view text) {
  if (text.size() < 4) return std::nullopt;
  int year = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    year = year * 10 + (text[i] - '0');
  }
  if (year < 1678) return RejectReason::kTimestampTooOld;
  if (year > 2261) return RejectReason::kTimestampInFuture;
  return std::nullopt;
}

int64_t TimestampScale(TimestampUnit unit) {
  switch (unit) {
    case TimestampUnit::kSeconds:
      return kNsPerSec;
    case TimestampUnit::kMillis:
      return kNsPerMs;
    case TimestampUnit::kMicros:
      return kNsPerUs;
    case TimestampUnit::kNanos:
      return 1;
  }
  return 1;
}

class JsonDecoder final : public PayloadDecoder {
 public:
  explicit JsonDecoder(DecoderSpec spec) : spec_(std::move(spec)) {}

  void Decode(const std::string& payload, DecodeResult* out) override {
    out->Clear();
    simdjson::dom::element root;
    auto error = parser_.parse(payload).get(root);
    if (error) {
      out->failed = true;
      out->reason = RejectReason::kMalformedPayload;
      out->error = fmt::format("not valid JSON ({})", simdjson::error_message(error));
      return;
    }
    if (!spec_.items) {
      out->items.emplace_back();
      DecodeItem(root, root, &out->items.back());
      return;
    }
    simdjson::dom::element items;
    if (root.at_pointer(*spec_.items).get(items)) {
      Fail(out, RejectReason::kMissingField,
           fmt::format("no '{}' (the decoder's items) in the message", *spec_.items));
      return;
    }
    simdjson::dom::array array;
    if (items.get_array().get(array)) {
      Fail(out, RejectReason::kWrongType,
           fmt::format("'{}' is {}, expected an array of readings", *spec_.items,
                       TypeName(items.type())));
      return;
    }
    for (simdjson::dom::element item : array) {
      out->items.emplace_back();
      DecodeItem(root, item, &out->items.back());
    }
    if (out->items.empty()) {
      Fail(out, RejectReason::kMissingField,
           fmt::format("'{}' is an empty array: no readings", *spec_.items));
    }
  }

 private:
  static void Fail(DecodeResult* out, RejectReason reason, std::string error) {
    out->failed = true;
    out->reason = reason;
    out->error = std::move(error);
    out->items.clear();
  }
  static void ItemError(DecodedItem* item, RejectReason reason, std::string error) {
    item->ok = false;
    item->reason = reason;
    item->error = std::move(error);
  }

  // Looks `ptr` up in the item, then (for items of an array) in the message root.
  bool Lookup(simdjson::dom::element root, simdjson::dom::element item, const std::string& ptr,
              bool fall_back_to_root, simdjson::dom::element* out) const {
    if (!item.at_pointer(ptr).get(*out)) return true;
    return fall_back_to_root && spec_.items && !root.at_pointer(ptr).get(*out);
  }

  void DecodeItem(simdjson::dom::element root, simdjson::dom::element item, DecodedItem* out) {
    using T = simdjson::dom::element_type;
    Reading& r = out->reading;
    simdjson::dom::element e;

    if (spec_.item_name) {
      if (!Lookup(root, item, *spec_.item_name, false, &e)) {
        return ItemError(out, RejectReason::kMissingField,
                         fmt::format("no '{}' (the reading's name)", *spec_.item_name));
      }
      std::string_view name;
      if (e.get_string().get(name) || name.empty()) {
        return ItemError(out, RejectReason::kWrongType,
                         fmt::format("'{}' (the reading's name) is {}, expected a non-empty "
                                     "string",
                                     *spec_.item_name, TypeName(e.type())));
      }
      r.name = name;
    }

    if (spec_.samples) {
      if (!Lookup(root, item, *spec_.samples, false, &e)) {
        return ItemError(out, RejectReason::kMissingField,
                         fmt::format("no '{}' (the waveform samples)", *spec_.samples));
      }
      simdjson::dom::array samples;
      if (e.get_array().get(samples)) {
        return ItemError(out, RejectReason::kWrongType,
                         fmt::format("'{}' is {}, expected an array of numbers", *spec_.samples,
                                     TypeName(e.type())));
      }
      auto block = std::make_shared<WaveformBlock>();
      block->samples.reserve(samples.size());
      for (simdjson::dom::element s : samples) {
        double v = 0;
        if (s.get_double().get(v)) {
          return ItemError(out, RejectReason::kWrongType,
                           fmt::format("'{}' element {} is {}, expected a number", *spec_.samples,
                                       block->samples.size(), TypeName(s.type())));
        }
        if (std::fabs(v) > std::numeric_limits<float>::max()) {
          // Samples are stored as float; casting a larger value is undefined behaviour.
          return ItemError(out, RejectReason::kOutOfRange,
                           fmt::format("'{}' element {} is {}, beyond what a waveform sample "
                                       "(32-bit float) holds",
                                       *spec_.samples, block->samples.size(), v));
        }
        block->samples.push_back(static_cast<float>(v));
      }
      block->sample_rate_hz = spec_.sample_rate_hz;
      if (spec_.sample_rate) {
        if (!Lookup(root, item, *spec_.sample_rate, true, &e)) {
          return ItemError(out, RejectReason::kMissingField,
                           fmt::format("no '{}' (the sample rate)", *spec_.sample_rate));
        }
        if (e.get_double().get(block->sample_rate_hz)) {
          return ItemError(out, RejectReason::kWrongType,
                           fmt::format("'{}' (the sample rate) is {}, expected a number",
                                       *spec_.sample_rate, TypeName(e.type())));
        }
      }
      r.block = std::move(block);
    } else if (spec_.value) {
      if (!Lookup(root, item, *spec_.value, false, &e)) {
        return ItemError(out, RejectReason::kMissingField,
                         fmt::format("no '{}' (the value)", *spec_.value));
      }
      switch (e.type()) {
        case T::INT64:
        case T::UINT64:
        case T::DOUBLE:
          r.value = e.get_double().value_unsafe();
          r.has_value = true;
          break;
        case T::BOOL: {
          bool b = false;
          b = e.get_bool().value_unsafe();
          r.value = b ? 1.0 : 0.0;
          r.has_value = true;
          break;
        }
        case T::NULL_VALUE:
          r.has_value = false;  // allowed with bad quality; the normalizer decides
          break;
        case T::STRING: {
          std::string_view s;
          s = e.get_string().value_unsafe();
          if (ParseNonFiniteWord(s, &r.value)) {
            r.has_value = true;
            break;
          }
          return ItemError(out, RejectReason::kWrongType,
                           fmt::format("'{}' (the value) is the string \"{}\", expected a number",
                                       *spec_.value, s.substr(0, 64)));
        }
        case T::ARRAY:
        case T::OBJECT:
          return ItemError(out, RejectReason::kWrongType,
                           fmt::format("'{}' (the value) is {}, expected a number", *spec_.value,
                                       TypeName(e.type())));
      }
    }

    if (spec_.timestamp) {
      if (!Lookup(root, item, *spec_.timestamp, true, &e)) {
        return ItemError(out, RejectReason::kMissingField,
                         fmt::format("no '{}' (the timestamp)", *spec_.timestamp));
      }
      const int64_t scale = TimestampScale(spec_.timestamp_unit);
      switch (e.type()) {
        case T::INT64: {
          int64_t v = 0;
          v = e.get_int64().value_unsafe();
          if (v > std::numeric_limits<int64_t>::max() / scale ||
              v < std::numeric_limits<int64_t>::min() / scale) {
            return ItemError(
                out, v > 0 ? RejectReason::kTimestampInFuture : RejectReason::kTimestampTooOld,
                fmt::format("'{}' (the timestamp) {} is out of range; check the decoder's "
                            "timestamp_unit",
                            *spec_.timestamp, v));
          }
          r.ts_ns = v * scale;
          break;
        }
        case T::UINT64:
        case T::DOUBLE: {
          const double v = e.get_double().value_unsafe();
          // Whole and fractional units apart, so that e.g. 1732350000.25 s is exact and not
          // rounded to the 256 ns steps of a double near 1.7e18.
          const double whole = std::trunc(v);
          if (!std::isfinite(v) || std::fabs(whole) > 9.2e18 / static_cast<double>(scale)) {
            return ItemError(
                out, v > 0 ? RejectReason::kTimestampInFuture : RejectReason::kTimestampTooOld,
                fmt::format("'{}' (the timestamp) {} is out of range; check the decoder's "
                            "timestamp_unit",
                            *spec_.timestamp, v));
          }
          r.ts_ns = static_cast<int64_t>(whole) * scale +
                    std::llround((v - whole) * static_cast<double>(scale));
          break;
        }
        case T::STRING: {
          std::string_view s;
          s = e.get_string().value_unsafe();
          if (s.size() > 64) {
            return ItemError(out, RejectReason::kWrongType,
                             fmt::format("'{}' (the timestamp) is a string of {} bytes, not an "
                                         "RFC 3339 timestamp",
                                         *spec_.timestamp, s.size()));
          }
          if (auto reason = YearOutOfRange(s)) {
            return ItemError(out, *reason,
                             fmt::format("'{}' (the timestamp) \"{}\" is out of range (years "
                                         "1678 to 2261)",
                                         *spec_.timestamp, s.substr(0, 64)));
          }
          auto ts = ParseTimestamp(s);
          if (!ts.ok()) {
            return ItemError(
                out, RejectReason::kWrongType,
                fmt::format("'{}' (the timestamp): {}", *spec_.timestamp, ts.status().message()));
          }
          r.ts_ns = *ts;
          break;
        }
        default:
          return ItemError(out, RejectReason::kWrongType,
                           fmt::format("'{}' (the timestamp) is {}, expected a number or an "
                                       "RFC 3339 string",
                                       *spec_.timestamp, TypeName(e.type())));
      }
    }

    if (spec_.quality && Lookup(root, item, *spec_.quality, true, &e)) {
      switch (e.type()) {
        case T::STRING: {
          std::string_view s;
          s = e.get_string().value_unsafe();
          r.quality = ParseQuality(s);
          if (!r.quality) {
            return ItemError(out, RejectReason::kWrongType,
                             fmt::format("'{}' (the quality) is \"{}\"; expected good, uncertain, "
                                         "bad or an OPC UA status code",
                                         *spec_.quality, s.substr(0, 64)));
          }
          break;
        }
        case T::INT64:
        case T::UINT64: {
          uint64_t code = 0;
          if (e.get_uint64().get(code) || code > 0xFFFFFFFFull) {
            return ItemError(
                out, RejectReason::kWrongType,
                fmt::format("'{}' (the quality) is not a 32-bit status code", *spec_.quality));
          }
          r.quality = QualityFromOpcUaStatus(static_cast<uint32_t>(code));
          break;
        }
        case T::BOOL: {
          bool b = false;
          b = e.get_bool().value_unsafe();
          r.quality = b ? Quality::kGood : Quality::kBad;
          break;
        }
        default:
          return ItemError(out, RejectReason::kWrongType,
                           fmt::format("'{}' (the quality) is {}, expected a string or a status "
                                       "code",
                                       *spec_.quality, TypeName(e.type())));
      }
    }

    if (spec_.unit && Lookup(root, item, *spec_.unit, true, &e)) {
      std::string_view unit;
      if (e.get_string().get(unit)) {
        return ItemError(out, RejectReason::kWrongType,
                         fmt::format("'{}' (the unit) is {}, expected a UCUM code string",
                                     *spec_.unit, TypeName(e.type())));
      }
      r.unit = unit;
    }
  }

  DecoderSpec spec_;
  simdjson::dom::parser parser_;
};

class NumberDecoder final : public PayloadDecoder {
 public:
  void Decode(const std::string& payload, DecodeResult* out) override {
    out->Clear();
    std::string_view text(payload);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    double v = 0;
    if (!ParseNumber(text, &v) && !ParseNonFiniteWord(text, &v)) {
      out->failed = true;
      out->reason = RejectReason::kMalformedPayload;
      out->error = fmt::format("payload \"{}\"{} is not a number", text.substr(0, 64),
                               text.size() > 64 ? "..." : "");
      return;
    }
    DecodedItem item;
    item.reading.value = v;
    item.reading.has_value = true;
    out->items.push_back(std::move(item));
  }

 private:
  // A decimal number as from_chars reads it, with an optional leading '+'. Magnitudes beyond
  // the double range become ±inf (the normalizer rejects them), those too small become 0.
  static bool ParseNumber(std::string_view text, double* out) {
    std::string_view digits = text;
    if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-' && digits[1] != '+') {
      digits.remove_prefix(1);
    }
    if (digits.empty()) return false;
    const char* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, *out);
    if (ptr != end) return false;
    if (ec == std::errc()) return true;
    if (ec != std::errc::result_out_of_range) return false;
    *out = OutOfRange(digits);
    return true;
  }

  // The value of a decimal number that from_chars found out of the double range (it leaves
  // its output unset then): ±inf when the magnitude is above DBL_MAX, ±0 when it is below the
  // smallest denormal. Told apart by the power of ten of the first significant digit, which
  // is then either above 300 or below -300.
  static double OutOfRange(std::string_view text) {
    const bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    int64_t magnitude = 0;  // power of ten of the first significant digit, before the exponent
    bool significant = false;
    size_t i = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (significant) {
        ++magnitude;
      } else if (text[i] != '0') {
        significant = true;
      }
    }
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
        if (significant) continue;
        --magnitude;
        if (text[i] != '0') significant = true;
      }
    }
    int64_t exponent = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      const bool negative_exponent = i < text.size() && text[i] == '-';
      if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
      for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
        if (exponent < 1'000'000) exponent = exponent * 10 + (text[i] - '0');
      }
      if (negative_exponent) exponent = -exponent;
    }
    const double v = magnitude + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return negative ? -v : v;
  }
};

}  // namespace

DecoderSpec DecoderSpec::Read(const std::string& name, ConfigNode& node) {
  DecoderSpec spec;
  spec.name = name;
  const std::string type = node.Choice("type", {"json", "number", "sparkplug"}, "json");
  if (type == "number") {
    spec.type = Type::kNumber;
    return spec;
  }
  if (type == "sparkplug") {
    spec.type = Type::kSparkplug;
    return spec;
  }
  spec.type = Type::kJson;
  spec.items = ReadPointer(node, "items");
  spec.item_name = ReadPointer(node, "name");
  spec.value = ReadPointer(node, "value");
  spec.timestamp = ReadPointer(node, "timestamp");
  spec.quality = ReadPointer(node, "quality");
  spec.unit = ReadPointer(node, "unit");
  spec.samples = ReadPointer(node, "samples");
  spec.sample_rate = ReadPointer(node, "sample_rate");
  if (auto hz = node.Find("sample_rate_hz")) {
    spec.sample_rate_hz = hz->AsDouble();
    if (!(spec.sample_rate_hz > 0) || !std::isfinite(spec.sample_rate_hz)) {
      hz->Fail("sample_rate_hz must be a positive number of samples per second");
    }
  }
  const std::string ts_unit = node.Choice("timestamp_unit", {"s", "ms", "us", "ns"}, "ms");
  spec.timestamp_unit = ts_unit == "s"    ? TimestampUnit::kSeconds
                        : ts_unit == "us" ? TimestampUnit::kMicros
                        : ts_unit == "ns" ? TimestampUnit::kNanos
                                          : TimestampUnit::kMillis;
  if (spec.samples && spec.value) {
    node.Fail("a decoder reads either a value or waveform samples, not both");
  }
  if (spec.samples && !spec.sample_rate && !(spec.sample_rate_hz > 0)) {
    node.Fail("a waveform decoder needs `sample_rate` (a JSON pointer) or `sample_rate_hz`");
  }
  if (!spec.samples && (spec.sample_rate || spec.sample_rate_hz > 0)) {
    node.Fail(
        "`sample_rate` and `sample_rate_hz` belong to waveform decoders; add `samples` "
        "(a JSON pointer to the array of samples) or remove them");
  }
  if (!spec.samples && !spec.value) spec.value = "/value";
  return spec;
}

std::unique_ptr<PayloadDecoder> MakePayloadDecoder(const DecoderSpec& spec) {
  if (spec.type == DecoderSpec::Type::kSparkplug) return nullptr;
  if (spec.type == DecoderSpec::Type::kNumber) return std::make_unique<NumberDecoder>();
  return std::make_unique<JsonDecoder>(spec);
}

}  // namespace strata
