"""inferload against hostile servers (hostile_peer.py): endless or crawling responses, broken
framing, resets, silence, stray responses, redirects and 503s. Every run must end on its own, in
bounded time and memory, with exit code 0 and every issued request accounted for exactly once,
with the fate the misbehaviour calls for; where the peer can count what it saw, the counts agree.

Environment: INFERLOAD (binary), INFERLOAD_IO (uring or epoll: the backend every run is forced to
use).
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from hostile_peer import HostilePeer  # noqa: E402
from peers import main_for_backend  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
IO = os.environ.get("INFERLOAD_IO", "uring")

TIMEOUT_S = 2           # --timeout of every run, so that a stalled exchange ends quickly
WALL_LIMIT_S = 20       # a run still going after this is killed and fails: it would have hung
MAX_RSS_BYTES = 200 * 1024 * 1024


class Run:
    def __init__(self, code, out, err, summary, wall, max_rss, killed):
        self.code, self.out, self.err, self.summary = code, out, err, summary
        self.wall, self.max_rss, self.killed = wall, max_rss, killed

    def requests(self):
        return self.summary["inferload"]["requests"]

    def metric(self, name):
        return self.summary["metrics"][name]


def run_inferload(url, *args, timeout=TIMEOUT_S, limit=WALL_LIMIT_S, signal_after=None):
    """Runs `inferload run` against `url`, killing it after `limit` seconds. wait4 gives this child's
    own peak RSS, which RUSAGE_CHILDREN would mix with every earlier child's."""
    fd, export = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(export)
    env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=url, INFER_GRPC_ITERATIONS="0", MODEL_TYPE="iris", MAX_NUM_MODELS="1")
    cmd = [INFERLOAD, "run", "--io", IO, "-q", "--timeout", f"{timeout}s", "--summary-export", export, *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        killed = False
        signalled = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            elapsed = time.monotonic() - t0
            if signal_after is not None and not signalled and elapsed >= signal_after:
                proc.send_signal(signal.SIGTERM)
                signalled = True
            if elapsed >= limit:
                proc.kill()
                killed = True
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    summary = None
    if os.path.exists(export):
        with open(export) as f:
            summary = json.load(f)
        os.unlink(export)
    return Run(proc.returncode, stdout, stderr, summary, wall, usage.ru_maxrss * 1024, killed)


class HostileServers(unittest.TestCase):
    def exercise(self, mode, vus, iterations, *args, ok=0, failed=0, timed_out=0, req_failed=None):
        """One bounded run against a peer in `mode`; checks what every mode shares and returns the
        run and the peer's counts for the mode's own assertions."""
        with HostilePeer(mode) as peer:
            r = run_inferload(peer.url, "-u", str(vus), "-i", str(iterations), *args)
            # The peer's threads end once inferload's connections are gone: nothing lingers.
            self.assertTrue(peer.wait_idle(5), f"{mode}: the peer still serves {peer.counts()} after the run")
            counts = peer.counts()
        where = f"{mode} on {IO}: exit {r.code}, {r.wall:.1f} s, peer {counts}, stderr {r.err.strip()!r}"
        self.assertFalse(r.killed, f"{where}: still running after {WALL_LIMIT_S} s, killed")
        self.assertEqual(r.code, 0, where)
        self.assertIsNotNone(r.summary, where)
        req = r.requests()
        where += f", requests {req}"
        self.assertEqual(req["issued"], req["ok"] + req["failed"] + req["timed_out"] + req["interrupted"], where)
        self.assertEqual((req["issued"], req["ok"], req["failed"], req["timed_out"], req["interrupted"]),
                         (iterations, ok, failed, timed_out, 0), where)
        self.assertEqual(r.metric("http_reqs")["count"], req["issued"] - req["interrupted"], where)
        self.assertEqual(r.metric("iterations")["count"], iterations, where)
        checks = r.metric("checks")
        self.assertEqual((checks["passes"], checks["fails"]), (ok, iterations - ok), where)
        # k6's http_req_failed: true (a "pass" of the rate) for anything but a 200-399 response.
        expected_failed = failed + timed_out if req_failed is None else req_failed
        self.assertEqual(r.metric("http_req_failed")["passes"], expected_failed, where)
        self.assertLess(r.wall, WALL_LIMIT_S, where)
        self.assertLess(r.max_rss, MAX_RSS_BYTES, f"{where}: peak RSS {r.max_rss >> 20} MiB")
        return r, counts, where

    # The probe that checks the endpoint before the run is one more connection the peer sees.
    PROBE = 1

    # --- responses that never end: the request's timeout must end them -------------------

    def assert_timed_out_on_time(self, r, where):
        d = r.metric("http_req_duration")
        self.assertGreaterEqual(d["min"], TIMEOUT_S * 1000 - 10, where)
        self.assertLess(d["max"], TIMEOUT_S * 1000 + 1000, f"{where}: a timeout fired late")

    def test_endless_chunked_body_times_out(self):
        # Several endless streams on one worker: together they keep its loop busy without a
        # pause, and its timers must still fire.
        r, peer, where = self.exercise("endless_chunked", 8, 16, "--workers", "1", timed_out=16)
        self.assert_timed_out_on_time(r, where)
        self.assertEqual(peer["requests"], 16, where)
        self.assertEqual(peer["connections"], 16 + self.PROBE, where)  # a timed-out connection is not reused
        self.assertGreater(r.metric("data_received")["count"], 10 << 20, f"{where}: the stream did not flow")

    def test_slowloris_response_times_out(self):
        r, peer, where = self.exercise("slowloris", 2, 4, timed_out=4)
        self.assert_timed_out_on_time(r, where)
        self.assertEqual(peer["requests"], 4, where)
        self.assertEqual(peer["connections"], 4 + self.PROBE, where)

    def test_server_that_never_reads_times_out(self):
        r, peer, where = self.exercise("never_read", 2, 4, timed_out=4)
        self.assert_timed_out_on_time(r, where)
        self.assertEqual(peer["requests"], 0, where)
        self.assertEqual(peer["connections"], 4 + self.PROBE, where)
        # Every byte inferload says it sent is in the peer's receive buffers, unread.
        self.assertEqual(peer["unread_bytes"], r.metric("data_sent")["count"], where)

    # --- unusual but valid responses: ok ----------------------------------------------------

    def test_100_continue_then_200_is_ok(self):
        _, peer, where = self.exercise("continue_then_ok", 3, 30, ok=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertLessEqual(peer["connections"], 3 + self.PROBE, f"{where}: keep-alive was not kept")

    def test_http10_close_delimited_body_is_ok(self):
        _, peer, where = self.exercise("http10_close", 3, 30, ok=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)

    # --- broken framing and resets: failed ------------------------------------------------

    def test_chunk_size_over_64_bits_fails(self):
        _, peer, where = self.exercise("chunk_overflow", 3, 30, failed=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)

    def test_10_mb_header_fails_without_reading_it_all(self):
        r, peer, where = self.exercise("huge_header", 3, 30, failed=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)
        self.assertEqual(peer["responses"], 0, f"{where}: a whole 10 MB head was taken in")

    def test_close_after_head_fails(self):
        _, peer, where = self.exercise("close_after_head", 3, 30, failed=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)

    def test_reset_on_accept_fails(self):
        # The handshake completes before the reset: the server is reachable, the requests fail.
        _, peer, where = self.exercise("rst_on_accept", 3, 30, failed=30)
        self.assertEqual(peer["requests"], 0, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)

    def test_reset_after_request_fails(self):
        _, peer, where = self.exercise("rst_after_request", 3, 30, failed=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)

    # --- responses nobody asked for ---------------------------------------------------------

    def test_stray_second_response_is_never_counted(self):
        # Each request gets a 200 and then a 503 in one write: were the 503 ever taken as the
        # answer to the next request, a check would fail. The extra bytes make the connection
        # untrustworthy, so each request after the first reconnects.
        _, peer, where = self.exercise("double_response", 3, 30, ok=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertEqual(peer["responses"], 60, where)
        self.assertEqual(peer["connections"], 30 + self.PROBE, where)

    def test_response_sent_before_the_request(self):
        # On a fresh connection inferload writes its request as soon as the connection is up, so
        # a response the server wrote on accept arrives after the request, like a fast answer:
        # no client can tell them apart, and it is counted ok. Each connection then runs one
        # response ahead; that surfaces only as bytes arriving on an idle connection, which
        # inferload drops and replaces. What must hold: nothing fails, every request is
        # accounted once, and every request sent reached the server.
        _, peer, where = self.exercise("early_response", 3, 30, ok=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertGreaterEqual(peer["responses"], 30 + peer["connections"] - self.PROBE, where)

    # --- statuses that are not 200 ----------------------------------------------------------

    def test_301_is_an_expected_response_but_a_failed_check(self):
        # k6's expected_response is 200-399, so http_req_failed does not count a 301; the suite's
        # check (status 200) fails. The redirect is not followed: the peer sees each request once.
        _, peer, where = self.exercise("redirect_301", 3, 30, failed=30, req_failed=0)
        self.assertEqual(peer["requests"], 30, where)
        self.assertLessEqual(peer["connections"], 3 + self.PROBE, f"{where}: keep-alive was not kept")

    def test_503_with_retry_after_is_failed_and_not_waited_for(self):
        r, peer, where = self.exercise("unavailable_503", 3, 30, failed=30, req_failed=30)
        self.assertEqual(peer["requests"], 30, where)
        self.assertLessEqual(peer["connections"], 3 + self.PROBE, f"{where}: keep-alive was not kept")
        self.assertLess(r.wall, 10, f"{where}: Retry-After: 120 was waited for")


class StopDuringHostileResponses(unittest.TestCase):
    def test_sigterm_during_an_endless_body_stops_at_once_and_writes_results(self):
        with HostilePeer("endless_chunked") as peer:
            # With a 60 s timeout only the stop can end these requests; eight streams on one worker
            # keep its loop busy when the stop is posted to it.
            r = run_inferload(peer.url, "-u", "8", "--workers", "1", "-d", "60s", timeout=60, limit=12,
                              signal_after=1.5)
            self.assertTrue(peer.wait_idle(5), f"the peer still serves {peer.counts()} after the run")
            counts = peer.counts()
        where = f"{IO}: exit {r.code}, {r.wall:.1f} s, peer {counts}, stderr {r.err.strip()!r}"
        self.assertFalse(r.killed, f"{where}: SIGTERM did not stop it, killed")
        self.assertLess(r.wall, 1.5 + 5, where)
        self.assertEqual(r.code, 105, where)
        self.assertIsNotNone(r.summary, f"{where}: no summary export")
        req = r.requests()
        where += f", requests {req}"
        # Every VU was still reading its first response when the stop came.
        self.assertEqual((req["issued"], req["ok"], req["failed"], req["timed_out"], req["interrupted"]),
                         (8, 0, 0, 0, 8), where)
        self.assertEqual(counts["requests"], 8, where)
        # k6 records no sample of a request cut off by the stop. http_reqs is still shown, with 0,
        # as the parent the script's http_reqs{scenario:default} threshold registers.
        self.assertEqual(r.summary["metrics"]["http_reqs"]["count"], 0, where)
        self.assertNotIn("http_req_waiting", r.summary["metrics"], where)
        self.assertLess(r.max_rss, MAX_RSS_BYTES, f"{where}: peak RSS {r.max_rss >> 20} MiB")


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
