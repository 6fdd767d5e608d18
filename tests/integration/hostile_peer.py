"""A hostile HTTP/1.1 server on 127.0.0.1 (ephemeral port) for inferload's robustness tests.

Each mode misbehaves in one way that real servers, proxies or networks do. The peer counts the
connections it accepted and the requests it read completely, so tests can compare them with
inferload's own accounting. Every mode bounds what it costs: a connection's thread ends when the
client goes away, when its misbehaviour is over, or when the peer is closed, and nothing large is
ever held in memory.

Standalone: `python3 hostile_peer.py MODE` prints `http 127.0.0.1:PORT`, serves until SIGINT or
SIGTERM, then prints its counts as JSON.
"""
import fcntl
import json
import select
import signal
import socket
import struct
import sys
import termios
import threading
import time

BODY = b'{"model_name":"m","model_version":"1","outputs":[{"name":"OUTPUT0","shape":[1],"datatype":"INT32","data":[1]}]}'


def ok_response(body=BODY):
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


# Many chunks per write: the fewer trips through Python, the faster the stream.
ENDLESS_CHUNKS = b"%x\r\n%s\r\n" % (16384, b"x" * 16384) * 16
HUGE_HEADER_BYTES = 10 * 1024 * 1024
# One past 2^64 - 1 in hex: 17 digits, so no 64-bit chunk size can hold it.
OVERFLOWING_CHUNK = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx\r\n0\r\n\r\n"
MAX_REQUEST_HEAD = 64 * 1024

MODES = (
    "endless_chunked",     # a chunked body that never ends, streamed as fast as the client reads
    "slowloris",           # a valid response, one byte per second
    "continue_then_ok",    # 100 Continue, then 200
    "http10_close",        # HTTP/1.0, no Content-Length: the body ends when the server closes
    "chunk_overflow",      # a chunk size above 2^64
    "huge_header",         # one 10 MB header field
    "rst_on_accept",       # SO_LINGER 0 close as soon as the connection is accepted
    "rst_after_request",   # SO_LINGER 0 close once the request is read
    "never_read",          # accepts, never reads, never answers
    "early_response",      # a 200 sent on accept, before any request, then a 200 per request
    "double_response",     # a 200 and then a 503 for every request, in one write
    "redirect_301",        # 301 with a Location, keep-alive
    "unavailable_503",     # 503 with Retry-After, keep-alive
    "close_after_head",    # a head announcing 100 bytes, then close
)


class ClientGone(Exception):
    pass


