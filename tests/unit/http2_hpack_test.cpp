#include "inferload/http2/hpack.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferload::http2 {
namespace {

using Field = std::pair<std::string, std::string>;
using Fields = std::vector<Field>;

// The header list of an OIP ModelInfer call over gRPC, as the client sends it.
const std::vector<Header> kGrpcRequest = {
    {":method", "POST"},
    {":scheme", "http"},
    {":path", "/inference.GRPCInferenceService/ModelInfer"},
    {":authority", "seldon-mesh.seldon.svc.cluster.local:80"},
    {"content-type", "application/grpc"},
    {"te", "trailers"},
    {"grpc-timeout", "60000m"},
    {"seldon-model", "tfsimple1"},
};

Fields fields_of(const std::vector<Header>& headers) {
  Fields fields;
  for (const Header& header : headers) fields.emplace_back(header.name, header.value);
  return fields;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (const char c : hex) {
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else {
      continue;  // the RFC's spacing
    }
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<char>(high << 4 | nibble));
      high = -1;
    }
  }
  return out;
}

// Decodes `block` as one fragment.
HpackStatus decode_block(HpackDecoder& decoder, std::string_view block, Fields& fields) {
  return decoder.decode(block, true, [&](std::string_view name, std::string_view value) {
    fields.emplace_back(name, value);
  });
}

std::string encode(HpackEncoder& encoder, const std::vector<Header>& headers) {
  std::string block;
  EXPECT_TRUE(encoder.encode(headers.data(), headers.size(), block));
  return block;
}

TEST(HpackRoundTrip, GrpcRequestHeaders) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  const std::string block = encode(encoder, kGrpcRequest);
  Fields fields;
  EXPECT_EQ(decode_block(decoder, block, fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(kGrpcRequest));
  EXPECT_FALSE(decoder.in_block());
  EXPECT_EQ(decoder.dynamic_table_size(), encoder.dynamic_table_size());
}

TEST(HpackRoundTrip, EncodeAppendsToWhatIsThere) {
  HpackEncoder encoder;
  std::string out = "frame header";
  ASSERT_TRUE(encoder.encode(kGrpcRequest.data(), kGrpcRequest.size(), out));
  ASSERT_GT(out.size(), 12u);
  EXPECT_EQ(out.substr(0, 12), "frame header");
  HpackDecoder decoder;
  Fields fields;
  EXPECT_EQ(decode_block(decoder, std::string_view(out).substr(12), fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(kGrpcRequest));
}

TEST(HpackRoundTrip, ManyBlocksShareTheDynamicTable) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 200; ++i) {
    std::vector<Header> headers = kGrpcRequest;
    // Every 10th request names another model; the rest repeat one, as a run mostly does.
    const std::string model = "model-" + std::to_string(i % 10 == 0 ? i : 0);
    headers.back().value = model;
    const std::string block = encode(encoder, headers);
    sizes.push_back(block.size());
    Fields fields;
    ASSERT_EQ(decode_block(decoder, block, fields), HpackStatus::ok) << "block " << i;
    ASSERT_EQ(fields, fields_of(headers)) << "block " << i;
    ASSERT_EQ(decoder.dynamic_table_size(), encoder.dynamic_table_size()) << "block " << i;
  }
  // Once indexed, a repeated field is one byte; nghttp2 never indexes :path (it is expected to
  // differ per request), so it stays a literal: index byte, length byte, 31 Huffman bytes.
  EXPECT_LT(sizes[1] * 3, sizes[0]);
  EXPECT_EQ(sizes[1], (kGrpcRequest.size() - 1) + 2 + 31);
  EXPECT_EQ(sizes[199], sizes[1]);
}

