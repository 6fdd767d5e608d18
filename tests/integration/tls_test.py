"""inferload over TLS end to end, once per I/O backend. REST against nginx serving https: counts
equal nginx's access log, every request over TLS, handshake times on the requests that opened a
connection, the CSV's tls_version; trust (--tls-ca, the system roots, --insecure-skip-tls-verify),
names (--tls-server-name), client certificates, session resumption as nginx logged it (and
--no-tls-resumption), protocol versions and cipher suites. gRPC over TLS against scv2-sim's
grpc++ server (--grpc-tls, grpcs://) and against nginx's grpc_pass in front of a clear one.
Failures are counted with k6's error codes, never a crash or a hang, against nginx and against
servers that break TLS (a record that does not decrypt, a hang-up or a stall in the handshake).
data_sent and data_received are the bytes on the wire, as a byte-counting forwarder between
inferload and the server saw them.

Certificates come from tls_pki (the openssl command); without openssl or nginx the tests that
need them are skipped. Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or
epoll).
"""
import csv
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from byte_counting_proxy import ByteCountingProxy  # noqa: E402
from peers import Nginx, Sim, main_for_backend, run_with_export  # noqa: E402
from tls_pki import OPENSSL, Pki  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")
HAVE_NGINX = bool(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"))
REST_CHECK = "model http prediction success"
GRPC_CHECK = "model grpc prediction success"
UNKNOWN_AUTHORITY = "x509: certificate signed by unknown authority"
PKI = None


def setUpModule():
    global PKI
    if not OPENSSL:
        raise unittest.SkipTest("the openssl command is needed to make certificates")
    PKI = Pki()


def tearDownModule():
    if PKI:
        PKI.remove()


def base_env(**extra):
    env = dict(os.environ, SKIP_LOAD_MODEL="1", MODEL_TYPE="tfsimple,iris", MAX_NUM_MODELS="3,2")
    env.pop("K6_INSECURE_SKIP_TLS_VERIFY", None)  # only where a test sets it
    env.update(extra)
    return env


def rest_env(url, **extra):
    return base_env(INFER_HTTP_ENDPOINT=url, INFER_GRPC_ITERATIONS="0", **extra)


def grpc_env(endpoint, **extra):
    return base_env(INFER_HTTP_ENDPOINT="http://127.0.0.1:1", INFER_GRPC_ENDPOINT=endpoint,
                    INFER_HTTP_ITERATIONS="0", INFER_GRPC_ITERATIONS="1", **extra)


def run(env, *args):
    """`inferload run` on this file's backend: (exit code, stdout, stderr, summary export)."""
    return run_with_export([INFERLOAD, "run", "--io", IO, "-q", *args], env, timeout=90)


def tls_nginx(**kwargs):
    return Nginx(tls_cert=PKI.server_cert, tls_key=PKI.server_key, **kwargs)


def tls_sim(*args):
    return Sim(SCV2_SIM, "--grpc-port", "0", "--grpc-tls-cert", PKI.server_cert, "--grpc-tls-key", PKI.server_key,
               *args)


def trusting(ca):
    return ("--tls-ca", ca)


def client_certificate():
    return ("--tls-cert", PKI.client_cert, "--tls-key", PKI.client_key)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class TlsTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="inferload-tls-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def assert_all_ok(self, code, err, s, n, check=REST_CHECK):
        self.assertEqual(code, 0, err)
        rq = s["inferload"]["requests"]
        self.assertEqual((rq["issued"], rq["ok"], rq["failed"], rq["timed_out"]), (n, n, 0, 0),
                         s["inferload"]["failures"])
        self.assertEqual(s["root_group"]["checks"][check]["passes"], n)
        self.assertEqual(s["inferload"]["failures"], [])

    def assert_all_failed(self, code, err, s, n):
        """Every one of n requests failed, and the run still ended as a run with failed checks
        does; returns the failure rows as (error_code, status, count) and their texts."""
        self.assertEqual(code, 0, err)
        rq = s["inferload"]["requests"]
        self.assertEqual((rq["issued"], rq["ok"], rq["failed"] + rq["timed_out"]), (n, 0, n), rq)
        rows = s["inferload"]["failures"]
        self.assertEqual(sum(r["count"] for r in rows), n, rows)
        self.assertEqual(s["metrics"]["checks"]["fails"], n)
        return [(r["error_code"], r["status"], r["count"]) for r in rows], [r["error"] for r in rows]

    def assert_rest_failed(self, r, n, error_code, reason):
        """Every request of NginxRun r failed with one k6 error code, whose text holds `reason`,
        in the export and in the summary, and none reached nginx."""
        kinds, texts = self.assert_all_failed(r.code, r.err, r.summary, n)
        self.assertEqual(kinds, [(error_code, 0, n)], texts)
        self.assertIn(reason, texts[0])
        self.assertIn(reason, r.out + r.err)
        self.assertEqual(r.summary["metrics"]["http_reqs"]["count"], n)
        self.assertEqual(r.summary["metrics"]["http_req_failed"]["passes"], n)
        self.assertEqual(r.served(), 0)


class NginxRun:
    """A REST run against an nginx of its own serving https, and what nginx logged of it."""

    def __init__(self, *args, env=None, **nginx_options):
        with tls_nginx(**nginx_options) as nginx:
            self.url = nginx.url
            self.code, self.out, self.err, self.summary = run(rest_env(nginx.url, **(env or {})), *args)
            nginx.stop()
            self.logged = [r for r in nginx.requests() if r.is_infer()]
            self.connections, self.full, self.resumed = nginx.handshakes()

    def served(self):
        return len(self.logged)


@unittest.skipUnless(HAVE_NGINX, "nginx is not installed")
class RestOverTls(TlsTestCase):
    def assert_served(self, r, n):
        self.assert_all_ok(r.code, r.err, r.summary, n)
        self.assertEqual(r.summary["metrics"]["http_reqs"]["count"], n)
        self.assertEqual(r.served(), n)
        self.assertEqual({x.status for x in r.logged}, {200})

    def test_counts_match_nginx_and_every_request_is_over_tls(self):
        csv_path = os.path.join(self.dir, "samples.csv")
        r = NginxRun("-u", "4", "-i", "400", *trusting(PKI.ca), "--out", f"csv={csv_path}")
        self.assert_served(r, 400)
        self.assertEqual({x.protocol for x in r.logged}, {"TLSv1.3"})
        # Kept alive: at most one connection per VU.
        self.assertTrue(1 <= r.connections <= 4, (r.connections, r.full, r.resumed))
        handshaking = r.summary["metrics"]["http_req_tls_handshaking"]
        self.assertGreater(handshaking["max"], 0)
        self.assertGreater(handshaking["avg"], 0)
        rows = read_csv(csv_path)
        self.assertEqual(sum(1 for row in rows if row["metric_name"] == "http_reqs"), 400)
        http_rows = [row for row in rows if row["metric_name"].startswith("http_req")]
        self.assertEqual({row["tls_version"] for row in http_rows}, {"tls1.3"})
        self.assertTrue(all(row["url"].startswith(r.url + "/v2/models/") for row in http_rows))
        # As k6 times it: the handshake on the request that opened its connection, 0 on the others.
        times = [float(row["metric_value"]) for row in rows if row["metric_name"] == "http_req_tls_handshaking"]
        self.assertEqual(len(times), 400)
        self.assertEqual(sum(1 for t in times if t > 0), r.connections)

    def test_tls_version_sets_the_protocol_spoken(self):
        for version, nginx_protocol, tag in [("tls1.2", "TLSv1.2", "tls1.2"), ("tls1.2:tls1.3", "TLSv1.3", "tls1.3"),
                                             ("tls1.3", "TLSv1.3", "tls1.3")]:
            with self.subTest(version=version):
                csv_path = os.path.join(self.dir, f"{version}.csv")
                r = NginxRun("-u", "2", "-i", "40", *trusting(PKI.ca), "--tls-version", version,
                             "--out", f"csv={csv_path}")
                self.assert_served(r, 40)
                self.assertEqual({x.protocol for x in r.logged}, {nginx_protocol})
                rows = read_csv(csv_path)
                self.assertEqual({row["tls_version"] for row in rows if row["metric_name"].startswith("http_req")}, {tag})

    def test_a_version_the_server_does_not_allow_fails_with_1300(self):
        r = NginxRun("-u", "2", "-i", "20", *trusting(PKI.ca), "--tls-version", "tls1.3", tls_protocols="TLSv1.2")
        kinds, texts = self.assert_all_failed(r.code, r.err, r.summary, 20)
        self.assertEqual(kinds, [(1300, 0, 20)], texts)
        self.assertEqual(r.served(), 0)

    def test_cipher_suites_choose_the_tls_1_2_cipher(self):
        for iana, openssl_name in [("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
                                   ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305")]:
            with self.subTest(suite=iana):
                r = NginxRun("-u", "2", "-i", "20", *trusting(PKI.ca), "--tls-cipher-suites", iana,
                             tls_protocols="TLSv1.2")
                self.assert_served(r, 20)
                self.assertEqual({(x.protocol, x.cipher) for x in r.logged}, {("TLSv1.2", openssl_name)})

    def test_an_untrusted_certificate_fails_every_request_with_1310(self):
        for roots, args in [("another CA", trusting(PKI.other_ca)), ("the system roots", ())]:
            with self.subTest(roots=roots):
                r = NginxRun("-u", "2", "-i", "40", *args)
                self.assert_rest_failed(r, 40, 1310, UNKNOWN_AUTHORITY)

    def test_insecure_skip_tls_verify_accepts_it(self):
        for how, args, env in [("flag", ("--insecure-skip-tls-verify",), {}),
                               ("K6_INSECURE_SKIP_TLS_VERIFY", (), {"K6_INSECURE_SKIP_TLS_VERIFY": "true"}),
                               ("with a wrong name too", ("--insecure-skip-tls-verify", "--tls-server-name",
                                                          "wrong.example"), {})]:
            with self.subTest(how=how):
                self.assert_served(NginxRun("-u", "2", "-i", "100", *args, env=env), 100)

    def test_a_name_the_certificate_does_not_have_fails_with_1311(self):
        r = NginxRun("-u", "2", "-i", "40", *trusting(PKI.ca), "--tls-server-name", "wrong.example")
        self.assert_rest_failed(r, 40, 1311, "wrong.example")

    def test_a_name_the_certificate_has_is_accepted_for_an_ip_url(self):
        self.assert_served(NginxRun("-u", "2", "-i", "40", *trusting(PKI.ca), "--tls-server-name", "localhost"), 40)

    def test_nginx_requiring_a_client_certificate_serves_only_with_one(self):
        r = NginxRun("-u", "2", "-i", "100", *trusting(PKI.ca), *client_certificate(), client_ca=PKI.ca)
        self.assert_served(r, 100)
        # Without one nginx completes the handshake and answers 400, its own way of refusing.
        r = NginxRun("-u", "2", "-i", "40", *trusting(PKI.ca), client_ca=PKI.ca)
        kinds, texts = self.assert_all_failed(r.code, r.err, r.summary, 40)
        self.assertEqual(kinds, [(1400, 400, 40)], texts)
        self.assertEqual([x.status for x in r.logged], [400] * 40)


@unittest.skipUnless(HAVE_NGINX, "nginx is not installed")
class Resumption(TlsTestCase):
    """nginx closes every connection after one request: each request opens a connection, and
    each VU's reconnect resumes the session of its previous one, unless --no-tls-resumption."""

    VUS = 2

    def run_one_request_per_connection(self, protocols, n, *args):
        r = NginxRun("-u", str(self.VUS), "-i", str(n), *trusting(PKI.ca), *args, tls_protocols=protocols,
                     keepalive_requests=1)
        self.assert_all_ok(r.code, r.err, r.summary, n)
        self.assertEqual(r.served(), n)
        self.assertEqual(r.connections, n)
        self.assertGreater(r.summary["metrics"]["http_req_tls_handshaking"]["min"], 0)
        # inferload's own count of its handshakes is the server's.
        tls = r.summary["inferload"]["tls"]
        self.assertEqual((tls["full_handshakes"], tls["resumed_handshakes"]), (r.full, r.resumed))
        self.assertRegex(r.out, rf"tls_handshakes\.*: {r.full} full, {r.resumed} resumed\n")
        return r.full, r.resumed

    def test_each_vu_resumes_its_session_on_every_reconnect(self):
        for protocols, n in [("TLSv1.2 TLSv1.3", 200), ("TLSv1.2", 100)]:
            with self.subTest(protocols=protocols):
                full, resumed = self.run_one_request_per_connection(protocols, n)
                # One full handshake per VU, its first; every later connection resumed.
                self.assertEqual((full, resumed), (self.VUS, n - self.VUS))

    def test_no_tls_resumption_makes_every_handshake_full(self):
        for protocols, n in [("TLSv1.2 TLSv1.3", 100), ("TLSv1.2", 60)]:
            with self.subTest(protocols=protocols):
                full, resumed = self.run_one_request_per_connection(protocols, n, "--no-tls-resumption")
                self.assertEqual((full, resumed), (n, 0))


class GrpcOverTls(TlsTestCase):
    def assert_grpc_ok(self, code, err, s, served, n):
        self.assert_all_ok(code, err, s, n, check=GRPC_CHECK)
        self.assertEqual(s["inferload"]["grpc"]["statuses"], {"OK": n})
        self.assertEqual((served["grpc_infer"], served["grpc_infer_ok"]), (n, n))

    def assert_grpc_refused(self, code, err, s, served, n):
        """Every call failed as UNAVAILABLE (gRPC's status for a connection that could not be
        made) and none reached the server; returns the failure texts."""
        kinds, texts = self.assert_all_failed(code, err, s, n)
        # gRPC has no k6 error codes; how the connection failed may differ from call to call.
        self.assertEqual({(error_code, status) for error_code, status, _ in kinds}, {(0, 14)}, texts)
        self.assertEqual(s["inferload"]["grpc"]["statuses"], {"UNAVAILABLE": n})
        self.assertEqual(served["grpc_infer"], 0)
        return texts

    def test_grpc_tls_counts_match_the_sim(self):
        with tls_sim() as sim:
            code, _, err, s = run(grpc_env(sim.grpc), "-u", "4", "-i", "400", "--grpc-tls", *trusting(PKI.ca))
            served = sim.stats()
        self.assert_grpc_ok(code, err, s, served, 400)

    def test_per_iteration_connections_resume_each_vus_session(self):
        # grpc++'s server issues tickets: each VU's first connection is a full handshake, every
        # later one resumes it, and inferload's count of them is its count of connections.
        for args, expected in (((), (2, 48)), (("--no-tls-resumption",), (50, 0))):
            with self.subTest(args=args), tls_sim() as sim:
                code, _, err, s = run(grpc_env(sim.grpc), "-u", "2", "-i", "50", "--grpc-tls", *trusting(PKI.ca),
                                      "--grpc-connection", "per-iteration", *args)
                served = sim.stats()
                self.assert_grpc_ok(code, err, s, served, 50)
                self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 50)
                tls = s["inferload"]["tls"]
                self.assertEqual((tls["full_handshakes"], tls["resumed_handshakes"]), expected)

    def test_a_grpcs_endpoint_needs_no_flag(self):
        with tls_sim() as sim:
            code, _, err, s = run(grpc_env("grpcs://" + sim.grpc), "-u", "2", "-i", "100", *trusting(PKI.ca))
            served = sim.stats()
        self.assert_grpc_ok(code, err, s, served, 100)

    def test_an_untrusted_grpc_server_is_refused_with_the_reason(self):
        with tls_sim() as sim:
            code, out, err, s = run(grpc_env(sim.grpc), "-u", "2", "-i", "40", "--grpc-tls", *trusting(PKI.other_ca))
            served = sim.stats()
        for text in self.assert_grpc_refused(code, err, s, served, 40):
            self.assertIn(UNKNOWN_AUTHORITY, text)
        self.assertIn(UNKNOWN_AUTHORITY, out + err)

    def test_a_sim_requiring_a_client_certificate_serves_only_with_one(self):
        with tls_sim("--grpc-tls-client-ca", PKI.ca) as sim:
            code, _, err, s = run(grpc_env(sim.grpc), "-u", "2", "-i", "100", "--grpc-tls", *trusting(PKI.ca),
                                  *client_certificate())
            served = sim.stats()
            self.assert_grpc_ok(code, err, s, served, 100)
            sim.reset()
            code, _, err, s = run(grpc_env(sim.grpc), "-u", "2", "-i", "40", "--grpc-tls", *trusting(PKI.ca))
            served = sim.stats()
        self.assert_grpc_refused(code, err, s, served, 40)

    @unittest.skipUnless(HAVE_NGINX, "nginx is not installed")
    def test_through_nginx_grpc_pass_counts_match_the_sim(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim, tls_nginx(grpc_backend=sim.grpc) as nginx:
            code, _, err, s = run(grpc_env("https://" + nginx.grpc_endpoint), "-u", "4", "-i", "300",
                                  *trusting(PKI.ca))
            nginx.stop()
            served = sim.stats()
            logged = nginx.requests()
        self.assert_grpc_ok(code, err, s, served, 300)
        self.assertEqual(sum(1 for r in logged if r.is_grpc_infer()), 300)
        self.assertEqual({(r.status, r.protocol) for r in logged}, {(200, "TLSv1.3")})


class Wire:
    """One run through a ByteCountingProxy: the export's data_sent and data_received beside
    what the proxy carried each way."""

    def __init__(self, target, env, *args):
        with ByteCountingProxy(target) as proxy:
            self.code, _, self.err, self.summary = run(env(proxy.address), *args)
            # inferload has exited, so every connection is closed on its side: once the proxy
            # has read each to its EOF, it has seen every byte inferload sent.
            connections = proxy.settle()
            # Before the run inferload checks that the target is reachable: a TCP connection
            # closed at once, with nothing sent, which is no VU's. grpc++ in clear writes its
            # SETTINGS on it all the same, which inferload never reads. (In clear, a VU's
            # connection opened by --preconnect and never used sends nothing either.)
            self.probes = [c for c in connections if c.to_server == 0]
            self.connections, self.to_server, self.to_client, self.late = proxy.totals(
                [c for c in connections if c.to_server > 0])
        metrics = self.summary["metrics"] if self.summary else {}
        self.sent = metrics.get("data_sent", {}).get("count")
        self.received = metrics.get("data_received", {}).get("count")

    def __repr__(self):
        return (f"data_sent {self.sent} data_received {self.received}; carried over {self.connections} connections: "
                f"to the server {self.to_server}, to the client {self.to_client} ({self.late} after the client closed); "
                f"{len(self.probes)} probe(s), to the client {sum(c.to_client for c in self.probes)}")


SINGLE_MODEL = {"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "1"}  # every request the same bytes


class DataCountsTheWire(TlsTestCase):
    """data_sent and data_received are the bytes on the wire, TLS records and handshakes
    included (k6 counts what its sockets read and write), as a forwarder between inferload and
    the server counted them: sent exactly; received up to what a server writes after the client
    has closed its connection, which the client never reads. In clear, both exactly."""

    # What a server may write once the client has closed, per connection, which the client never
    # reads: one TLS alert record answering the close (close_notify, or an alert for the missing
    # one): 5 bytes of header and 2 of alert, plus at most 8 of explicit nonce and 16 of tag
    # (TLS 1.2's AES-GCM; TLS 1.3 has 1 byte of content type instead of the nonce: 24). Neither
    # nginx nor grpc++ writes even that: a close without close_notify ends their side silently,
    # so `late` is 0 here, and any other shortfall would be bytes inferload read but did not count.
    AFTER_CLOSE = 5 + 2 + 8 + 16

    def assert_exact(self, w):
        self.assertEqual((w.sent, w.received), (w.to_server, w.to_client), w)
        self.assertGreaterEqual(len(w.probes), 1, w)

    def assert_on_the_wire(self, w, clear):
        self.assertEqual(w.sent, w.to_server, w)
        self.assertLessEqual(w.late, self.AFTER_CLOSE * w.connections, w)
        # Everything but what came after the client's close (the proxy tells those apart exactly
        # when the server wrote them in answer to it).
        self.assertEqual(w.received, w.to_client - w.late, w)
        self.assertEqual(len(w.probes), 1, w)
        # Not the plaintext: the same requests in clear moved fewer bytes.
        self.assertGreater(w.sent, clear.sent, (w, clear))
        self.assertGreater(w.received, clear.received, (w, clear))

    @unittest.skipUnless(HAVE_NGINX, "nginx is not installed")
    def test_rest_through_a_forwarder_to_nginx(self):
        # --preconnect: the VUs' handshakes come before any request, and some VUs make none. At
        # 300/s the period is 3,333,333 ns (truncated, as k6's): 301 iterations are due before 1 s.
        for how, n, args in [("VUs", 300, ("-u", "4", "-i", "300")),
                             ("--preconnect", 301, ("--rate", "300", "-d", "1s", "--pre-allocated-vus", "8",
                                                    "--max-vus", "16", "--preconnect"))]:
            with self.subTest(connections=how):
                with Nginx() as nginx:
                    clear = Wire(f"127.0.0.1:{nginx.port}", lambda a: rest_env(f"http://{a}", **SINGLE_MODEL), *args)
                self.assert_all_ok(clear.code, clear.err, clear.summary, n)
                self.assert_exact(clear)
                with tls_nginx() as nginx:
                    w = Wire(f"127.0.0.1:{nginx.port}", lambda a: rest_env(f"https://{a}", **SINGLE_MODEL), *args,
                             *trusting(PKI.ca))
                self.assert_all_ok(w.code, w.err, w.summary, n)
                self.assert_on_the_wire(w, clear)
                # One request at a time per connection: each request and each response is a
                # record of its own at least, and every record adds 5 bytes of header and 16 of tag.
                self.assertGreaterEqual(w.sent - clear.sent, 21 * n, (w, clear))
                self.assertGreaterEqual(w.received - clear.received, 21 * n, (w, clear))

    def test_grpc_through_a_forwarder_to_the_sim(self):
        for how, n, args in [("pooled", 300, ("-u", "4", "-i", "300")),
                             ("per-iteration", 60, ("-u", "2", "-i", "60", "--grpc-connection", "per-iteration"))]:
            with self.subTest(connections=how):
                with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
                    clear = Wire(sim.grpc, lambda a: grpc_env(a, **SINGLE_MODEL), *args)
                self.assert_all_ok(clear.code, clear.err, clear.summary, n, check=GRPC_CHECK)
                self.assert_exact(clear)
                with tls_sim() as sim:
                    w = Wire(sim.grpc, lambda a: grpc_env(a, **SINGLE_MODEL), *args, "--grpc-tls", *trusting(PKI.ca))
                self.assert_all_ok(w.code, w.err, w.summary, n, check=GRPC_CHECK)
                self.assert_on_the_wire(w, clear)


class HostileTlsServer:
    """A TLS server on 127.0.0.1 that misbehaves, every connection the same way:
    - "garbage": completes the handshake, reads the request, then sends a record that does not
      decrypt;
    - "stall": reads the ClientHello and never answers;
    - "hang_up": reads the ClientHello and closes the connection."""

    def __init__(self, mode):
        self.mode = mode
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(PKI.server_cert, PKI.server_key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.connections = []
        self.handshakes = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while not self.stop_event.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            first = conn.recv(65536)
            if not first:
                return  # inferload's reachability probe: connects and closes
            if self.mode == "hang_up":
                conn.close()
                return
            if self.mode == "stall":
                self.stop_event.wait(30)
                return
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = self.context.wrap_bio(incoming, outgoing, server_side=True)
            incoming.write(first)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    conn.sendall(outgoing.read())
                    data = conn.recv(65536)
                    if not data:
                        return
                    incoming.write(data)
            conn.sendall(outgoing.read())
            self.handshakes += 1
            # The request's records, unless they came with the client's Finished.
            if incoming.pending == 0 and not conn.recv(65536):
                return
            # An application-data record header and bytes no key decrypts.
            conn.sendall(b"\x17\x03\x03\x00\x20" + bytes(range(32)))
            self.stop_event.wait(5)
        except OSError:
            pass

    def stop(self):
        self.stop_event.set()
        self.listener.close()
        for c in self.connections:
            try:
                c.close()
            except OSError:
                pass


class HostileTlsPeers(TlsTestCase):
    """Servers that break TLS: each request fails, counted with its kind, and the run ends on
    time; never a crash or a hang."""

    def run_against(self, mode, *args, n=6):
        server = HostileTlsServer(mode)
        try:
            t0 = time.monotonic()
            code, out, err, s = run(rest_env(server.url), "-u", "2", "-i", str(n), *trusting(PKI.ca), *args)
            took = time.monotonic() - t0
        finally:
            server.stop()
        return code, out, err, s, took, server

    def test_a_record_that_does_not_decrypt_fails_the_request_with_1301(self):
        code, out, err, s, _, server = self.run_against("garbage")
        kinds, texts = self.assert_all_failed(code, err, s, 6)
        self.assertEqual(kinds, [(1301, 0, 6)], texts)
        self.assertEqual(server.handshakes, 6)  # each failure closes its connection

    def test_a_server_that_hangs_up_in_the_handshake_fails_with_1300(self):
        code, out, err, s, _, _ = self.run_against("hang_up")
        kinds, texts = self.assert_all_failed(code, err, s, 6)
        self.assertEqual(kinds, [(1300, 0, 6)], texts)
        self.assertIn("closed the connection during the handshake", texts[0])

    def test_a_server_that_never_answers_the_handshake_times_out(self):
        code, out, err, s, took, _ = self.run_against("stall", "--timeout", "500ms", n=4)
        self.assertEqual(code, 0, err)
        rq = s["inferload"]["requests"]
        self.assertEqual((rq["issued"], rq["ok"], rq["timed_out"]), (4, 0, 4), rq)
        # Two VUs, two requests each, 0.5 s apiece: bounded by the timeout, not by the server.
        self.assertLess(took, 10)
        # The handshake took until the timeout ended it.
        self.assertGreater(s["metrics"]["http_req_tls_handshaking"]["min"], 400)


@unittest.skipUnless(HAVE_NGINX, "nginx is not installed")
class BadTlsInput(unittest.TestCase):
    """A TLS option that cannot work is one line naming it, before any request."""

    def test_bad_tls_options_are_one_line_naming_the_option(self):
        missing = os.path.join(PKI.dir, "missing.pem")
        # Every option is known, and together they work: the errors below are about the values.
        good = (*trusting(PKI.ca), *client_certificate(), "--tls-version", "tls1.2:tls1.3",
                "--tls-cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                "--tls-server-name", "localhost", "--no-tls-resumption")
        cases = [
            (("--tls-ca", missing), ("--tls-ca", missing)),
            (("--tls-ca", PKI.client_key), ("--tls-ca", PKI.client_key)),  # no certificate in it
            (("--tls-cert", PKI.client_cert), ("--tls-cert", "--tls-key")),
            (("--tls-key", PKI.client_key), ("--tls-cert", "--tls-key")),
            (("--tls-cert", PKI.client_cert, "--tls-key", PKI.server_key), ("--tls-key",)),  # not its key
            (("--tls-version", "tls1.4"), ("--tls-version", "tls1.4")),
            (("--tls-version", "tls1.3:tls1.2"), ("--tls-version", "tls1.3:tls1.2")),
            (("--tls-cipher-suites", "TLS_NO_SUCH_SUITE"), ("--tls-cipher-suites", "TLS_NO_SUCH_SUITE")),
        ]
        with tls_nginx() as nginx:
            code, _, err, s = run(rest_env(nginx.url), "-u", "1", "-i", "5", *good)
            self.assertEqual(code, 0, err)
            self.assertEqual(s["inferload"]["requests"]["ok"], 5)
            for args, fragments in cases:
                with self.subTest(args=args):
                    code, _, err, _ = run(rest_env(nginx.url), "-u", "1", "-i", "5", *args)
                    self.assertNotEqual(code, 0, err)
                    lines = [line for line in err.splitlines() if line.strip()]
                    self.assertEqual(len(lines), 1, err)
                    for fragment in fragments:
                        self.assertIn(fragment, lines[0])
            nginx.stop()
            self.assertEqual(nginx.served(), 5)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
