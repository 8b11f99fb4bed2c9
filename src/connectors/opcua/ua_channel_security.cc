#include "connectors/opcua/ua_channel_security.h"

namespace strata::opcua {
namespace {

class NoneSecurity final : public ChannelSecurity {
 public:
  std::string_view policy_uri() const override { return kSecurityPolicyNone; }
  MessageSecurityMode mode() const override { return MessageSecurityMode::kNone; }
  AsymmetricSecurityHeader AsymmetricHeader() const override { return {}; }
  ByteString NewClientNonce() override { return {}; }
  Status AcceptServerNonce(const ByteString&) override { return Status::Ok(); }
  size_t MaxBodySize(size_t chunk_size, bool asymmetric) const override {
    const size_t overhead =
        asymmetric ? AsymmetricChunkOverhead(AsymmetricHeader()) : kSymmetricChunkOverhead;
    return chunk_size > overhead ? chunk_size - overhead : 0;
  }
  Status EncodeChunk(const SecureChunk& chunk, std::string* out) override {
    return EncodeSecureChunk(chunk, out);
  }
  Status DecodeChunk(std::span<const uint8_t> frame, SecureChunk* out,
                     const DecodeLimits& limits) override {
    return DecodeSecureChunk(frame, out, limits);
  }
};

}  // namespace

std::unique_ptr<ChannelSecurity> MakeNoneSecurity() { return std::make_unique<NoneSecurity>(); }

}  // namespace strata::opcua
