#!/usr/bin/env python3
"""Writes the seed corpora of http2_frames_fuzz, http2_connection_fuzz and grpc_message_fuzz
(pure stdlib).

    tests/fuzz/make_http2_corpus.py [--check]

Each seed starts with the fuzzer's 4 prefix bytes (see the comment at the top of each fuzzer).
The seeds are what a gRPC server sends a client, so the fuzzer starts from the paths inferload
takes every request; --check only verifies that the files on disk are what this script writes.
"""
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent

# Frame types and flags, RFC 9113 section 6.
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x01, 0x01, 0x04, 0x08, 0x20


def frame(type_, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([type_, flags]) + \
        struct.pack(">I", stream_id) + payload


def hpack_int(value, prefix_bits, first_byte_flags=0):
    """RFC 7541 5.1."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = [first_byte_flags | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_string(text):
    """A string literal without Huffman coding (RFC 7541 5.2)."""
    data = text.encode()
    return hpack_int(len(data), 7) + data


def literal(name, value, indexing=False):
    """A literal field with a literal name: without indexing (6.2.2) or with incremental
    indexing (6.2.1), which puts it in the dynamic table."""
    return bytes([0x40 if indexing else 0x00]) + hpack_string(name) + hpack_string(value)


def indexed(index):
    """An indexed field (6.1): static table 1..61, dynamic table from 62."""
    return hpack_int(index, 7, 0x80)


def table_size_update(size):
    return hpack_int(size, 5, 0x20)


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def grpc_message(payload, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(payload)) + payload


# Prefix bytes: split seed (2), max header list size (255: default), table sizes (0: none).
H2_DEFAULT = bytes([0x11, 0x22, 0xFF, 0x00])

RESPONSE_HEADERS = literal(":status", "200") + literal("content-type", "application/grpc")
TRAILERS = literal("grpc-status", "0") + literal("grpc-message", "")

# RFC 7541 C.4.1 and C.6.1: Huffman-coded blocks, which the script itself cannot write.
RFC7541_C41 = bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff")
RFC7541_C61 = bytes.fromhex(
    "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff"
    "6e919d29ad171863c78f0b97c8e9ae82ae43d3")

HTTP2_SEEDS = {
    # A whole unary gRPC response, as scv2-sim's grpc++ server sends it.
    "grpc_unary_response": H2_DEFAULT
    + settings((3, 100), (4, 65535), (5, 16384), (6, 8192))
    + frame(SETTINGS, ACK, 0)
    + frame(HEADERS, END_HEADERS, 1, RESPONSE_HEADERS)
    + frame(DATA, 0, 1, grpc_message(b"hello"))
    + frame(HEADERS, END_HEADERS | END_STREAM, 1, TRAILERS),
    "ping": H2_DEFAULT + frame(PING, 0, 0, b"\x00\x01\x02\x03\x04\x05\x06\x07")
    + frame(PING, ACK, 0, b"inferld!"),
    "goaway": H2_DEFAULT + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0) + b"bye")
    + frame(GOAWAY, 0, 0, struct.pack(">II", 0x80000003, 0xB)),
    "padded": H2_DEFAULT
    + frame(HEADERS, END_HEADERS | PADDED | PRIORITY_FLAG, 1,
            bytes([3]) + struct.pack(">IB", 0x80000000, 15) + RESPONSE_HEADERS + b"\0" * 3)
    + frame(DATA, PADDED, 1, bytes([4]) + grpc_message(b"ab") + b"\0" * 4)
    + frame(DATA, PADDED | END_STREAM, 1, bytes([0])),
    "continuation": H2_DEFAULT
    + frame(HEADERS, 0, 3, RESPONSE_HEADERS[:5])
    + frame(CONTINUATION, 0, 3, RESPONSE_HEADERS[5:20])
    + frame(CONTINUATION, END_HEADERS, 3, RESPONSE_HEADERS[20:])
    + frame(HEADERS, END_STREAM, 3, TRAILERS[:9])
    + frame(CONTINUATION, END_HEADERS, 3, TRAILERS[9:]),
    "dynamic_table": H2_DEFAULT
    + frame(HEADERS, END_HEADERS, 1,
            indexed(8) + literal("content-type", "application/grpc", indexing=True)
            + literal("x-request-id", "0001", indexing=True))
    + frame(HEADERS, END_HEADERS, 3, indexed(8) + indexed(63) + indexed(62))
    + frame(HEADERS, END_HEADERS, 5, table_size_update(0) + indexed(8)),
    "huffman": H2_DEFAULT + frame(HEADERS, END_HEADERS, 1, RFC7541_C41)
    + frame(HEADERS, END_HEADERS, 3, RFC7541_C61),
    # The decoder's table is set to 512 first, so the block must start with a size update.
    "table_size_setting": bytes([0x33, 0x44, 0xFF, 0x01])
    + frame(HEADERS, END_HEADERS, 1, table_size_update(512) + RESPONSE_HEADERS),
    # A max header list size of (4 + 1) * 8 = 40: the response headers are over it.
    "header_list_too_large": bytes([0x55, 0x66, 0x04, 0x00])
    + frame(HEADERS, END_HEADERS, 1, RESPONSE_HEADERS)
    + frame(HEADERS, END_HEADERS, 3, indexed(8)),
    "stream_control": H2_DEFAULT
    + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 65535))
    + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1024))
    + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 0))
    + frame(PRIORITY, 0, 1, struct.pack(">IB", 3, 200))
    + frame(PRIORITY, 0, 1, b"\0\0\0")
    + frame(RST_STREAM, 0, 1, struct.pack(">I", 8)),
    "push_promise": H2_DEFAULT
    + frame(PUSH_PROMISE, END_HEADERS | PADDED, 1,
            bytes([2]) + struct.pack(">I", 2) + literal(":path", "/x") + b"\0\0")
    + frame(PUSH_PROMISE, 0, 1, struct.pack(">I", 4) + indexed(2))
    + frame(CONTINUATION, END_HEADERS, 1, indexed(4)),
    # An extension frame is skipped, so the PING after it is the only frame.
    "extension_frame": H2_DEFAULT + frame(0x0A, 0xFF, 7, b"extension payload")
    + frame(PING, 0, 0, b"\0" * 8),
    "frame_too_large": H2_DEFAULT + b"\x00\x40\x01\x00\x00\x00\x00\x00\x01",
}

# Prefix bytes: split seed (2), receive limit (255: 4 MiB), bit 0 of the last: compression.
GRPC_SEEDS = {
    "one_message": bytes([0x01, 0x02, 0xFF, 0x00]) + grpc_message(b"hello"),
    "several_messages": bytes([0x03, 0x04, 0xFF, 0x00]) + grpc_message(b"first")
    + grpc_message(b"") + grpc_message(b"x" * 300) + grpc_message(b"last"),
    "compressed_negotiated": bytes([0x05, 0x06, 0xFF, 0x01])
    + grpc_message(b"\x1f\x8b\x08\x00", compressed=True) + grpc_message(b"plain"),
    "compressed_not_negotiated": bytes([0x07, 0x08, 0xFF, 0x00])
    + grpc_message(b"\x1f\x8b", compressed=True),
    "at_the_limit": bytes([0x09, 0x0A, 16, 0x00]) + grpc_message(b"0123456789abcdef")
    + grpc_message(b"0123456789abcdefg"),
    "bad_flag": bytes([0x0B, 0x0C, 0xFF, 0x01]) + b"\x02\xff\xff\xff\xff",
    "truncated_payload": bytes([0x0D, 0x0E, 0xFF, 0x00]) + grpc_message(b"whole")
    + grpc_message(b"cut short")[:8],
    "truncated_prefix": bytes([0x0F, 0x10, 0xFF, 0x00]) + b"\x00\x00\x00",
}



def conn_prefix(seed, flags=0, body=0, end=0):
    """http2_connection_fuzz's 6 prefix bytes: split seed, flags (bits 0-2: streams - 1, 3: sends
    complete later, 4: stream window 1024, 5: big request headers, 6: refuse 0xff DATA), body size
    (value * 200000 / 65535), end (bits 0-1: 1 peer closes, 2 peer resets; 2-4: last stream id
    2v-1; 5: max header list size 64)."""
    return struct.pack(">HBHB", seed, flags, body, end)


SERVER_SETTINGS = settings((3, 100), (4, 65535), (5, 16384), (6, 8192))


def unary(stream_id, payload=b"hello"):
    return frame(HEADERS, END_HEADERS, stream_id, RESPONSE_HEADERS) \
        + frame(DATA, 0, stream_id, grpc_message(payload)) \
        + frame(HEADERS, END_HEADERS | END_STREAM, stream_id, TRAILERS)


def window_update(stream_id, increment):
    return frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment))


CONNECTION_SEEDS = {
    # One unary call, the way scv2-sim's grpc++ server answers it.
    "unary": conn_prefix(0x0101) + SERVER_SETTINGS + frame(SETTINGS, ACK, 0) + unary(1),
    # Three calls, answered out of order, sends completing later.
    "three_streams": conn_prefix(0x0202, 2 | 8, 100) + SERVER_SETTINGS + frame(SETTINGS, ACK, 0)
    + unary(3) + unary(1, b"x" * 300) + unary(5, b""),
    # A 100000-byte body against 65535-byte windows: it goes out as the updates come.
    "flow_control": conn_prefix(0x0303, 1, 32768) + SERVER_SETTINGS + frame(SETTINGS, ACK, 0)
    + window_update(0, 100000) + window_update(1, 50000) + window_update(3, 50000)
    + unary(1) + unary(3),
    "goaway": conn_prefix(0x0404, 3, 10) + SERVER_SETTINGS + frame(SETTINGS, ACK, 0)
    + frame(GOAWAY, 0, 0, struct.pack(">II", 3, 0) + b"bye") + unary(1) + unary(3),
    "rst_stream": conn_prefix(0x0505, 2) + SERVER_SETTINGS + frame(SETTINGS, ACK, 0)
    + frame(RST_STREAM, 0, 1, struct.pack(">I", 7)) + frame(RST_STREAM, 0, 3, struct.pack(">I", 8))
    + unary(5),
    "ping": conn_prefix(0x0606) + frame(PING, 0, 0, b"\x00\x01\x02\x03\x04\x05\x06\x07")
    + SERVER_SETTINGS + frame(PING, 0, 0, b"inferld!") + frame(SETTINGS, ACK, 0) + unary(1),
    "padded": conn_prefix(0x0707, 0x10, 0, 1) + SERVER_SETTINGS
    + frame(HEADERS, END_HEADERS | PADDED | PRIORITY_FLAG, 1,
            bytes([3]) + struct.pack(">IB", 0x80000000, 15) + RESPONSE_HEADERS + b"\0" * 3)
    + frame(DATA, PADDED, 1, bytes([4]) + grpc_message(b"ab" * 300) + b"\0" * 4)
    + frame(DATA, PADDED, 1, bytes([200]) + grpc_message(b"cd" * 300) + b"\0" * 200)
    + frame(HEADERS, END_HEADERS | END_STREAM, 1, TRAILERS),
    "continuation": conn_prefix(0x0808, 1 | 0x20) + SERVER_SETTINGS
    + frame(HEADERS, 0, 3, RESPONSE_HEADERS[:5])
    + frame(CONTINUATION, 0, 3, RESPONSE_HEADERS[5:20])
    + frame(CONTINUATION, END_HEADERS, 3, RESPONSE_HEADERS[20:])
    + frame(HEADERS, END_STREAM, 3, TRAILERS[:9])
    + frame(CONTINUATION, END_HEADERS, 3, TRAILERS[9:]) + unary(1),
    # SETTINGS that shrink the window and the stream limit, then a peer that resets.
    "settings_change": conn_prefix(0x0909, 3, 40000, 2)
    + settings((3, 2), (4, 1000), (5, 20000)) + frame(SETTINGS, ACK, 0)
    + settings((4, 100)) + window_update(1, 5000) + frame(HEADERS, END_HEADERS, 1, RESPONSE_HEADERS),
    "dynamic_table": conn_prefix(0x0a0a, 1) + SERVER_SETTINGS
    + frame(HEADERS, END_HEADERS, 1,
            indexed(8) + literal("content-type", "application/grpc", indexing=True)
            + literal("x-request-id", "0001", indexing=True))
    + frame(HEADERS, END_HEADERS, 3, indexed(8) + indexed(63) + indexed(62))
    + frame(HEADERS, END_HEADERS | END_STREAM, 3, TRAILERS)
    + frame(HEADERS, END_HEADERS | END_STREAM, 1, table_size_update(0) + TRAILERS),
    # Ids run out after stream 3: the connection drains.
    "ids_exhausted": conn_prefix(0x0b0b, 3, 0, 2 << 2) + SERVER_SETTINGS + unary(1) + unary(3),
    "protocol_error": conn_prefix(0x0c0c, 1) + SERVER_SETTINGS + unary(1)
    + frame(DATA, 0, 7, b"never opened"),
    "header_list_too_large": conn_prefix(0x0d0d, 1, 0, 0x20) + SERVER_SETTINGS + unary(1) + unary(3),
    "refused_data": conn_prefix(0x0e0e, 0x40) + SERVER_SETTINGS
    + frame(HEADERS, END_HEADERS, 1, RESPONSE_HEADERS) + frame(DATA, 0, 1, b"\xff\xff"),
    "data_end_stream": conn_prefix(0x1010, 1, 5) + SERVER_SETTINGS
    + frame(HEADERS, END_HEADERS, 1, RESPONSE_HEADERS) + frame(DATA, END_STREAM, 1, grpc_message(b"x"))
    + frame(HEADERS, END_HEADERS, 3, RESPONSE_HEADERS) + frame(DATA, PADDED | END_STREAM, 3, b"\x02ab\0\0"),
    # Windows pushed past 2^31-1: by WINDOW_UPDATEs (a stream's, then the connection's) and by
    # a SETTINGS_INITIAL_WINDOW_SIZE on top of a stream's update.
    "window_overflow": conn_prefix(0x1111, 2, 20000) + SERVER_SETTINGS
    + window_update(1, 0x7FFFFFFF) + window_update(3, 0x7FFF0000)
    + settings((4, 0x7FFFFFFF)) + window_update(0, 0x7FFFFFFF) + window_update(0, 0x7FFFFFFF),
    # An interim (1xx) response before the final one (RFC 9113 8.1).
    "informational": conn_prefix(0x1212) + SERVER_SETTINGS
    + frame(HEADERS, END_HEADERS, 1, literal(":status", "100")) + unary(1),
    "cut_short": conn_prefix(0x0f0f, 1, 1000) + SERVER_SETTINGS
    + frame(HEADERS, END_HEADERS, 1, RESPONSE_HEADERS) + frame(DATA, 0, 1, grpc_message(b"partial")),
}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for corpus, seeds in (("http2_frames", HTTP2_SEEDS), ("http2_connection", CONNECTION_SEEDS),
                          ("grpc_message", GRPC_SEEDS)):
        directory = HERE / "corpus" / corpus
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            path = directory / name
            if check:
                if not path.exists() or path.read_bytes() != data:
                    stale.append(str(path))
            else:
                path.write_bytes(data)
    if stale:
        print("stale seeds (run tests/fuzz/make_http2_corpus.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
