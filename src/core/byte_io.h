// Little-endian byte encoding shared by the stored and wire formats (store chunks, uplink
// batches): LEB128 varints (minimal), zigzag for signed values, IEEE 754 floats.
//
// ByteReader reads untrusted bytes: every read is bounds-checked and reports failure instead of
// reading past the end. Thread-safe: no shared state.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace strata {

static_assert(std::numeric_limits<double>::is_iec559 && std::numeric_limits<float>::is_iec559,
              "the formats carry IEEE 754 floats");

inline constexpr size_t kMaxVarintBytes = 10;

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Writes `v` at `p`; returns the end. `p` must have room for kMaxVarintBytes.
inline char* PutVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Writes the `n` low bytes of `bits` little-endian at `p`.
inline void PutLittleEndian(uint64_t bits, int n, char* p) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
}
inline void PutF64(double v, char* p) { PutLittleEndian(std::bit_cast<uint64_t>(v), 8, p); }

// Appends to a string (formats built piece by piece).
class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void Byte(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void Varint(uint64_t v) {
    char buf[kMaxVarintBytes];
    out_->append(buf, PutVarint(v, buf));
  }
  void SignedVarint(int64_t v) { Varint(ZigZag(v)); }
  void Fixed(uint64_t v, int n) {
    char buf[8];
    PutLittleEndian(v, n, buf);
    out_->append(buf, static_cast<size_t>(n));
  }
  void F64(double v) { Fixed(std::bit_cast<uint64_t>(v), 8); }
  void F32(float v) { Fixed(std::bit_cast<uint32_t>(v), 4); }
  // A varint length, then the bytes.
  void String(std::string_view s) {
    Varint(s.size());
    out_->append(s);
  }
  void Raw(std::string_view s) { out_->append(s); }

 private:
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool done() const { return p_ == end_; }

  bool Byte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  // Reads a varint into `*v`. Returns "" or, when it is truncated, longer than 64 bits or not
  // minimal, what is wrong with it (for an error message).
  std::string_view Varint(uint64_t* v) {
    uint64_t result = 0;
    for (size_t i = 0; i < kMaxVarintBytes; ++i) {
      if (p_ == end_) return "truncated";
      const auto byte = static_cast<uint8_t>(*p_++);
      if (i == kMaxVarintBytes - 1 && byte > 1) return "a varint over 64 bits";
      result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        if (byte == 0 && i > 0) return "not a minimal varint (it ends in a zero group)";
        *v = result;
        return "";
      }
    }
    return "a varint over 64 bits";  // unreachable: the 10th byte ends the varint or fails
  }
  std::string_view SignedVarint(int64_t* v) {
    uint64_t u = 0;
    std::string_view bad = Varint(&u);
    if (bad.empty()) *v = UnZigZag(u);
    return bad;
  }
  bool Fixed(int n, uint64_t* v) {
    if (remaining() < static_cast<size_t>(n)) return false;
    uint64_t bits = 0;
    for (int i = 0; i < n; ++i) {
      bits |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    }
    p_ += n;
    *v = bits;
    return true;
  }
  bool F64(double* v) {
    uint64_t bits = 0;
    if (!Fixed(8, &bits)) return false;
    *v = std::bit_cast<double>(bits);
    return true;
  }
  bool F32(float* v) {
    uint64_t bits = 0;
    if (!Fixed(4, &bits)) return false;
    *v = std::bit_cast<float>(static_cast<uint32_t>(bits));
    return true;
  }
  // The next `n` bytes, without copying; false when fewer remain.
  bool Bytes(size_t n, std::string_view* v) {
    if (remaining() < n) return false;
    *v = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  // A varint length (at most `max_len`), then that many bytes.
  std::string_view String(size_t max_len, std::string_view* v) {
    uint64_t n = 0;
    if (std::string_view bad = Varint(&n); !bad.empty()) return bad;
    if (n > max_len) return "longer than allowed";
    if (!Bytes(static_cast<size_t>(n), v)) return "truncated";
    return "";
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace strata