class HostilePeer:
    def __init__(self, mode):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        self.mode = mode
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns = set()
        self._threads = []
        self.connections = 0   # accepted
        self.requests = 0      # read completely (head and Content-Length body)
        self.responses = 0     # complete responses written
        self.bytes_sent = 0
        self.unread_bytes = 0  # what never_read left in its receive buffers
        self.active = 0        # connections whose thread still runs
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"hostile-{mode}", daemon=True)
        self._acceptor.start()

    def counts(self):
        with self._lock:
            return {"mode": self.mode, "connections": self.connections, "requests": self.requests,
                    "responses": self.responses, "bytes_sent": self.bytes_sent,
                    "unread_bytes": self.unread_bytes, "active": self.active}

    def wait_idle(self, timeout=5.0):
        """Waits until every connection's thread has ended; True if they all did in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.active == 0:
                    return True
            time.sleep(0.02)
        return False

    def close(self):
        self._stop.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._acceptor.join(timeout=5)
        for t in list(self._threads):
            t.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- plumbing -------------------------------------------------------------------------

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self.active += 1
                self._conns.add(conn)
                # Finished threads are dropped so that a long run does not keep them all.
                self._threads = [t for t in self._threads if t.is_alive()]
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn):
        try:
            getattr(self, "_mode_" + self.mode)(conn, _Reader(conn, self._stop))
        except (ClientGone, OSError):
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
                self.active -= 1
            conn.close()

    def _send(self, conn, data, complete_responses=0):
        if self._stop.is_set():
            raise ClientGone()
        try:
            conn.sendall(data)
        except OSError as e:
            raise ClientGone() from e
        with self._lock:
            self.bytes_sent += len(data)
            self.responses += complete_responses

    def _read_request(self, reader):
        reader.read_request()
        with self._lock:
            self.requests += 1

    def _serve_each_request(self, conn, reader, reply, responses_per_reply=1):
        while True:
            self._read_request(reader)
            self._send(conn, reply, responses_per_reply)

    @staticmethod
    def _reset(conn):
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    # --- modes ----------------------------------------------------------------------------

    def _mode_endless_chunked(self, conn, reader):
        self._read_request(reader)
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # ends when a send fails: the client closed, or the peer is closing
            self._send(conn, ENDLESS_CHUNKS)

    def _mode_slowloris(self, conn, reader):
        self._read_request(reader)
        for i, byte in enumerate(ok_response()):
            if self._stop.wait(1.0 if i else 0):
                raise ClientGone()
            self._send(conn, bytes([byte]))
            if reader.client_closed():
                raise ClientGone()
        with self._lock:
            self.responses += 1

    def _mode_continue_then_ok(self, conn, reader):
        self._serve_each_request(conn, reader, b"HTTP/1.1 100 Continue\r\n\r\n" + ok_response())

    def _mode_http10_close(self, conn, reader):
        self._read_request(reader)
        self._send(conn, b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY, 1)

    def _mode_chunk_overflow(self, conn, reader):
        # The connection stays open, so only the chunk size itself can end the exchange.
        self._serve_each_request(conn, reader, OVERFLOWING_CHUNK)

    def _mode_huge_header(self, conn, reader):
        self._read_request(reader)
        self._send(conn, b"HTTP/1.1 200 OK\r\nX-Huge: ")
        piece = b"h" * 65536
        for _ in range(HUGE_HEADER_BYTES // len(piece)):  # generated as it goes, never held whole
            self._send(conn, piece)
        self._send(conn, b"\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY), 1)
        reader.wait_closed()

    def _mode_rst_on_accept(self, conn, reader):
        self._reset(conn)

    def _mode_rst_after_request(self, conn, reader):
        self._read_request(reader)
        self._reset(conn)

    def _mode_never_read(self, conn, reader):
        reader.wait_closed()
        pending = struct.unpack("i", fcntl.ioctl(conn.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
        with self._lock:
            self.unread_bytes += pending

    def _mode_early_response(self, conn, reader):
        self._send(conn, ok_response(), 1)
        self._serve_each_request(conn, reader, ok_response())

    def _mode_double_response(self, conn, reader):
        second = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
        self._serve_each_request(conn, reader, ok_response() + second, 2)

    def _mode_redirect_301(self, conn, reader):
        self._serve_each_request(conn, reader, b"HTTP/1.1 301 Moved Permanently\r\nLocation: %s/v2/moved\r\n"
                                                 b"Content-Length: 0\r\n\r\n" % self.url.encode())

    def _mode_unavailable_503(self, conn, reader):
        self._serve_each_request(conn, reader, b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\n"
                                                 b"Content-Length: 0\r\n\r\n")

    def _mode_close_after_head(self, conn, reader):
        self._read_request(reader)
        self._send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", 0)


class _Reader:
    """Reads whole requests (head, then a Content-Length body) from one connection."""

    def __init__(self, conn, stop):
        self.conn = conn
        self.stop = stop
        self.buf = b""

    def _fill(self):
        # A short poll, so that closing the peer ends a thread blocked on a quiet client.
        while not self.stop.is_set():
            r, _, _ = select.select([self.conn], [], [], 0.1)
            if r:
                data = self.conn.recv(65536)
                if not data:
                    raise ClientGone()
                self.buf += data
                return
        raise ClientGone()

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_REQUEST_HEAD:
                raise ClientGone()
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(self.buf) < length:
            self._fill()
        self.buf = self.buf[length:]

    def client_closed(self):
        """Whether the client has closed its side, found without reading what it sent."""
        p = select.poll()
        p.register(self.conn, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
        return bool(p.poll(0))

    def wait_closed(self):
        p = select.poll()
        p.register(self.conn, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
        while not self.stop.is_set():
            if p.poll(100):
                return


def main(argv):
    if len(argv) != 2 or argv[1] not in MODES:
        print(f"usage: {argv[0]} MODE   (modes: {', '.join(MODES)})", file=sys.stderr)
        return 2
    peer = HostilePeer(argv[1])
    print(f"http 127.0.0.1:{peer.port}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    peer.close()
    print(json.dumps(peer.counts()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
