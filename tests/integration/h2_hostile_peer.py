"""A hostile HTTP/2 gRPC server (cleartext, prior knowledge) on 127.0.0.1 for inferload's gRPC
robustness tests; standard library only.

It answers unary calls (any path: request headers are read but not decoded) with a gRPC
response, and misbehaves in the one way its --mode asks for. It also watches the client: every
frame the client sends is checked against what the server allowed (its MAX_FRAME_SIZE, its flow
control windows, its MAX_CONCURRENT_STREAMS, stream ids odd and increasing), and each breach is
recorded in `violations`.

Standalone: `python3 h2_hostile_peer.py --mode MODE [options]` prints `h2 127.0.0.1:PORT`, serves
until SIGINT or SIGTERM, then prints its counts as one JSON line.

Counts: connections (accepted, the client's probe included), prefaced (connections that sent the
HTTP/2 preface), streams (request HEADERS seen), requests (requests read completely, END_STREAM),
answered_ok (responses with grpc-status 0 written completely), answered_error (responses with
another status or none), resets_sent, goaways_sent, max_concurrent (most streams open at once on
one connection, from the request's HEADERS until the server ended the stream), bodies (per
complete request: the bytes of DATA it carried and the length its gRPC prefix announced),
client_resets and client_reset_codes (RST_STREAM frames from the client), pings_sent and
ping_acks, shrinks (window shrinks sent), min_window (the lowest a
stream's window went when a window change took effect), data_after_answer (DATA bytes on streams already
answered, early_answer), client_goaways and client_goaway_codes
(GOAWAY frames from the client and their error codes), garbage_sent (invalid frames written),
violations.
"""
import argparse
import heapq
import json
import select
import signal
import socket
import struct
import sys
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, REFUSED_STREAM = 0x0, 0x1, 0x2, 0x7
ERROR_CODES = {"NO_ERROR": NO_ERROR, "PROTOCOL_ERROR": PROTOCOL_ERROR, "INTERNAL_ERROR": INTERNAL_ERROR,
               "REFUSED_STREAM": REFUSED_STREAM}
S_MAX_CONCURRENT_STREAMS, S_INITIAL_WINDOW_SIZE, S_MAX_FRAME_SIZE = 3, 4, 5
DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME = 16384

MODES = (
    "normal",         # every call answered OK
    "goaway_after",   # after N answers on a connection: GOAWAY(last answered id), finish the rest, close
    "rst_every",      # every K-th request (over all connections) is answered with RST_STREAM(--rst-code)
    "close_after",    # after N answers on a connection: FIN without GOAWAY, whatever is in flight
    "trailers_only",  # every call: one HEADERS with grpc-status 13 and END_STREAM
    "no_status",      # every call: HEADERS, DATA with END_STREAM, no trailers
    "stall",          # requests are read, never answered
    "garbage",        # after N answers on a connection: an invalid frame (--garbage), then silence
    "fragmented",     # valid but chopped: header blocks 1 byte per CONTINUATION, padded 1-byte DATA
                      # frames, PING, PRIORITY and unknown frames between them
    "early_answer",   # answered OK as soon as the request's HEADERS arrive, before its body;
                      # WINDOW_UPDATEs are never sent, so a large body could never be sent whole
    "shrink_window",  # after --shrink-after DATA bytes on a connection: SETTINGS_INITIAL_WINDOW_SIZE 0
                      # (open streams' windows go negative), then --restore-ms later back to 65535
    "refuse_all",     # GOAWAY(last stream id 0) right after SETTINGS on every connection, then FIN
    "no_settings",    # reads the preface and everything after it, never sends SETTINGS
    "endless",        # answers HEADERS, then small gRPC messages every millisecond, never ending the
                      # stream (until the client resets it)
    "hpack_dynamic",  # answers OK with :status from the static table and content-type through the
                      # dynamic table (inserted by the connection's first answer, indexed after)
)

