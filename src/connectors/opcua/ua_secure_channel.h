// SecureChannel: the client end of a UA Secure Conversation channel over a UaTransport
// (OPC 10000-6 §6.7, §7.1): Hello/Acknowledge, OpenSecureChannel (issue, then renew before
// the token's lifetime ends), MSG requests split into chunks the server accepts, responses
// reassembled from their chunks, CloseSecureChannel.
//
// Limits, so a broken or hostile server costs the connection and never unbounded memory:
//   - a chunk may be at most our ReceiveBufferSize (or what the server revised it down to);
//   - a response may be at most max_message_size bytes and max_chunk_count chunks (we announce
//     both in Hello; a server that still sends more gets a ResourceExhausted error naming the
//     limit, and the channel is closed);
//   - requests respect the server's ReceiveBufferSize, MaxMessageSize and MaxChunkCount.
// Any error from Send/Receive other than a ServiceFault leaves the channel unusable: the caller
// closes it and opens a new one (the byte stream cannot be resynchronised).
//
// Chunk protection is the ChannelSecurity's (ua_channel_security.h): only None today.
//
// Threading: one thread; the transport's Interrupt may come from another.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/opcua/ua_channel_security.h"
#include "connectors/opcua/ua_services.h"
#include "connectors/opcua/ua_session_services.h"
#include "connectors/opcua/ua_tcp.h"
#include "connectors/opcua/ua_transport.h"
#include "core/status.h"

namespace strata::opcua {

struct ChannelOptions {
  uint32_t receive_buffer_size = 65536;     // largest chunk we accept (>= 8192)
  uint32_t send_buffer_size = 65536;        // largest chunk we send
  uint32_t max_message_size = 16u << 20;    // largest response we accept
  uint32_t max_chunk_count = 0;             // 0: max_message_size / 8192 + 1
  uint32_t requested_lifetime_ms = 600000;  // of each security token
  DecodeLimits decode_limits;
};

class SecureChannel {
 public:
  // `transport` must outlive the channel.
  SecureChannel(UaTransport* transport, std::unique_ptr<ChannelSecurity> security,
                ChannelOptions options);

  // Connects, exchanges Hello/Acknowledge and opens the channel (the first token).
  [[nodiscard]] Status Open(const std::string& host, int port, const std::string& endpoint_url,
                            SteadyTime deadline);

  // Sends one request: `body` is an encoded message (EncodeMessage). Assigns its request id.
  [[nodiscard]] Status Send(std::string_view body, uint32_t* request_id, SteadyTime deadline);

  struct Response {
    uint32_t request_id = 0;
    std::string body;  // the reassembled message body (envelope included)
  };
  // Waits for the next complete response. Answers to token renewals are consumed here. A
  // timeout (IsTimeout) leaves the channel open; any other error closes it.
  [[nodiscard]] Status Receive(Response* out, SteadyTime deadline);

  // Sends a renewal when 75% of the current token's lifetime has passed and none is pending.
  [[nodiscard]] Status RenewIfDue(SteadyTime deadline);
  // When the next renewal is due (Receive's callers wake up for it).
  SteadyTime renew_at() const { return renew_at_; }

  // Sends CloseSecureChannel (best effort) and closes the transport.
  void Close(SteadyTime deadline);

  bool is_open() const { return open_; }
  const AcknowledgeMessage& acknowledge() const { return ack_; }
  uint32_t channel_id() const { return channel_id_; }
  uint32_t token_id() const { return token_id_; }
  uint32_t revised_lifetime_ms() const { return lifetime_ms_; }
  uint64_t renewals() const { return renewals_; }
  uint32_t max_response_size() const { return options_.max_message_size; }

 private:
  [[nodiscard]] Status SendOpen(SecurityTokenRequestType type, uint32_t* request_id,
                                SteadyTime deadline);
  [[nodiscard]] Status SendChunks(MessageType type, std::string_view body, uint32_t request_id,
                                  SteadyTime deadline);
  // The next complete frame from the transport: its bytes stay at rx_[rx_pos_, +size).
  [[nodiscard]] Status ReadFrame(MessageHeader* header, SteadyTime deadline);
  [[nodiscard]] Status HandleOpenResponse(std::span<const uint8_t> body, size_t offset);
  [[nodiscard]] Status CheckSequence(uint32_t sequence_number);
  [[nodiscard]] Status Fail(Status s);

  UaTransport* transport_;
  std::unique_ptr<ChannelSecurity> security_;
  ChannelOptions options_;
  AcknowledgeMessage ack_;
  bool open_ = false;
  uint32_t channel_id_ = 0;
  uint32_t token_id_ = 0;
  uint32_t lifetime_ms_ = 0;
  SteadyTime renew_at_ = SteadyTime::max();
  uint32_t renew_request_id_ = 0;  // 0: none pending
  uint64_t renewals_ = 0;
  uint32_t next_sequence_ = 1;
  uint32_t next_request_id_ = 1;
  bool have_received_sequence_ = false;
  uint32_t last_received_sequence_ = 0;
  uint32_t chunk_limit_ = 0;  // largest chunk accepted (our buffer or the server's revision)

  std::string rx_;  // received bytes; rx_[rx_pos_..] not consumed yet
  size_t rx_pos_ = 0;
  size_t frame_size_ = 0;  // of the frame at rx_pos_ after ReadFrame
  std::string tx_;
  // Reassembly of a multi-chunk response.
  std::string assembly_;
  uint32_t assembly_request_id_ = 0;
  uint32_t assembly_chunks_ = 0;
};

}  // namespace strata::opcua
