"""A TCP forwarder on 127.0.0.1 that counts the bytes it carries each way, connection by
connection: a witness of what a client put on the wire (TLS records and handshakes included)
that owes nothing to the client's own counting. Threads only, standard library only."""
import socket
import threading
import time


def read_some(sock):
    """The next bytes from sock; empty at its end, a reset included."""
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def half_close(sock):
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Carried:
    """One client connection as the forwarder saw it: bytes read from the client (to_server),
    bytes handed to the client's socket (to_client) and how many of those came after the client
    had closed its side (late); `done` once both directions have ended."""

    def __init__(self):
        self.to_server = 0
        self.to_client = 0
        self.late = 0
        self.client_closed = False
        self.done = threading.Event()


class ByteCountingProxy:
    """Accepts on 127.0.0.1 and an ephemeral port (`port`), and forwards every connection to
    `target` ("HOST:PORT") on a connection of its own. A direction ends at its source's EOF (or
    reset), which is passed on as a half close, so that either side may still finish talking."""

    def __init__(self, target):
        host, port = target.rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(512)
        self.port = self.listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.connections = []
        self.lock = threading.Lock()
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            carried = Carried()
            with self.lock:
                self.connections.append(carried)
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                carried.client_closed = True
                carried.done.set()
                continue
            ends = [threading.Thread(target=self._client_to_server, args=(client, server, carried), daemon=True),
                    threading.Thread(target=self._server_to_client, args=(server, client, carried), daemon=True)]
            for t in ends:
                t.start()
            threading.Thread(target=self._close_when_done, args=(client, server, carried, ends), daemon=True).start()

    @staticmethod
    def _client_to_server(client, server, carried):
        forwarding = True
        while data := read_some(client):
            carried.to_server += len(data)
            if forwarding:
                try:
                    server.sendall(data)
                except OSError:
                    forwarding = False  # the server is gone: still read the client to its end
        carried.client_closed = True
        half_close(server)

    @staticmethod
    def _server_to_client(server, client, carried):
        while data := read_some(server):
            late = carried.client_closed
            try:
                client.sendall(data)
            except OSError:
                break
            carried.to_client += len(data)
            if late:
                carried.late += len(data)
        half_close(client)

    @staticmethod
    def _close_when_done(client, server, carried, ends):
        for t in ends:
            t.join()
        client.close()
        server.close()
        carried.done.set()

    def settle(self, timeout=10.0):
        """Waits until every connection has ended both ways (the client's EOF read, the
        server's too): only then are the counts final. Returns the connections."""
        deadline = time.monotonic() + timeout
        with self.lock:
            connections = list(self.connections)
        for c in connections:
            if not c.done.wait(max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"a forwarded connection had not ended after {timeout} s")
        return connections

    def totals(self, connections=None):
        """Of `connections` (all of them, settled, by default): (how many, bytes to the server,
        bytes to the client, late bytes)."""
        if connections is None:
            connections = self.settle()
        return (len(connections), sum(c.to_server for c in connections), sum(c.to_client for c in connections),
                sum(c.late for c in connections))

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.acceptor.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
