#include "core/quality.h"

#include <cctype>
#include <charconv>
#include <string>

namespace strata {

std::string_view QualityName(Quality q) {
  switch (q) {
    case Quality::kGood: return "good";
    case Quality::kUncertain: return "uncertain";
    case Quality::kBad: return "bad";
  }
  return "bad";
}

Quality QualityFromOpcUaStatus(uint32_t status_code) {
  switch (status_code >> 30) {
    case 0: return Quality::kGood;
    case 1: return Quality::kUncertain;
    default: return Quality::kBad;
  }
}

std::optional<Quality> ParseQuality(std::string_view text) {
  std::string lower;
  lower.reserve(text.size());
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "good" || lower == "g") return Quality::kGood;
  if (lower == "uncertain" || lower == "u") return Quality::kUncertain;
  if (lower == "bad" || lower == "b") return Quality::kBad;
  uint64_t code = 0;
  std::string_view digits = lower;
  int base = 10;
  if (digits.starts_with("0x")) {
    digits.remove_prefix(2);
    base = 16;
  }
  if (digits.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || code > 0xFFFFFFFFull) {
    return std::nullopt;
  }
  return QualityFromOpcUaStatus(static_cast<uint32_t>(code));
}

}  // namespace strata