TEST(HpackRoundTrip, NeverIndexedValueStaysOutOfTheTable) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  const std::vector<Header> headers = {{":method", "POST"},
                                       {"authorization", "Bearer secret", true}};
  const std::string block = encode(encoder, headers);
  // RFC 7541 6.2.3: 0001xxxx, with the name indexed (authorization is static entry 23).
  ASSERT_GE(block.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(block[1]) & 0xf0, 0x10);
  Fields fields;
  EXPECT_EQ(decode_block(decoder, block, fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(headers));
  EXPECT_EQ(encoder.dynamic_table_size(), 0u);
  EXPECT_EQ(decoder.dynamic_table_size(), 0u);
}

TEST(HpackFragments, EverySplitPointGivesTheSameHeaders) {
  HpackEncoder encoder;
  const std::string first = encode(encoder, kGrpcRequest);
  const std::string second = encode(encoder, kGrpcRequest);  // indexed fields only
  for (const std::string* block : {&first, &second}) {
    for (std::size_t split = 0; split <= block->size(); ++split) {
      // A fresh decoder per split point, brought to the encoder's state before `block`.
      HpackDecoder decoder;
      Fields fields;
      if (block == &second) {
        ASSERT_EQ(decode_block(decoder, first, fields), HpackStatus::ok);
        fields.clear();
      }
      const auto on_header = [&](std::string_view name, std::string_view value) {
        fields.emplace_back(name, value);
      };
      const std::string_view bytes = *block;
      ASSERT_EQ(decoder.decode(bytes.substr(0, split), false, on_header), HpackStatus::ok);
      EXPECT_TRUE(decoder.in_block());
      ASSERT_EQ(decoder.decode(bytes.substr(split), true, on_header), HpackStatus::ok);
      EXPECT_FALSE(decoder.in_block());
      EXPECT_EQ(fields, fields_of(kGrpcRequest)) << "split at " << split;
    }
  }
}

TEST(HpackFragments, OneByteFragmentsAndAnEmptyLastOne) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  for (int round = 0; round < 3; ++round) {
    const std::string block = encode(encoder, kGrpcRequest);
    Fields fields;
    const auto on_header = [&](std::string_view name, std::string_view value) {
      fields.emplace_back(name, value);
    };
    for (const char& byte : block) {
      ASSERT_EQ(decoder.decode(std::string_view(&byte, 1), false, on_header), HpackStatus::ok);
    }
    // A CONTINUATION may carry END_HEADERS and nothing else.
    ASSERT_EQ(decoder.decode({}, true, on_header), HpackStatus::ok);
    EXPECT_EQ(fields, fields_of(kGrpcRequest)) << "round " << round;
  }
}

struct AppendixCase {
  const char* hex;
  Fields fields;
  std::size_t table_size;
};

// RFC 7541 C.3 and C.4 decode to the same headers and table sizes.
const Fields kC1 = {{":method", "GET"},
                    {":scheme", "http"},
                    {":path", "/"},
                    {":authority", "www.example.com"}};
const Fields kC2 = {{":method", "GET"},
                    {":scheme", "http"},
                    {":path", "/"},
                    {":authority", "www.example.com"},
                    {"cache-control", "no-cache"}};
const Fields kC3 = {{":method", "GET"},
                    {":scheme", "https"},
                    {":path", "/index.html"},
                    {":authority", "www.example.com"},
                    {"custom-key", "custom-value"}};

void decode_appendix(const std::vector<AppendixCase>& requests) {
  HpackDecoder decoder;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Fields fields;
    ASSERT_EQ(decode_block(decoder, from_hex(requests[i].hex), fields), HpackStatus::ok)
        << "request " << i + 1;
    EXPECT_EQ(fields, requests[i].fields) << "request " << i + 1;
    EXPECT_EQ(decoder.dynamic_table_size(), requests[i].table_size) << "request " << i + 1;
  }
}

TEST(HpackRfc7541, C3RequestsWithoutHuffman) {
  decode_appendix({
      {"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", kC1, 57},
      {"8286 84be 5808 6e6f 2d63 6163 6865", kC2, 110},
      {"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", kC3, 164},
  });
}

