// Fuzz target: waveform block bytes as read back from disk (and, later, from a hub).
// DecodeBlock must reject garbage with a Status, never crash or allocate without bound; what
// it accepts must re-encode and decode to the same samples.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "store/sqlite/block_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto block = strata::DecodeBlock(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!block.ok()) return 0;
  auto again = strata::EncodeBlock(*block);
  if (!again.ok()) __builtin_trap();
  auto back = strata::DecodeBlock(*again);
  if (!back.ok() || back->samples.size() != block->samples.size() ||
      std::memcmp(back->samples.data(), block->samples.data(),
                  block->samples.size() * sizeof(float)) != 0) {
    __builtin_trap();
  }
  return 0;
}