# A ModelInferResponse: model_name "m" (field 1), id "1" (field 3). inferload does not decode it.
RESPONSE_MESSAGE = b"\x0a\x01m\x1a\x011"


def frame(ftype, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream_id) + payload


def literal(name, value):
    """HPACK literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)."""
    name, value = name.encode(), value.encode()
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def block(*fields):
    return b"".join(literal(n, v) for n, v in fields)


RESPONSE_HEADERS = block((":status", "200"), ("content-type", "application/grpc"))
GRPC_MESSAGE = b"\x00" + struct.pack(">I", len(RESPONSE_MESSAGE)) + RESPONSE_MESSAGE


class Gone(Exception):
    pass


class Stream:
    __slots__ = ("id", "body", "prefix", "granted", "done", "answered")

    def __init__(self, sid, window):
        self.id = sid
        self.body = 0          # DATA bytes received (padding excluded)
        self.prefix = b""      # the first 5 bytes of the body: the gRPC message prefix
        self.granted = window  # what the client may still send on this stream
        self.done = False      # END_STREAM received
        self.answered = False  # the server has ended the stream (or dropped it)


class Peer:
    def __init__(self, args):
        self.a = args
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self._socks = set()
        self.c = {"mode": args.mode, "connections": 0, "prefaced": 0, "streams": 0, "requests": 0,
                  "answered_ok": 0, "answered_error": 0, "resets_sent": 0, "goaways_sent": 0,
                  "endless_streams": 0, "endless_bytes": 0,
                  "max_concurrent": 0, "client_resets": 0, "client_reset_codes": [], "client_goaways": 0, "client_goaway_codes": [],
                  "garbage_sent": 0, "pings_sent": 0, "ping_acks": 0, "shrinks": 0, "min_window": DEFAULT_WINDOW,
                  "data_after_answer": 0, "bodies": [],
                  "violations": []}
        self.request_seq = 0  # over all connections, for rst_every
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def counts(self):
        with self._lock:
            return json.loads(json.dumps(self.c))

    def add(self, key, n=1):
        with self._lock:
            self.c[key] += n

    def violation(self, text):
        with self._lock:
            if len(self.c["violations"]) < 50:
                self.c["violations"].append(text)

    def close(self):
        self._stop.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self._acceptor.join(timeout=5)
        for t in list(self._threads):
            t.join(timeout=5)

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.add("connections")
            with self._lock:
                number = self.c["connections"]
            self._threads = [t for t in self._threads if t.is_alive()]
            t = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, sock, number):
        try:
            Connection(self, sock, number).run()
        except (Gone, OSError):
            pass
        finally:
            sock.close()


