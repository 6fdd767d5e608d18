#!/usr/bin/env python3
"""Contract test of scv2-sim, the simulated SCv2 server that inferload's own tests run against.

Checks the command line, the V2 REST endpoints and the counters at /sim/stats, using only the
Python standard library so that the check is independent of both the simulator and inferload.
The binary is taken from the SCV2_SIM environment variable (set by the ctest registration).
The V2 gRPC endpoint is driven through GRPC_PROBE (tests/tools/grpc_probe.cpp, a grpc++ client),
since the standard library has no HTTP/2.
"""

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

SIM = os.environ.get("SCV2_SIM", "")
PROBE = os.environ.get("GRPC_PROBE", "")
LISTENER_LINE = re.compile(r"^http 127\.0\.0\.1:(\d+)$")
GRPC_LINE = re.compile(r"^grpc 127\.0\.0\.1:(\d+)$")
SCHEDULER_LINE = re.compile(r"^scheduler 127\.0\.0\.1:(\d+)$")
KAFKA_LINE = re.compile(r"^kafka 127\.0\.0\.1:(\d+)$")
HAVE_PROBE = bool(SIM and os.access(SIM, os.X_OK) and PROBE and os.access(PROBE, os.X_OK))


def tfsimple_request():
    """The request shape of SCv2's tfsimple models: two INT32 [1,16] inputs."""
    data = list(range(16))
    return {
        "inputs": [
            {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": data},
            {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": data},
        ]
    }


class Sim:
    """One scv2-sim process, stopped with SIGTERM (and checked to exit 0) on close."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen(
            [SIM, "--http-port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 5.0)
        if not ready:
            self.proc.kill()
            raise AssertionError("scv2-sim printed no listener line within 5 s")
        self.line = self.proc.stdout.readline().rstrip("\n")
        match = LISTENER_LINE.match(self.line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"unexpected listener line {self.line!r}")
        self.port = int(match.group(1))
        # Each further line is printed right after the http line, in this order (or not at all,
        # on exit): the first readline may already hold them in Python's buffer, where select()
        # cannot see them.
        self.grpc_line, self.grpc_target = self._line(GRPC_LINE, "--grpc-port", args)
        self.scheduler_line, self.scheduler_target = self._line(SCHEDULER_LINE, "--scheduler-port", args)
        # The mock Kafka cluster's bootstrap servers.
        self.kafka_line, self.kafka = self._line(KAFKA_LINE, "--kafka", args)

    def _line(self, pattern, flag, args):
        """(line, 127.0.0.1:PORT) of the line that `flag` makes the simulator print."""
        if flag not in args:
            return None, None
        line = self.proc.stdout.readline().rstrip("\n")
        match = pattern.match(line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"unexpected line {line!r} for {flag}")
        return line, f"127.0.0.1:{match.group(1)}"

    def probe(self, calls, *args):
        """Runs grpc_probe; returns ({status name: count}, seconds taken)."""
        start = time.monotonic()
        p = subprocess.run(
            [PROBE, "--target", self.grpc_target, "--calls", str(calls), *args],
            capture_output=True, text=True, timeout=30,
        )
        elapsed = time.monotonic() - start
        assert p.returncode == 0, f"grpc_probe exited {p.returncode}: {p.stderr}"
        counts = {}
        for line in p.stdout.splitlines():
            name, n = line.split()
            counts[name] = int(n)
        return counts, elapsed

    def conn(self, timeout=5.0):
        # Host is the model name in SCv2; the simulator must accept any Host.
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self, timeout=3.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()

    def stats(self):
        c = self.conn()
        try:
            c.request("GET", "/sim/stats")
            r = c.getresponse()
            assert r.status == 200, r.status
            return json.loads(r.read())
        finally:
            c.close()

    def reset(self):
        c = self.conn()
        try:
            c.request("POST", "/sim/reset")
            r = c.getresponse()
            r.read()
            assert r.status == 200, r.status
        finally:
            c.close()


def infer(conn, model="tfsimple1", body=None, raw=None):
    payload = raw if raw is not None else json.dumps(body or tfsimple_request()).encode()
    conn.request(
        "POST",
        f"/v2/models/{model}/infer",
        body=payload,
        headers={
            "Host": model,
            "seldon-model": model,
            "Accept-Encoding": "entity",
            "Content-Type": "application/json",
        },
    )
    r = conn.getresponse()
    return r, r.read()


def read_raw_response(sock, buf=b""):
    """Reads one Content-Length response from a raw socket; returns (head, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed before a full response header")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside a response body")
        buf += chunk
    return head.decode(), buf[:length], buf[length:]


def raw_get(path, host="sim"):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


@unittest.skipUnless(SIM and os.access(SIM, os.X_OK), "SCV2_SIM must name the scv2-sim binary")
class DefaultSimTest(unittest.TestCase):
    """Endpoints and counters of one simulator with default settings (two threads)."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--threads", "2")

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.stop()
        assert rc == 0, f"scv2-sim exited {rc} after SIGTERM"

    def test_prints_exactly_one_listener_line(self):
        self.assertRegex(self.sim.line, LISTENER_LINE)
        more, _, _ = select.select([self.sim.proc.stdout], [], [], 0.1)
        self.assertFalse(more, "scv2-sim printed more than the listener line")

    def test_infer_echoes_inputs_as_v2_response(self):
        c = self.sim.conn()
        r, body = infer(c)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        doc = json.loads(body)
        self.assertEqual(doc["model_name"], "tfsimple1")
        self.assertEqual(doc["model_version"], "1")
        self.assertIsInstance(doc["id"], str)
        self.assertEqual(doc["parameters"], {})
        self.assertEqual(len(doc["outputs"]), 2)
        for i, out in enumerate(doc["outputs"]):
            self.assertEqual(out["name"], f"OUTPUT{i}")
            self.assertEqual(out["datatype"], "INT32")
            self.assertEqual(out["shape"], [1, 16])
            self.assertEqual(out["data"], list(range(16)))
        r2, body2 = infer(c)  # same keep-alive connection
        self.assertEqual(r2.status, 200)
        self.assertNotEqual(json.loads(body2)["id"], doc["id"], "ids must be unique")
        c.close()

    def test_infer_flattens_nested_data_and_keeps_other_datatypes(self):
        req = {
            "inputs": [
                {"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1.5, 2.0], [3.0, 4.0]]},
                {"name": "s", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]},
            ]
        }
        c = self.sim.conn()
        r, body = infer(c, model="m2", body=req)
        c.close()
        self.assertEqual(r.status, 200)
        doc = json.loads(body)
        self.assertEqual(doc["model_name"], "m2")
        self.assertEqual(doc["outputs"][0]["data"], [1.5, 2.0, 3.0, 4.0])
        self.assertEqual(doc["outputs"][0]["shape"], [2, 2])
        self.assertEqual(doc["outputs"][1]["data"], ["a", "b"])
        self.assertEqual(doc["outputs"][1]["datatype"], "BYTES")

    def test_malformed_json_is_400(self):
        c = self.sim.conn()
        r, body = infer(c, raw=b'{"inputs": [')
        self.assertEqual(r.status, 400)
        self.assertIn("error", json.loads(body))
        # The connection stays usable after a 400.
        r, _ = infer(c)
        self.assertEqual(r.status, 200)
        c.close()

    def test_wrong_structure_is_400(self):
        bad = [
            [],
            {"inputs": []},
            {"outputs": []},
            {"inputs": [{"name": "a", "shape": [-1], "datatype": "INT32", "data": []}]},
            {"inputs": [{"name": "a", "shape": [1], "datatype": "INT32"}]},
            {"inputs": [{"shape": [1], "datatype": "INT32", "data": [1]}]},
            {"inputs": [{"name": "a", "shape": [1], "data": [1]}]},
        ]
        c = self.sim.conn()
        for req in bad:
            with self.subTest(req=req):
                r, body = infer(c, raw=json.dumps(req).encode())
                self.assertEqual(r.status, 400)
                self.assertIn("error", json.loads(body))
        c.close()

    def test_element_count_mismatch_is_400(self):
        req = tfsimple_request()
        req["inputs"][1]["data"] = list(range(15))
        c = self.sim.conn()
        r, body = infer(c, body=req)
        c.close()
        self.assertEqual(r.status, 400)
        self.assertIn("error", json.loads(body))

    def test_ready_endpoints_are_200(self):
        c = self.sim.conn()
        for path in ("/v2/models/tfsimple1/ready", "/v2/health/ready", "/v2/health/live"):
            with self.subTest(path=path):
                c.request("GET", path, headers={"Host": "tfsimple1"})
                r = c.getresponse()
                body = r.read()
                self.assertEqual(r.status, 200)
                if path.startswith("/v2/models/"):
                    self.assertEqual(body, b"")
        c.close()

    def test_unknown_path_is_404_json(self):
        c = self.sim.conn()
        for method, path in (("GET", "/nope"), ("GET", "/v2/models/m/infer"), ("POST", "/v2/x")):
            with self.subTest(method=method, path=path):
                c.request(method, path, body=b"" if method == "POST" else None)
                r = c.getresponse()
                self.assertEqual(r.status, 404)
                self.assertIn("error", json.loads(r.read()))
        c.close()

    def test_garbage_and_abrupt_disconnects_do_not_hurt_the_server(self):
        with socket.create_connection(("127.0.0.1", self.sim.port)) as s:
            s.sendall(b"\x00\x01 this is not HTTP \r\n\r\n" * 10)
            s.settimeout(2.0)
            try:
                s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                pass
        with socket.create_connection(("127.0.0.1", self.sim.port)) as s:  # headers cut off
            s.sendall(b"POST /v2/models/m/infer HTTP/1.1\r\nHost: m\r\nContent-Le")
        with socket.create_connection(("127.0.0.1", self.sim.port)) as s:  # body cut off
            s.sendall(b"POST /v2/models/m/infer HTTP/1.1\r\nHost: m\r\nContent-Length: 1000\r\n\r\n{")
        with socket.create_connection(("127.0.0.1", self.sim.port)) as s:  # reset mid-request
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.sendall(b"POST /v2/models/m/infer HTTP/1.1\r\nHost: m\r\nContent-Length: 10\r\n\r\n{")
        time.sleep(0.05)
        self.assertIsNone(self.sim.proc.poll(), "scv2-sim died")
        c = self.sim.conn()
        c.request("GET", "/v2/health/live")
        self.assertEqual(c.getresponse().status, 200)
        c.close()


@unittest.skipUnless(SIM and os.access(SIM, os.X_OK), "SCV2_SIM must name the scv2-sim binary")
class CounterTest(unittest.TestCase):
    """/sim/stats must equal what clients received, exactly, across threads and connections."""

    def setUp(self):
        self.sim = Sim("--threads", "4")

    def tearDown(self):
        self.assertEqual(self.sim.stop(), 0)

    def test_counts_are_exact_after_keep_alive_requests(self):
        self.sim.reset()
        c = self.sim.conn()
        for _ in range(50):
            r, _ = infer(c)
            self.assertEqual(r.status, 200)
        for _ in range(2):
            r, _ = infer(c, raw=b"not json")
            self.assertEqual(r.status, 400)
        for path in ("/v2/models/tfsimple1/ready", "/v2/health/ready", "/v2/health/live"):
            c.request("GET", path)
            c.getresponse().read()
        c.close()
        self.assertEqual(
            self.sim.stats(),
            {
                "rest_infer": 52,
                "rest_infer_ok": 50,
                "rest_infer_error": 0,
                "rest_infer_bad_request": 2,
                "rest_ready": 2,
                "connections": 2,  # the one above and the stats connection; reset's predates it
                "http_requests": 55,  # the stats request counts once its response is written
                "not_found": 0,  # every model is served in the default --models any
                "loaded_models": 0,
                "rest_seldon_model": {"tfsimple1": 52},  # every infer request names its model
                "rest_with_request_id": 0,
                "rest_request_ids_distinct": 0,
            },
        )
        self.assertEqual(self.sim.stats()["http_requests"], 56)

    def test_counts_are_exact_across_concurrent_connections(self):
        self.sim.reset()
        failures = []

        def client():
            c = self.sim.conn()
            for _ in range(25):
                r, _ = infer(c)
                if r.status != 200:
                    failures.append(r.status)
            c.close()

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])
        stats = self.sim.stats()
        self.assertEqual(stats["rest_infer"], 200)
        self.assertEqual(stats["rest_infer_ok"], 200)
        self.assertEqual(stats["connections"], 9)
        self.assertEqual(stats["http_requests"], 200)


@unittest.skipUnless(SIM and os.access(SIM, os.X_OK), "SCV2_SIM must name the scv2-sim binary")
class BehaviourFlagTest(unittest.TestCase):
    """Flags that change how requests are answered."""

    def run_sim(self, *args):
        sim = Sim(*args)
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        return sim

    def test_error_rate_one_answers_every_infer_with_500(self):
        sim = self.run_sim("--error-rate", "1")
        c = sim.conn()
        for _ in range(10):
            r, body = infer(c)
            self.assertEqual(r.status, 500)
            self.assertEqual(json.loads(body), {"error": "simulated error"})
        c.close()
        stats = sim.stats()
        self.assertEqual(stats["rest_infer"], 10)
        self.assertEqual(stats["rest_infer_error"], 10)
        self.assertEqual(stats["rest_infer_ok"], 0)

    def test_max_requests_per_conn_closes_after_kth_response(self):
        sim = self.run_sim("--max-requests-per-conn", "2")
        with socket.create_connection(("127.0.0.1", sim.port), timeout=3.0) as s:
            s.sendall(raw_get("/v2/health/live"))
            head1, _, rest = read_raw_response(s)
            self.assertNotRegex(head1, r"(?im)^connection:\s*close")
            s.sendall(raw_get("/v2/health/live"))
            head2, _, rest = read_raw_response(s, rest)
            self.assertRegex(head2, r"(?im)^connection:\s*close")
            self.assertEqual(rest, b"")
            # The third request finds the connection closed: EOF (or a reset).
            try:
                s.sendall(raw_get("/v2/health/live"))
                self.assertEqual(s.recv(4096), b"")
            except (ConnectionResetError, BrokenPipeError):
                pass
        c = sim.conn()  # a new connection is served again
        r, _ = infer(c)
        self.assertEqual(r.status, 200)
        c.close()

    def test_chunked_infer_response(self):
        sim = self.run_sim("--chunked")
        c = sim.conn()
        r, body = infer(c)  # http.client decodes and thereby checks the chunked framing
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        self.assertIsNone(r.getheader("Content-Length"))
        self.assertEqual(json.loads(body)["outputs"][0]["data"], list(range(16)))
        r, body = infer(c)  # and the connection is reusable after a chunked body
        self.assertEqual(r.status, 200)
        json.loads(body)
        c.close()

    def test_latency_delays_each_request_without_blocking_others(self):
        sim = self.run_sim("--latency", "200ms")  # one thread: delays must be asynchronous
        c = sim.conn()
        start = time.monotonic()
        r, _ = infer(c)
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.2)
        c.close()

        durations = []

        def client():
            cc = sim.conn()
            t0 = time.monotonic()
            infer(cc)
            durations.append(time.monotonic() - t0)
            cc.close()

        threads = [threading.Thread(target=client) for _ in range(5)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(durations), 5)
        self.assertTrue(all(d >= 0.2 for d in durations), durations)
        self.assertLess(time.monotonic() - start, 0.8, "delays were served one after another")

    def test_sigterm_exits_zero_promptly_with_open_connections(self):
        sim = Sim("--latency", "5s")
        idle = socket.create_connection(("127.0.0.1", sim.port))
        busy = socket.create_connection(("127.0.0.1", sim.port))
        body = json.dumps(tfsimple_request()).encode()
        busy.sendall(
            b"POST /v2/models/m/infer HTTP/1.1\r\nHost: m\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body
        )
        time.sleep(0.1)
        start = time.monotonic()
        rc = sim.stop(timeout=3.0)
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - start, 1.0)
        idle.close()
        busy.close()


SELDON = ("--metadata", "seldon-model=tfsimple1")


@unittest.skipUnless(HAVE_PROBE, "SCV2_SIM and GRPC_PROBE must name the binaries")
class GrpcTest(unittest.TestCase):
    """The V2 gRPC endpoint (--grpc-port) and its counters."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--threads", "2", "--grpc-port", "0")

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.stop()
        assert rc == 0, f"scv2-sim exited {rc} after SIGTERM"

    def setUp(self):
        self.sim.reset()

    def test_prints_http_then_grpc_line_and_nothing_more(self):
        self.assertRegex(self.sim.line, LISTENER_LINE)
        self.assertRegex(self.sim.grpc_line, GRPC_LINE)
        more, _, _ = select.select([self.sim.proc.stdout], [], [], 0.1)
        self.assertFalse(more, "scv2-sim printed more than the two listener lines")

    def test_calls_are_counted_with_their_metadata(self):
        counts, _ = self.sim.probe(
            10, *SELDON, "--metadata", "seldon-internal-model=tfsimple1_1",
            "--metadata", "x-request-id=r1", "--timeout-ms", "10000",
        )
        self.assertEqual(counts, {"OK": 10})
        counts, _ = self.sim.probe(3, "--model", "m2", "--metadata", "seldon-model=m2")
        self.assertEqual(counts, {"OK": 3})
        stats = self.sim.stats()
        self.assertEqual(stats["grpc_infer"], 13)
        self.assertEqual(stats["grpc_infer_ok"], 13)
        self.assertEqual(stats["grpc_infer_error"], 0)
        self.assertEqual(stats["grpc_infer_invalid"], 0)
        self.assertEqual(stats["grpc_seldon_model"], {"tfsimple1": 10, "m2": 3})
        self.assertEqual(stats["grpc_internal_model"], {"tfsimple1_1": 10})
        self.assertEqual(stats["grpc_with_deadline"], 10)
        self.assertEqual(stats["grpc_with_request_id"], 10)
        self.assertEqual(stats["rest_infer"], 0, "gRPC calls must not count as REST")

    def test_invalid_requests_are_invalid_argument(self):
        counts, _ = self.sim.probe(3, *SELDON, "--bad")
        self.assertEqual(counts, {"INVALID_ARGUMENT": 3})
        counts, _ = self.sim.probe(2)  # no seldon-model metadata
        self.assertEqual(counts, {"INVALID_ARGUMENT": 2})
        stats = self.sim.stats()
        self.assertEqual(stats["grpc_infer"], 5)
        self.assertEqual(stats["grpc_infer_invalid"], 5)
        self.assertEqual(stats["grpc_infer_ok"], 0)
        self.assertEqual(stats["grpc_seldon_model"], {"tfsimple1": 3})

    def test_raw_input_contents_are_checked_by_byte_length(self):
        counts, _ = self.sim.probe(2, *SELDON, "--raw")
        self.assertEqual(counts, {"OK": 2})
        counts, _ = self.sim.probe(2, *SELDON, "--raw", "--bad")
        self.assertEqual(counts, {"INVALID_ARGUMENT": 2})
        counts, _ = self.sim.probe(3, *SELDON)
        self.assertEqual(counts, {"OK": 3})
        stats = self.sim.stats()
        self.assertEqual((stats["grpc_infer_ok"], stats["grpc_infer_invalid"]), (5, 2))
        # Every call that carried raw contents, whatever became of it, and none of the others.
        self.assertEqual(stats["grpc_with_raw_contents"], 4)

    def test_reset_zeroes_grpc_counters_and_maps(self):
        self.sim.probe(2, *SELDON, "--metadata", "x-request-id=r", "--raw")
        self.assertEqual(self.sim.stats()["grpc_infer"], 2)
        self.assertEqual(self.sim.stats()["grpc_with_raw_contents"], 2)
        self.sim.reset()
        stats = self.sim.stats()
        for key in ("grpc_infer", "grpc_infer_ok", "grpc_infer_error", "grpc_infer_invalid",
                    "grpc_with_deadline", "grpc_with_request_id", "grpc_with_raw_contents"):
            self.assertEqual(stats[key], 0, key)
        self.assertEqual(stats["grpc_seldon_model"], {})
        self.assertEqual(stats["grpc_internal_model"], {})

    def test_rest_is_served_alongside(self):
        c = self.sim.conn()
        r, body = infer(c)
        c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(body)["outputs"][0]["data"], list(range(16)))
        self.assertEqual(self.sim.stats()["rest_infer_ok"], 1)


