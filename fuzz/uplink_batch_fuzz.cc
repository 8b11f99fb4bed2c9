// libFuzzer target for the uplink batch decoder (uplink/uplink_batch.h): batches arrive at the
// hub from the network. A damaged, forged or hostile batch must be refused with a Status; one
// that decodes must survive a round trip.
//
// The checksum would stop the fuzzer at the header, so the first input byte chooses: odd — the
// input is a whole batch; even — the rest is a body, framed here with a valid header, checksum
// and zstd frame, so that the record decoder itself is fuzzed.
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/byte_io.h"
#include "core/sha256.h"
#include "uplink/uplink_batch.h"

namespace {

std::string Frame(std::string_view stream, uint32_t count, std::string_view body) {
  std::string out;
  strata::ByteWriter w(&out);
  w.Raw(strata::kUplinkMagic);
  w.Byte(static_cast<uint8_t>(stream.size()));
  w.Raw(stream);
  w.Byte(4);
  w.Raw("fuzz");
  w.Fixed(1, 8);
  w.Fixed(count, 4);
  w.Fixed(1, 8);
  w.Fixed(body.size(), 4);
  out += strata::Sha256Digest(out, body);
  std::string frame(ZSTD_compressBound(body.size()), '\0');
  const size_t n = ZSTD_compress(frame.data(), frame.size(), body.data(), body.size(), 1);
  if (ZSTD_isError(n)) std::abort();
  out.append(frame.data(), n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string bytes;
  if (data[0] & 1) {
    bytes.assign(rest);
  } else {
    static constexpr std::string_view kStreams[] = {"obs", "dlq", "dec", "alr"};
    bytes = Frame(kStreams[(data[0] >> 1) & 3], 1 + ((data[0] >> 3) & 7), rest);
  }
  auto batch = strata::DecodeUplinkBatch(bytes);
  if (!batch.ok()) return 0;
  auto again = strata::EncodeUplinkBatch(*batch);
  if (!again.ok()) std::abort();
  auto back = strata::DecodeUplinkBatch(*again);
  if (!back.ok() || back->count() != batch->count() || back->first_seq != batch->first_seq) {
    std::abort();
  }
  return 0;
}
