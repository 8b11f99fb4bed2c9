// ChannelSecurity: what a SecurityPolicy does to the chunks of a secure channel
// (OPC 10000-6 §6.7). SecureChannel frames, numbers, splits and reassembles chunks; the policy
// alone decides how a chunk's bytes are protected. Only None exists today: chunks go as
// ua_tcp.h encodes them. Basic256Sha256 plugs in here: certificates in the asymmetric header,
// RSA-OAEP/RSA-PSS on OPN chunks, AES-CBC + HMAC-SHA256 on MSG/CLO chunks with keys derived
// from the nonces that OpenSecureChannel exchanges, and padding/signature room in
// MaxBodySize.
//
// Threading: owned by one SecureChannel; not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "connectors/opcua/ua_session_services.h"
#include "connectors/opcua/ua_tcp.h"
#include "core/status.h"

namespace strata::opcua {

class ChannelSecurity {
 public:
  virtual ~ChannelSecurity() = default;
  virtual std::string_view policy_uri() const = 0;
  virtual MessageSecurityMode mode() const = 0;
  // The asymmetric security header of OPN chunks (policy, certificate, thumbprint).
  virtual AsymmetricSecurityHeader AsymmetricHeader() const = 0;
  // The nonce for the next OpenSecureChannelRequest (empty for None).
  virtual ByteString NewClientNonce() = 0;
  // The server's nonce from an OpenSecureChannelResponse: derives the keys of the new token.
  [[nodiscard]] virtual Status AcceptServerNonce(const ByteString& nonce) = 0;
  // The largest body a chunk of `chunk_size` bytes can carry (OPN when `asymmetric`).
  virtual size_t MaxBodySize(size_t chunk_size, bool asymmetric) const = 0;
  // Appends one chunk, protected, to *out.
  [[nodiscard]] virtual Status EncodeChunk(const SecureChunk& chunk, std::string* out) = 0;
  // Checks and unprotects one received chunk; out->body views `frame` (or a buffer of the
  // policy's, valid until the next call).
  [[nodiscard]] virtual Status DecodeChunk(std::span<const uint8_t> frame, SecureChunk* out,
                                           const DecodeLimits& limits) = 0;
};

// SecurityPolicy None, MessageSecurityMode None.
std::unique_ptr<ChannelSecurity> MakeNoneSecurity();

}  // namespace strata::opcua
