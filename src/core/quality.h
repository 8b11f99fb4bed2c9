// Quality of an observation, as OPC UA and most historians grade it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace strata {

enum class Quality : uint8_t { kGood = 0, kUncertain = 1, kBad = 2 };

std::string_view QualityName(Quality q);

// Accepts "good" / "uncertain" / "bad" (any case), "g"/"u"/"b", and OPC UA StatusCode
// numbers (severity in the top two bits: 0x0… good, 0x4… uncertain, 0x8…/0xC… bad).
// Returns nullopt for anything else.
std::optional<Quality> ParseQuality(std::string_view text);
Quality QualityFromOpcUaStatus(uint32_t status_code);

}  // namespace strata