TEST(HpackRfc7541, C4RequestsWithHuffman) {
  decode_appendix({
      {"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", kC1, 57},
      {"8286 84be 5886 a8eb 1064 9cbf", kC2, 110},
      {"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", kC3, 164},
  });
}

TEST(HpackErrors, GarbageIsACompressionErrorAndStaysOne) {
  HpackDecoder decoder;
  Fields fields;
  // Index 0 is not a table entry (RFC 7541 6.1), and 0xff... runs an integer past any size.
  EXPECT_EQ(decode_block(decoder, std::string("\x80", 1), fields), HpackStatus::compression_error);
  EXPECT_EQ(decode_block(decoder, from_hex("8286"), fields), HpackStatus::compression_error);
  EXPECT_TRUE(fields.empty());

  HpackDecoder overflow;
  EXPECT_EQ(decode_block(overflow, from_hex("ffff ffff ffff ffff ff7f"), fields),
            HpackStatus::compression_error);
  HpackDecoder past_table;
  EXPECT_EQ(decode_block(past_table, from_hex("be"), fields), HpackStatus::compression_error);
}

TEST(HpackErrors, BlockCutShortIsACompressionError) {
  const std::string block = from_hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d");
  for (std::size_t cut = 4; cut < block.size(); ++cut) {
    HpackDecoder decoder;
    Fields fields;
    EXPECT_EQ(decode_block(decoder, std::string_view(block).substr(0, cut), fields),
              HpackStatus::compression_error)
        << "cut at " << cut;
  }
}

