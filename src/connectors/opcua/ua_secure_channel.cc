#include "connectors/opcua/ua_secure_channel.h"

#include <fmt/format.h>

#include <algorithm>

#include "connectors/opcua/ua_status_codes.h"

namespace strata::opcua {
namespace {

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

DateTime Now() {
  return DateTime::FromUnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

}  // namespace

SecureChannel::SecureChannel(UaTransport* transport, std::unique_ptr<ChannelSecurity> security,
                             ChannelOptions options)
    : transport_(transport), security_(std::move(security)), options_(options) {
  options_.receive_buffer_size = std::max(options_.receive_buffer_size, kMinBufferSize);
  options_.send_buffer_size = std::max(options_.send_buffer_size, kMinBufferSize);
  if (options_.max_chunk_count == 0) {
    options_.max_chunk_count = options_.max_message_size / kMinBufferSize + 1;
  }
}

Status SecureChannel::Fail(Status s) {
  open_ = false;
  transport_->Close();
  return s;
}

Status SecureChannel::Open(const std::string& host, int port, const std::string& endpoint_url,
                           SteadyTime deadline) {
  open_ = false;
  rx_.clear();
  rx_pos_ = 0;
  frame_size_ = 0;
  assembly_.clear();
  assembly_chunks_ = 0;
  channel_id_ = 0;
  token_id_ = 0;
  renew_request_id_ = 0;
  renew_at_ = SteadyTime::max();
  have_received_sequence_ = false;
  next_sequence_ = 1;
  chunk_limit_ = options_.receive_buffer_size;
  STRATA_RETURN_IF_ERROR(transport_->Connect(host, port, deadline));

  HelloMessage hello;
  hello.receive_buffer_size = options_.receive_buffer_size;
  hello.send_buffer_size = options_.send_buffer_size;
  hello.max_message_size = options_.max_message_size;
  hello.max_chunk_count = options_.max_chunk_count;
  hello.endpoint_url = endpoint_url;
  tx_.clear();
  STRATA_RETURN_IF_ERROR(EncodeHello(hello, &tx_));
  if (Status s = transport_->Send(tx_, deadline); !s.ok()) return Fail(s);

  MessageHeader header;
  if (Status s = ReadFrame(&header, deadline); !s.ok()) return Fail(s);
  const auto frame = AsBytes(std::string_view(rx_).substr(rx_pos_, frame_size_));
  if (header.type == MessageType::kError) {
    ErrorMessage error;
    if (DecodeError(frame, &error).ok()) {
      return Fail(UnavailableError(fmt::format("the server refused the connection: {} {}",
                                               DescribeUaStatus(error.error), error.reason)));
    }
  }
  if (header.type != MessageType::kAcknowledge) {
    return Fail(InvalidArgumentError(fmt::format(
        "expected an Acknowledge to Hello, got a {} message", MessageTypeCode(header.type))));
  }
  if (Status s = DecodeAcknowledge(frame, &ack_); !s.ok()) {
    return Fail(s.WithContext("Acknowledge"));
  }
  rx_pos_ += frame_size_;
  // The server's receive buffer bounds what we send; its send buffer must fit ours.
  if (ack_.receive_buffer_size < kMinBufferSize || ack_.send_buffer_size < kMinBufferSize) {
    return Fail(InvalidArgumentError(fmt::format(
        "the server's buffer sizes ({} receive, {} send) are below the minimum of {} bytes",
        ack_.receive_buffer_size, ack_.send_buffer_size, kMinBufferSize)));
  }
  chunk_limit_ = std::min(ack_.send_buffer_size, options_.receive_buffer_size);

  uint32_t request_id = 0;
  if (Status s = SendOpen(SecurityTokenRequestType::kIssue, &request_id, deadline); !s.ok()) {
    return Fail(s);
  }
  if (Status s = ReadFrame(&header, deadline); !s.ok()) return Fail(s);
  const auto opn = AsBytes(std::string_view(rx_).substr(rx_pos_, frame_size_));
  if (header.type == MessageType::kError) {
    ErrorMessage error;
    if (DecodeError(opn, &error).ok()) {
      return Fail(UnavailableError(fmt::format("the server refused OpenSecureChannel: {} {}",
                                               DescribeUaStatus(error.error), error.reason)));
    }
  }
  if (header.type != MessageType::kOpenSecureChannel) {
    return Fail(InvalidArgumentError(fmt::format(
        "expected an OpenSecureChannel response, got a {} message", MessageTypeCode(header.type))));
  }
  SecureChunk chunk;
  if (Status s = security_->DecodeChunk(opn, &chunk, options_.decode_limits); !s.ok()) {
    return Fail(s.WithContext("OpenSecureChannel response"));
  }
  if (chunk.sequence.request_id != request_id) {
    return Fail(InvalidArgumentError("OpenSecureChannel response to another request"));
  }
  channel_id_ = chunk.secure_channel_id;
  if (Status s = CheckSequence(chunk.sequence.sequence_number); !s.ok()) return Fail(s);
  if (Status s = HandleOpenResponse(chunk.body, chunk.body_offset); !s.ok()) return Fail(s);
  rx_pos_ += frame_size_;
  open_ = true;
  return Status::Ok();
}

Status SecureChannel::SendOpen(SecurityTokenRequestType type, uint32_t* request_id,
                               SteadyTime deadline) {
  OpenSecureChannelRequest request;
  request.request_header.timestamp = Now();
  request.request_header.request_handle = next_request_id_;
  request.request_header.timeout_hint = 10000;
  request.request_type = type;
  request.security_mode = security_->mode();
  request.client_nonce = security_->NewClientNonce();
  request.requested_lifetime = options_.requested_lifetime_ms;
  std::string body;
  EncodeMessage(request, &body);
  *request_id = next_request_id_++;
  SecureChunk chunk;
  chunk.type = MessageType::kOpenSecureChannel;
  chunk.secure_channel_id = channel_id_;
  chunk.asymmetric = security_->AsymmetricHeader();
  chunk.sequence = {next_sequence_++, *request_id};
  chunk.body = AsBytes(body);
  if (body.size() > security_->MaxBodySize(ack_.receive_buffer_size, true)) {
    return InvalidArgumentError("OpenSecureChannel request does not fit in one chunk");
  }
  tx_.clear();
  STRATA_RETURN_IF_ERROR(security_->EncodeChunk(chunk, &tx_));
  return transport_->Send(tx_, deadline);
}

Status SecureChannel::HandleOpenResponse(std::span<const uint8_t> body, size_t offset) {
  OpenSecureChannelResponse response;
  STRATA_RETURN_IF_ERROR(DecodeMessage(body, &response, options_.decode_limits, offset));
  if (!IsGood(response.response_header.service_result)) {
    return UnavailableError(fmt::format("OpenSecureChannel failed: {}",
                                        DescribeUaStatus(response.response_header.service_result)));
  }
  if (channel_id_ != 0 && response.security_token.channel_id != channel_id_) {
    return InvalidArgumentError(
        fmt::format("OpenSecureChannel response names channel {}, this is channel {}",
                    response.security_token.channel_id, channel_id_));
  }
  STRATA_RETURN_IF_ERROR(security_->AcceptServerNonce(response.server_nonce));
  channel_id_ = response.security_token.channel_id;
  token_id_ = response.security_token.token_id;
  lifetime_ms_ = std::max<uint32_t>(response.security_token.revised_lifetime, 1000);
  // Renew at 75% of the lifetime (Part 4 §5.5.2 asks for renewal before it ends; the server
  // keeps the old token valid for 25% more).
  renew_at_ =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(uint64_t{lifetime_ms_} * 3 / 4);
  return Status::Ok();
}

Status SecureChannel::CheckSequence(uint32_t n) {
  if (have_received_sequence_) {
    const uint32_t expected = last_received_sequence_ + 1;
    // Part 6 §6.7.2.4: after 4294966271 the sequence number may wrap to a value below 1024.
    const bool wrapped = last_received_sequence_ > 4294966271u && n < 1024;
    if (n != expected && !wrapped) {
      return InvalidArgumentError(
          fmt::format("chunk sequence number {} where {} was expected (BadSequenceNumberInvalid)",
                      n, expected));
    }
  }
  have_received_sequence_ = true;
  last_received_sequence_ = n;
  return Status::Ok();
}

Status SecureChannel::SendChunks(MessageType type, std::string_view body, uint32_t request_id,
                                 SteadyTime deadline) {
  const size_t max_body = security_->MaxBodySize(ack_.receive_buffer_size, false);
  if (ack_.max_message_size != 0 && body.size() > ack_.max_message_size) {
    return ResourceExhaustedError(
        fmt::format("a request of {} bytes exceeds the server's MaxMessageSize of {}", body.size(),
                    ack_.max_message_size));
  }
  const size_t chunks = std::max<size_t>(1, (body.size() + max_body - 1) / max_body);
  if (ack_.max_chunk_count != 0 && chunks > ack_.max_chunk_count) {
    return ResourceExhaustedError(
        fmt::format("a request of {} chunks exceeds the server's MaxChunkCount of {}", chunks,
                    ack_.max_chunk_count));
  }
  tx_.clear();
  size_t at = 0;
  do {
    const size_t n = std::min(max_body, body.size() - at);
    SecureChunk chunk;
    chunk.type = type;
    chunk.chunk_type = at + n == body.size() ? ChunkType::kFinal : ChunkType::kIntermediate;
    chunk.secure_channel_id = channel_id_;
    chunk.token_id = token_id_;
    chunk.sequence = {next_sequence_++, request_id};
    chunk.body = AsBytes(body.substr(at, n));
    STRATA_RETURN_IF_ERROR(security_->EncodeChunk(chunk, &tx_));
    at += n;
  } while (at < body.size());
  return transport_->Send(tx_, deadline);
}

Status SecureChannel::Send(std::string_view body, uint32_t* request_id, SteadyTime deadline) {
  if (!open_) return UnavailableError("the secure channel is not open");
  *request_id = next_request_id_++;
  if (next_request_id_ == 0) next_request_id_ = 1;
  Status s = SendChunks(MessageType::kMessage, body, *request_id, deadline);
  if (!s.ok() && s.code() != StatusCode::kResourceExhausted) return Fail(s);
  return s;
}

Status SecureChannel::RenewIfDue(SteadyTime deadline) {
  if (!open_ || renew_request_id_ != 0 || std::chrono::steady_clock::now() < renew_at_) {
    return Status::Ok();
  }
  Status s = SendOpen(SecurityTokenRequestType::kRenew, &renew_request_id_, deadline);
  return s.ok() ? s : Fail(s);
}

Status SecureChannel::ReadFrame(MessageHeader* header, SteadyTime deadline) {
  // Drop what earlier frames consumed once it is most of the buffer.
  if (rx_pos_ > 0 && rx_pos_ >= rx_.size() / 2) {
    rx_.erase(0, rx_pos_);
    rx_pos_ = 0;
  }
  for (;;) {
    const auto pending = AsBytes(std::string_view(rx_).substr(rx_pos_));
    STRATA_ASSIGN_OR_RETURN(Frame frame, SplitFrame(pending, chunk_limit_));
    if (frame.kind == Frame::Kind::kComplete) {
      *header = frame.header;
      frame_size_ = frame.bytes;
      return Status::Ok();
    }
    // Never more than the rest of one frame (at most one chunk): memory stays bounded.
    STRATA_RETURN_IF_ERROR(
        transport_->Receive(&rx_, std::max<size_t>(frame.bytes, 4096), deadline));
  }
}

Status SecureChannel::Receive(Response* out, SteadyTime deadline) {
  if (!open_) return UnavailableError("the secure channel is not open");
  for (;;) {
    MessageHeader header;
    if (Status s = ReadFrame(&header, deadline); !s.ok()) return IsTimeout(s) ? s : Fail(s);
    const auto frame = AsBytes(std::string_view(rx_).substr(rx_pos_, frame_size_));
    rx_pos_ += frame_size_;
    if (header.type == MessageType::kError) {
      ErrorMessage error;
      if (Status s = DecodeError(frame, &error); !s.ok()) return Fail(s.WithContext("Error"));
      return Fail(UnavailableError(fmt::format("the server closed the channel: {} {}",
                                               DescribeUaStatus(error.error), error.reason)));
    }
    if (header.type != MessageType::kMessage && header.type != MessageType::kOpenSecureChannel) {
      return Fail(InvalidArgumentError(
          fmt::format("unexpected {} message on an open channel", MessageTypeCode(header.type))));
    }
    SecureChunk chunk;
    if (Status s = security_->DecodeChunk(frame, &chunk, options_.decode_limits); !s.ok()) {
      return Fail(s);
    }
    if (chunk.secure_channel_id != channel_id_) {
      return Fail(InvalidArgumentError(fmt::format("a chunk for channel {} on channel {}",
                                                   chunk.secure_channel_id, channel_id_)));
    }
    if (Status s = CheckSequence(chunk.sequence.sequence_number); !s.ok()) return Fail(s);

    if (header.type == MessageType::kOpenSecureChannel) {
      if (renew_request_id_ == 0 || chunk.sequence.request_id != renew_request_id_) {
        return Fail(InvalidArgumentError("an OpenSecureChannel response nobody asked for"));
      }
      if (Status s = HandleOpenResponse(chunk.body, chunk.body_offset); !s.ok()) return Fail(s);
      renew_request_id_ = 0;
      ++renewals_;
      continue;
    }
    if (assembly_chunks_ > 0 && chunk.sequence.request_id != assembly_request_id_) {
      return Fail(InvalidArgumentError(
          fmt::format("a chunk of the response to request {} inside the response to request {}",
                      chunk.sequence.request_id, assembly_request_id_)));
    }
    if (chunk.chunk_type == ChunkType::kAbort) {
      assembly_.clear();
      assembly_chunks_ = 0;
      Decoder d(chunk.body);
      uint32_t code = 0;
      std::string reason;
      if (!d.ReadUInt32(&code).ok() || !d.ReadString(&reason).ok()) reason = "(unreadable)";
      return FailedPreconditionError(
          fmt::format("the server aborted the response to request {}: {} {}",
                      chunk.sequence.request_id, DescribeUaStatus(code), reason));
    }
    ++assembly_chunks_;
    assembly_request_id_ = chunk.sequence.request_id;
    if (assembly_.size() + chunk.body.size() > options_.max_message_size ||
        assembly_chunks_ > options_.max_chunk_count) {
      assembly_.clear();
      assembly_chunks_ = 0;
      return Fail(ResourceExhaustedError(fmt::format(
          "the response to request {} exceeds max_message_size ({} bytes in at most {} chunks, "
          "announced in Hello); the connection is closed. Raise max_message_size or ask for less "
          "per request",
          chunk.sequence.request_id, options_.max_message_size, options_.max_chunk_count)));
    }
    if (chunk.chunk_type == ChunkType::kIntermediate) {
      assembly_.append(reinterpret_cast<const char*>(chunk.body.data()), chunk.body.size());
      continue;
    }
    out->request_id = chunk.sequence.request_id;
    if (assembly_chunks_ == 1) {
      out->body.assign(reinterpret_cast<const char*>(chunk.body.data()), chunk.body.size());
    } else {
      assembly_.append(reinterpret_cast<const char*>(chunk.body.data()), chunk.body.size());
      out->body.swap(assembly_);
      assembly_.clear();
    }
    assembly_chunks_ = 0;
    return Status::Ok();
  }
}

void SecureChannel::Close(SteadyTime deadline) {
  if (open_) {
    CloseSecureChannelRequest request;
    request.request_header.timestamp = Now();
    std::string body;
    EncodeMessage(request, &body);
    const uint32_t id = next_request_id_++;
    SendChunks(MessageType::kCloseSecureChannel, body, id, deadline).IgnoreError();
  }
  open_ = false;
  transport_->Close();
}

}  // namespace strata::opcua