class Connection:
    def __init__(self, peer, sock, number):
        self.p = peer
        self.a = peer.a
        self.sock = sock
        self.number = number
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.streams = {}
        self.open = 0            # streams open (HEADERS seen, not yet ended by the server)
        self.last_id = 0
        self.answered = 0        # responses on this connection (any kind)
        self.answered_ids = []
        self.goaway_last = None  # set once GOAWAY is sent
        self.conn_granted = DEFAULT_WINDOW
        self.timers = []         # (due, seq, fn)
        self.seq = 0
        self.header_stream = None  # stream whose header block is being continued
        self.silent = False      # garbage sent: read and discard until the client goes
        self.closing = False
        # SETTINGS_INITIAL_WINDOW_SIZE the client has acknowledged, and the ones it has yet to
        # (None: that SETTINGS did not carry one): a window change counts from its ACK on.
        self.effective_window = DEFAULT_WINDOW
        self.unacked_windows = []
        self.data_bytes = 0
        self.shrunk = False

    # --- I/O ------------------------------------------------------------------------------

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Gone() from e

    def later(self, delay_s, fn):
        self.seq += 1
        heapq.heappush(self.timers, (time.monotonic() + delay_s, self.seq, fn))

    def run(self):
        # The preface first: the client's probe connects and closes without sending anything.
        while len(self.buf) < len(PREFACE):
            self.fill()
        if not self.buf.startswith(PREFACE):
            self.p.violation(f"conn {self.number}: no preface: {self.buf[:24]!r}")
            return
        self.buf = self.buf[len(PREFACE):]
        self.p.add("prefaced")
        settings = struct.pack(">HI", S_MAX_FRAME_SIZE, self.a.max_frame_size)
        if self.a.max_streams is not None:
            settings += struct.pack(">HI", S_MAX_CONCURRENT_STREAMS, self.a.max_streams)
        if self.a.initial_window is not None:
            settings += struct.pack(">HI", S_INITIAL_WINDOW_SIZE, self.a.initial_window)
        if self.a.mode == "no_settings":
            self.silent = True
        else:
            self.send_settings(settings, self.a.initial_window)
        if self.a.mode == "refuse_all":
            self.goaway_last = 0
            self.send(frame(GOAWAY, 0, 0, struct.pack(">II", 0, NO_ERROR)))
            self.p.add("goaways_sent")
            self.finish()
        while True:
            while len(self.buf) >= 9:
                length = int.from_bytes(self.buf[:3], "big")
                if length > self.a.max_frame_size:
                    self.p.violation(f"conn {self.number}: a {length}-byte frame above MAX_FRAME_SIZE")
                if len(self.buf) < 9 + length:
                    break
                ftype, flags = self.buf[3], self.buf[4]
                sid = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
                payload = self.buf[9:9 + length]
                self.buf = self.buf[9 + length:]
                if not self.silent:
                    self.on_frame(ftype, flags, sid, payload)
                elif ftype == GOAWAY:
                    self.on_goaway(payload)
            self.fill()

    def fill(self):
        """Waits for bytes (running due timers meanwhile); Gone when the client closes."""
        while True:
            if self.p._stop.is_set():
                raise Gone()
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, fn = heapq.heappop(self.timers)
                fn()
            wait = 0.1
            if self.timers:
                wait = max(0.0, min(wait, self.timers[0][0] - time.monotonic()))
            r, _, _ = select.select([self.sock], [], [], wait)
            if r:
                data = self.sock.recv(1 << 20)
                if not data:
                    raise Gone()
                self.buf += data
                return

    # --- frames from the client -----------------------------------------------------------

    def send_settings(self, payload, initial_window):
        self.unacked_windows.append(initial_window)
        self.send(frame(SETTINGS, 0, 0, payload))

    def on_settings_ack(self):
        if not self.unacked_windows:
            self.p.violation(f"conn {self.number}: SETTINGS ACK for nothing")
            return
        new = self.unacked_windows.pop(0)
        if new is None:
            return
        for s in self.streams.values():
            if not s.done and not s.answered:
                s.granted += new - self.effective_window
                with self.p._lock:
                    self.p.c["min_window"] = min(self.p.c["min_window"], s.granted)
        self.effective_window = new

    def on_frame(self, ftype, flags, sid, payload):
        if ftype == SETTINGS:
            if sid != 0:
                self.p.violation(f"conn {self.number}: SETTINGS on stream {sid}")
            if flags & ACK:
                self.on_settings_ack()
            else:
                self.send(frame(SETTINGS, ACK, 0))
        elif ftype == PING:
            if not flags & ACK:
                self.send(frame(PING, ACK, 0, payload))
            else:
                self.p.add("ping_acks")
        elif ftype == HEADERS:
            self.on_headers(flags, sid, payload)
        elif ftype == CONTINUATION:
            if self.header_stream != sid:
                self.p.violation(f"conn {self.number}: CONTINUATION on stream {sid} out of a header block")
            if flags & END_HEADERS:
                self.header_stream = None
        elif ftype == DATA:
            self.on_data(flags, sid, payload)
        elif ftype == RST_STREAM:
            with self.p._lock:
                self.p.c["client_resets"] += 1
                if len(self.p.c["client_reset_codes"]) < 100:
                    self.p.c["client_reset_codes"].append(int.from_bytes(payload[:4], "big"))
            s = self.streams.get(sid)
            if s and not s.answered:
                self.end(s)
        elif ftype == GOAWAY:
            self.on_goaway(payload)
        elif ftype == PUSH_PROMISE:
            self.p.violation(f"conn {self.number}: PUSH_PROMISE from the client")
        # WINDOW_UPDATE: our responses are far below any window. PRIORITY: nothing to do.

    def on_goaway(self, payload):
        with self.p._lock:
            self.p.c["client_goaways"] += 1
            if len(payload) >= 8:
                self.p.c["client_goaway_codes"].append(int.from_bytes(payload[4:8], "big"))

    def on_headers(self, flags, sid, payload):
        if self.header_stream is not None:
            self.p.violation(f"conn {self.number}: HEADERS inside the header block of stream {self.header_stream}")
        if sid in self.streams:
            self.p.violation(f"conn {self.number}: trailers or a second HEADERS on stream {sid}")
            return
        if sid % 2 == 0 or sid <= self.last_id:
            self.p.violation(f"conn {self.number}: stream id {sid} after {self.last_id}")
        self.last_id = max(self.last_id, sid)
        if self.goaway_last is not None and sid > self.goaway_last:
            return  # refused by our GOAWAY: ignored, as RFC 9113 6.8 lets a server
        s = self.streams[sid] = Stream(sid, self.effective_window)
        self.open += 1
        self.p.add("streams")
        with self.p._lock:
            self.p.c["max_concurrent"] = max(self.p.c["max_concurrent"], self.open)
        if self.a.max_streams is not None and self.open > self.a.max_streams:
            self.p.violation(f"conn {self.number}: {self.open} streams open, MAX_CONCURRENT_STREAMS {self.a.max_streams}")
        if not flags & END_HEADERS:
            self.header_stream = sid
        if self.a.mode == "early_answer":
            self.answer(s, 0)
        if flags & END_STREAM:
            self.request_done(s)

    def on_data(self, flags, sid, payload):
        length = len(payload)
        if sid == 0:
            self.p.violation(f"conn {self.number}: DATA on stream 0")
            return
        self.conn_granted -= length
        if self.conn_granted < 0:
            self.p.violation(f"conn {self.number}: connection window exceeded by {-self.conn_granted}")
        s = self.streams.get(sid)
        self.data_bytes += length
        if self.a.mode == "shrink_window" and not self.shrunk and self.data_bytes >= self.a.shrink_after:
            self.shrunk = True
            self.p.add("shrinks")
            self.send_settings(struct.pack(">HI", S_INITIAL_WINDOW_SIZE, 0), 0)
            self.later(self.a.restore_ms / 1000, lambda: self.send_settings(
                struct.pack(">HI", S_INITIAL_WINDOW_SIZE, DEFAULT_WINDOW), DEFAULT_WINDOW))
        if length and self.a.mode != "early_answer":
            self.grant(s, length)
        if s is None:
            return  # a stream we dropped (above GOAWAY's last id) or ended
        if s.answered and self.a.mode == "early_answer":
            self.p.add("data_after_answer", length)
        s.granted -= length
        if s.granted < 0:
            self.p.violation(f"conn {self.number}: stream {sid} window exceeded by {-s.granted}")
        if flags & PADDED and payload:
            pad = payload[0]
            payload = payload[1:len(payload) - pad]
        if len(s.prefix) < 5:
            s.prefix += payload[:5 - len(s.prefix)]
        s.body += len(payload)
        if flags & END_STREAM:
            self.request_done(s)

    def grant(self, s, n):
        """Gives the client its window back: at once, or --window-delay-ms later."""
        def give():
            if self.closing:
                return
            out = frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", n))
            if s is not None and not s.done and not s.answered:
                out += frame(WINDOW_UPDATE, 0, s.id, struct.pack(">I", n))
                s.granted += n
            self.conn_granted += n
            self.send(out)
        if self.a.window_delay_ms:
            self.later(self.a.window_delay_ms / 1000, give)
        else:
            give()

    # --- answering ------------------------------------------------------------------------

    def request_done(self, s):
        s.done = True
        self.p.add("requests")
        if self.a.mode == "early_answer":
            return  # answered at its HEADERS
        announced = int.from_bytes(s.prefix[1:5], "big") if len(s.prefix) == 5 else None
        with self.p._lock:
            self.p.c["bodies"].append({"conn": self.number, "stream": s.id, "body": s.body, "announced": announced})
            self.p.request_seq += 1
            seq = self.p.request_seq
        if self.a.mode == "stall":
            return
        if self.a.delay_ms:
            self.later(self.a.delay_ms / 1000, lambda: self.answer(s, seq))
        else:
            self.answer(s, seq)

    def end(self, s):
        s.answered = True
        self.open -= 1

    def answer(self, s, seq):
        if s.answered or self.silent or self.closing:
            return
        mode = self.a.mode
        if mode == "rst_every" and seq % self.a.k == 0:
            self.end(s)
            self.send(frame(RST_STREAM, 0, s.id, struct.pack(">I", ERROR_CODES[self.a.rst_code])))
            self.p.add("resets_sent")
        elif mode == "trailers_only":
            self.end(s)
            self.send(frame(HEADERS, END_HEADERS | END_STREAM, s.id, RESPONSE_HEADERS + block(
                ("grpc-status", "13"), ("grpc-message", "hostile peer: trailers only"))))
            self.p.add("answered_error")
        elif mode == "hpack_dynamic":
            self.end(s)
            if self.answered == 0:  # literal with incremental indexing, new name: dynamic entry 62
                ct = b"\x40" + bytes([12]) + b"content-type" + bytes([16]) + b"application/grpc"
            else:
                ct = b"\xbe"
            self.send(frame(HEADERS, END_HEADERS, s.id, b"\x88" + ct) + frame(DATA, 0, s.id, GRPC_MESSAGE) +
                      frame(HEADERS, END_HEADERS | END_STREAM, s.id, block(("grpc-status", "0"))))
            self.p.add("answered_ok")
        elif mode == "fragmented":
            self.end(s)
            self.send(self.fragmented_response(s.id))
            self.p.add("answered_ok")
        elif mode == "endless":
            self.send(frame(HEADERS, END_HEADERS, s.id, RESPONSE_HEADERS))
            self.p.add("endless_streams")

            def more():
                if s.answered or self.closing or self.silent:
                    return
                self.send(frame(DATA, 0, s.id, GRPC_MESSAGE * 64))
                self.p.add("endless_bytes", 64 * len(GRPC_MESSAGE))
                self.later(0.001, more)

            more()
            return
        elif mode == "no_status":
            self.end(s)
            self.send(frame(HEADERS, END_HEADERS, s.id, RESPONSE_HEADERS) + frame(DATA, END_STREAM, s.id, GRPC_MESSAGE))
            self.p.add("answered_error")
        else:
            self.end(s)
            self.send(frame(HEADERS, END_HEADERS, s.id, RESPONSE_HEADERS) + frame(DATA, 0, s.id, GRPC_MESSAGE) +
                      frame(HEADERS, END_HEADERS | END_STREAM, s.id, block(("grpc-status", "0"))))
            self.p.add("answered_ok")
        self.answered += 1
        self.answered_ids.append(s.id)
        self.after_answer()

    def fragmented_response(self, sid):
        def chopped_block(block_bytes, end_stream):
            out = frame(HEADERS, END_STREAM if end_stream else 0, sid, block_bytes[:1])
            for i in range(1, len(block_bytes)):
                out += frame(CONTINUATION, END_HEADERS if i == len(block_bytes) - 1 else 0, sid, block_bytes[i:i + 1])
            return out
        out = chopped_block(RESPONSE_HEADERS, False)
        out += frame(0xFA, 0xFF, sid, b"an extension frame type: ignored")
        out += frame(PRIORITY, 0, sid, struct.pack(">IB", 0, 15))
        out += frame(PING, 0, 0, b"hostile!")
        self.p.add("pings_sent")
        for i, byte in enumerate(GRPC_MESSAGE):
            out += frame(DATA, PADDED, sid, bytes([3, byte]) + b"\0\0\0")
            if i == 2:
                out += frame(DATA, 0, sid)  # an empty DATA frame
        out += frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", 1))
        return out + chopped_block(block(("grpc-status", "0"), ("grpc-message", "")), True)

    def after_answer(self):
        mode, n = self.a.mode, self.a.n
        if mode == "goaway_after":
            if self.goaway_last is None and self.answered >= n:
                self.goaway_last = max(self.answered_ids)
                self.send(frame(GOAWAY, 0, 0, struct.pack(">II", self.goaway_last, NO_ERROR)))
                self.p.add("goaways_sent")
                for s in list(self.streams.values()):
                    if s.id > self.goaway_last and not s.answered:
                        self.end(s)  # refused: never answered
            if self.goaway_last is not None and not any(
                    not s.answered for s in self.streams.values() if s.id <= self.goaway_last):
                self.finish()
        elif mode == "close_after" and self.answered >= n:
            if self.a.rst:
                # SO_LINGER 0: close() sends RST; whatever the client had not read yet is lost.
                self.closing = True
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                raise Gone()
            self.finish()
        elif mode == "garbage" and self.answered >= n:
            self.silent = True
            self.p.add("garbage_sent")
            if self.a.garbage == "data_on_stream_0":
                self.send(frame(DATA, 0, 0, b"garbage"))
            else:  # oversized: one byte above the client's MAX_FRAME_SIZE, on the last stream
                self.send(frame(DATA, 0, self.last_id, b"g" * (DEFAULT_MAX_FRAME + 1)))

    def finish(self):
        """FIN after what was written, then read until the client closes (close() with unread
        bytes would send RST, which could throw away responses the client has not read yet)."""
        self.closing = True
        self.silent = True
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=MODES, default="normal")
    ap.add_argument("--n", type=int, default=5, help="answers per connection before goaway_after/close_after/garbage")
    ap.add_argument("--k", type=int, default=3, help="rst_every: every K-th request is reset")
    ap.add_argument("--rst-code", choices=sorted(ERROR_CODES), default="INTERNAL_ERROR")
    ap.add_argument("--garbage", choices=("data_on_stream_0", "oversized_frame"), default="data_on_stream_0")
    ap.add_argument("--max-streams", type=int, default=None, help="SETTINGS_MAX_CONCURRENT_STREAMS")
    ap.add_argument("--initial-window", type=int, default=None, help="SETTINGS_INITIAL_WINDOW_SIZE")
    ap.add_argument("--max-frame-size", type=int, default=DEFAULT_MAX_FRAME, help="SETTINGS_MAX_FRAME_SIZE")
    ap.add_argument("--delay-ms", type=float, default=0, help="each answer this long after its request")
    ap.add_argument("--window-delay-ms", type=float, default=0, help="each WINDOW_UPDATE this long after its DATA")
    ap.add_argument("--rst", action="store_true", help="close_after: close with RST (SO_LINGER 0), not FIN")
    ap.add_argument("--shrink-after", type=int, default=100_000, help="shrink_window: DATA bytes before the shrink")
    ap.add_argument("--restore-ms", type=float, default=300, help="shrink_window: how long the window stays shrunk")
    return ap.parse_args(argv)


def main(argv):
    peer = Peer(parse_args(argv[1:]))
    print(f"h2 127.0.0.1:{peer.port}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    peer.close()
    print(json.dumps(peer.counts()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