TEST(HpackErrors, OverLimitHeaderListIsASizeErrorAndTheTableGoesOn) {
  HpackEncoder encoder;
  const std::string big(200, 'x');
  const std::vector<Header> large = {{":status", "200"}, {"x-big", big}};
  // 7+3+32 + 5+200+32 = 279 octets.
  HpackDecoder decoder(278);
  Fields fields;
  EXPECT_EQ(decode_block(decoder, encode(encoder, large), fields),
            HpackStatus::header_list_too_large);
  EXPECT_EQ(fields, (Fields{{":status", "200"}}));  // delivered before the limit was passed
  EXPECT_FALSE(decoder.in_block());
  EXPECT_EQ(decoder.dynamic_table_size(), encoder.dynamic_table_size());

  // The next block refers to the entries the refused one indexed.
  const std::vector<Header> small = {{":status", "200"}, {"x-big", big.substr(0, 10)}};
  fields.clear();
  EXPECT_EQ(decode_block(decoder, encode(encoder, small), fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(small));
  fields.clear();
  EXPECT_EQ(decode_block(decoder, encode(encoder, large), fields),
            HpackStatus::header_list_too_large);

  decoder.set_max_header_list_size(279);
  fields.clear();
  EXPECT_EQ(decode_block(decoder, encode(encoder, large), fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(large));
}

TEST(HpackErrors, OverLimitAcrossFragments) {
  HpackEncoder encoder;
  const std::string big(100, 'y');
  const std::vector<Header> headers = {{"a", big}, {"b", big}, {"c", big}};
  const std::string block = encode(encoder, headers);
  HpackDecoder decoder(2 * (1 + 100 + 32));
  Fields fields;
  const auto on_header = [&](std::string_view name, std::string_view value) {
    fields.emplace_back(name, value);
  };
  const std::string_view bytes = block;
  const std::size_t half = bytes.size() / 2;
  EXPECT_EQ(decoder.decode(bytes.substr(0, half), false, on_header), HpackStatus::ok);
  EXPECT_EQ(decoder.decode(bytes.substr(half), true, on_header),
            HpackStatus::header_list_too_large);
  EXPECT_EQ(fields.size(), 2u);
}

TEST(HpackTableSize, PeerSettingShrinksTheEncodersTable) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  Fields fields;
  ASSERT_EQ(decode_block(decoder, encode(encoder, kGrpcRequest), fields), HpackStatus::ok);
  ASSERT_GT(encoder.dynamic_table_size(), 0u);

  // The decoder's side announces 0; the encoder learns it from SETTINGS.
  ASSERT_TRUE(decoder.set_max_table_size(0));
  ASSERT_TRUE(encoder.set_max_table_size(0));
  EXPECT_EQ(encoder.dynamic_table_size(), 0u);
  const std::string block = encode(encoder, kGrpcRequest);
  ASSERT_FALSE(block.empty());
  EXPECT_EQ(static_cast<unsigned char>(block[0]), 0x20);  // dynamic table size update to 0
  fields.clear();
  EXPECT_EQ(decode_block(decoder, block, fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(kGrpcRequest));
  EXPECT_EQ(decoder.dynamic_table_size(), 0u);

  // Growing again up to the encoder's cap indexes again.
  ASSERT_TRUE(decoder.set_max_table_size(kDefaultHeaderTableSize));
  ASSERT_TRUE(encoder.set_max_table_size(kDefaultHeaderTableSize));
  for (int i = 0; i < 2; ++i) {
    fields.clear();
    EXPECT_EQ(decode_block(decoder, encode(encoder, kGrpcRequest), fields), HpackStatus::ok);
    EXPECT_EQ(fields, fields_of(kGrpcRequest));
  }
  EXPECT_GT(decoder.dynamic_table_size(), 0u);
  EXPECT_EQ(decoder.dynamic_table_size(), encoder.dynamic_table_size());
}

TEST(HpackTableSize, ShrunkTableWithoutAnUpdateIsACompressionError) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  ASSERT_TRUE(decoder.set_max_table_size(0));
  Fields fields;
  // RFC 7541 4.2: the block after a smaller setting must start with a table size update.
  EXPECT_EQ(decode_block(decoder, encode(encoder, kGrpcRequest), fields),
            HpackStatus::compression_error);
}

TEST(HpackTableSize, NoChangeWhileABlockIsOpen) {
  HpackEncoder encoder;
  HpackDecoder decoder;
  const std::string block = encode(encoder, kGrpcRequest);
  const auto ignore = [](std::string_view, std::string_view) {};
  ASSERT_EQ(decoder.decode(std::string_view(block).substr(0, 3), false, ignore), HpackStatus::ok);
  EXPECT_FALSE(decoder.set_max_table_size(0));
  ASSERT_EQ(decoder.decode(std::string_view(block).substr(3), true, ignore), HpackStatus::ok);
  EXPECT_TRUE(decoder.set_max_table_size(0));
}

TEST(HpackOwnership, MovedCodersKeepTheirTables) {
  HpackEncoder first_encoder;
  HpackDecoder first_decoder;
  Fields fields;
  ASSERT_EQ(decode_block(first_decoder, encode(first_encoder, kGrpcRequest), fields),
            HpackStatus::ok);
  HpackEncoder encoder = std::move(first_encoder);
  HpackDecoder decoder(kDefaultMaxHeaderListSize);
  decoder = std::move(first_decoder);
  const std::string block = encode(encoder, kGrpcRequest);
  EXPECT_LT(block.size(), 64u);  // still indexed: see ManyBlocksShareTheDynamicTable
  fields.clear();
  EXPECT_EQ(decode_block(decoder, block, fields), HpackStatus::ok);
  EXPECT_EQ(fields, fields_of(kGrpcRequest));
  static_assert(!std::is_copy_constructible_v<HpackEncoder>);
  static_assert(!std::is_copy_constructible_v<HpackDecoder>);
  static_assert(std::is_nothrow_move_constructible_v<HpackDecoder>);
}

TEST(HpackStatusNames, AreTheRfcsWhereItHasOne) {
  EXPECT_STREQ(to_string(HpackStatus::compression_error), "COMPRESSION_ERROR");
  EXPECT_STREQ(to_string(HpackStatus::ok), "ok");
}

}  // namespace
}  // namespace inferload::http2