@unittest.skipUnless(HAVE_PROBE, "SCV2_SIM and GRPC_PROBE must name the binaries")
class GrpcFlagTest(unittest.TestCase):
    """REST's behaviour flags apply to gRPC calls too."""

    def run_sim(self, *args):
        sim = Sim("--grpc-port", "0", *args)
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        return sim

    def test_error_rate_one_answers_every_call_with_a_non_ok_status(self):
        sim = self.run_sim("--error-rate", "1")
        counts, _ = sim.probe(5, *SELDON)
        self.assertEqual(counts, {"INTERNAL": 5})
        stats = sim.stats()
        self.assertEqual(stats["grpc_infer"], 5)
        self.assertEqual(stats["grpc_infer_error"], 5)
        self.assertEqual(stats["grpc_infer_ok"], 0)

    def test_fixed_latency_delays_each_call(self):
        sim = self.run_sim("--latency", "50ms")
        counts, elapsed = sim.probe(5, *SELDON)
        self.assertEqual(counts, {"OK": 5})
        self.assertGreaterEqual(elapsed, 0.25)

    def test_latency_does_not_serialise_concurrent_calls(self):
        sim = self.run_sim("--latency", "400ms")
        results = []
        threads = [threading.Thread(target=lambda: results.append(sim.probe(1, *SELDON)))
                   for _ in range(5)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([c for c, _ in results], [{"OK": 1}] * 5)
        self.assertTrue(all(e >= 0.4 for _, e in results), results)
        self.assertLess(time.monotonic() - start, 1.6, "delays were served one after another")

    def test_max_streams_is_accepted(self):
        sim = self.run_sim("--grpc-max-streams", "1")
        counts, _ = sim.probe(3, *SELDON)
        self.assertEqual(counts, {"OK": 3})

    def test_sigterm_exits_zero_promptly_with_a_delayed_call_in_flight(self):
        sim = Sim("--grpc-port", "0", "--latency", "5s")
        probe = subprocess.Popen(
            [PROBE, "--target", sim.grpc_target, "--calls", "1", *SELDON],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(0.3)
        start = time.monotonic()
        rc = sim.stop(timeout=3.0)
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - start, 1.0)
        probe.communicate(timeout=10)

    def test_without_grpc_port_stats_have_no_grpc_keys(self):
        sim = Sim()
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        self.assertIsNone(sim.grpc_line)
        more, _, _ = select.select([sim.proc.stdout], [], [], 0.1)
        self.assertFalse(more, "scv2-sim printed a line besides 'http ...'")
        self.assertFalse([k for k in sim.stats() if k.startswith("grpc")])


@unittest.skipUnless(SIM and os.access(SIM, os.X_OK), "SCV2_SIM must name the scv2-sim binary")
class CommandLineTest(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([SIM, *args], capture_output=True, text=True, timeout=5)

    def test_bad_flags_exit_2_with_one_line_naming_the_flag(self):
        cases = [
            (["--http-port", "0", "--bogus"], "--bogus"),
            (["--http-port", "70000"], "--http-port"),
            (["--http-port", "0", "--error-rate", "1.5"], "--error-rate"),
            (["--http-port", "0", "--latency", "fast"], "--latency"),
            (["--http-port", "0", "--latency", "uniform:5ms"], "--latency"),
            (["--http-port", "0", "--threads", "0"], "--threads"),
            (["--http-port", "0", "--max-requests-per-conn", "-1"], "--max-requests-per-conn"),
            (["--http-port", "0", "--threads"], "--threads"),
            ([], "--http-port"),
            (["--http-port", "0", "--grpc-port", "70000"], "--grpc-port"),
            (["--http-port", "0", "--grpc-port", "x"], "--grpc-port"),
            (["--http-port", "0", "--grpc-port"], "--grpc-port"),
            (["--http-port", "0", "--grpc-port", "0", "--grpc-max-streams", "0"],
             "--grpc-max-streams"),
            (["--http-port", "0", "--grpc-max-streams", "4"], "--grpc-max-streams"),
            (["--http-port", "0", "--scheduler-port", "65536"], "--scheduler-port"),
            (["--http-port", "0", "--scheduler-port"], "--scheduler-port"),
            (["--http-port", "0", "--models", "some"], "--models"),
            (["--http-port", "0", "--scheduler-port", "0", "--load-delay", "soon"], "--load-delay"),
            (["--http-port", "0", "--scheduler-port", "0", "--load-delay", "-1s"], "--load-delay"),
            (["--http-port", "0", "--scheduler-port", "0", "--load-delay", "2h"], "--load-delay"),
            (["--http-port", "0", "--load-delay", "1s"], "--load-delay"),
            (["--http-port", "0", "--scheduler-port", "0", "--fail-model", ""], "--fail-model"),
            (["--http-port", "0", "--fail-model", "m"], "--fail-model"),
            (["--http-port", "0", "--grpc-tls-cert", "c.pem", "--grpc-tls-key", "k.pem"], "--grpc-tls-cert"),
            (["--http-port", "0", "--grpc-port", "0", "--grpc-tls-cert", "c.pem"], "--grpc-tls-key"),
            (["--http-port", "0", "--grpc-port", "0", "--grpc-tls-key", "k.pem"], "--grpc-tls-cert"),
            (["--http-port", "0", "--grpc-port", "0", "--grpc-tls-client-ca", "ca.pem"], "--grpc-tls-client-ca"),
            (["--http-port", "0", "--grpc-port", "0", "--grpc-tls-cert=", "--grpc-tls-key", "k.pem"],
             "--grpc-tls-cert"),
            (["--http-port", "0", "--grpc-port", "0", "--grpc-tls-cert"], "--grpc-tls-cert"),
        ]
        for args, flag in cases:
            with self.subTest(args=args):
                p = self.run_cli(*args)
                self.assertEqual(p.returncode, 2)
                self.assertEqual(p.stdout, "")
                lines = p.stderr.splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertIn(flag, lines[0])

    @unittest.skipUnless(HAVE_PROBE, "GRPC_PROBE must name the grpc_probe binary")
    def test_busy_grpc_port_exits_1_before_any_listener_line(self):
        sim = Sim("--grpc-port", "0")
        try:
            busy = sim.grpc_target.rsplit(":", 1)[1]
            p = self.run_cli("--http-port", "0", "--grpc-port", busy)
            self.assertEqual(p.returncode, 1)
            self.assertEqual(p.stdout, "")
            self.assertIn("--grpc-port", p.stderr.splitlines()[-1])  # after grpc's own log
        finally:
            self.assertEqual(sim.stop(), 0)

    def test_good_latency_specs_are_accepted(self):
        for spec in ("0", "250us", "1.5s", "1m30s", "uniform:1ms:5ms", "exp:2ms"):
            with self.subTest(spec=spec):
                sim = Sim("--latency", spec, "--host", "127.0.0.1")
                self.assertEqual(sim.stop(), 0)

    def test_help_prints_usage(self):
        p = self.run_cli("--help")
        self.assertEqual(p.returncode, 0)
        for flag in ("--http-port", "--host", "--latency", "--error-rate", "--threads",
                     "--max-requests-per-conn", "--chunked", "--grpc-port",
                     "--grpc-max-streams", "--scheduler-port", "--models", "--load-delay",
                     "--fail-model", "/sim/models", "/v2/pipelines/{name}/ready", "--grpc-tls-cert",
                     "--grpc-tls-key", "--grpc-tls-client-ca"):
            self.assertIn(flag, p.stdout)


if __name__ == "__main__":
    if not SIM:
        raise SystemExit("set SCV2_SIM to the path of the scv2-sim binary")
    unittest.main(verbosity=2)
