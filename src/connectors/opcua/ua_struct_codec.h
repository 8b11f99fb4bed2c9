// Internal to strata_opcua: the codec of a structure is written once, as a function template
// that visits its fields in wire order,
//
//   template <class V, class S>  // S is T or const T
//   Status ReadValueIdFields(V& v, S& x) {
//     STRATA_RETURN_IF_ERROR(v("NodeId", x.node_id));
//     ...
//   }
//
// and STRATA_UA_STRUCT_CODEC(ReadValueId) turns it into Decode() and Encode(). Decoding errors
// get the field path prefixed on the way out ("Results[3].Value: at byte ...").
#pragma once

#include <string_view>

#include "connectors/opcua/ua_binary.h"
#include "connectors/opcua/ua_variant.h"
#include "core/status.h"

namespace strata::opcua::internal {

class FieldDecoder {
 public:
  explicit FieldDecoder(Decoder& d) : d_(d) {}
  template <class T>
  Status operator()(std::string_view name, T& field) {
    Status s = Decode(d_, &field);
    if (!s.ok()) return WithField(s, name);
    return s;
  }

 private:
  Decoder& d_;
};

class FieldEncoder {
 public:
  explicit FieldEncoder(Encoder& e) : e_(e) {}
  template <class T>
  Status operator()(std::string_view /*name*/, const T& field) {
    Encode(e_, field);
    return Status::Ok();
  }

 private:
  Encoder& e_;
};

}  // namespace strata::opcua::internal

// Defines Decode(Decoder&, Type*) and Encode(Encoder&, const Type&) from TypeFields().
#define STRATA_UA_STRUCT_CODEC(Type)                             \
  Status Decode(Decoder& d, Type* x) {                           \
    internal::FieldDecoder v(d);                                 \
    return Type##Fields(v, *x);                                  \
  }                                                              \
  void Encode(Encoder& e, const Type& x) {                       \
    internal::FieldEncoder v(e);                                 \
    Type##Fields(v, x).IgnoreError(); /* encoding cannot fail */ \
  }
