"""inferload's gRPC client against a hostile HTTP/2 server (h2_hostile_peer.py): GOAWAY, stream
and connection resets, trailers-only errors, a missing grpc-status, silence, a tight
MAX_CONCURRENT_STREAMS, invalid frames and a tiny flow-control window. Every run must end on its
own, in bounded time, with exit code 0 and every issued call accounted for exactly once, with the
fate and the gRPC status the misbehaviour calls for; the calls inferload counts ok are exactly the
ones the peer answered with grpc-status 0, and the peer never sees the client break a rule of
HTTP/2 (frame size, flow control, concurrent streams, stream ids).

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
from peers import main_for_backend, stop_process  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
IO = os.environ.get("INFERLOAD_IO", "uring")
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "h2_hostile_peer.py")

GRPC_TIMEOUT_S = 2      # --grpc-timeout of every run unless a test says otherwise
WALL_LIMIT_S = 20       # a run still going after this is killed and fails: it would have hung
STATUS_CODES = {"INTERNAL": 13, "UNAVAILABLE": 14, "DEADLINE_EXCEEDED": 4}
PROBE = 1               # the connect+close that checks the endpoint before the run


class PeerProcess:
    """h2_hostile_peer.py in a child process; stop() returns its counts."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, PEER, *args], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("h2 "):
            stop_process(self.proc)
            raise RuntimeError(f"h2_hostile_peer.py printed {line!r} instead of its listener")
        self.address = line.split()[1]
        self._counts = None

    def stop(self):
        if self._counts is None:
            stop_process(self.proc)
            lines = [ln for ln in self.proc.stdout.read().splitlines() if ln.startswith("{")]
            self.proc.stdout.close()
            self._counts = json.loads(lines[-1]) if lines else {}
        return self._counts

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Run:
    def __init__(self, code, out, err, summary, wall, killed):
        self.code, self.out, self.err, self.summary, self.wall, self.killed = code, out, err, summary, wall, killed

    def requests(self):
        return self.summary["inferload"]["requests"]

    def grpc(self):
        return self.summary["inferload"]["grpc"]

    def metric(self, name):
        return self.summary["metrics"][name]


def run_inferload(address, *args, model="tfsimple", grpc_timeout=GRPC_TIMEOUT_S, limit=WALL_LIMIT_S,
                  signal_after=None):
    fd, export = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(export)
    env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ITERATIONS="0", INFER_GRPC_ITERATIONS="1", INFER_GRPC_ENDPOINT=address,
               MODEL_TYPE=model, MAX_NUM_MODELS="1")
    cmd = [INFERLOAD, "run", "--io", IO, "--quiet", "--grpc-timeout", f"{grpc_timeout}s",
           "--summary-export", export, *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        killed = False
        try:
            if signal_after is not None:
                try:
                    proc.wait(timeout=signal_after)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=limit - (signal_after or 0))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            killed = True
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    summary = None
    if os.path.exists(export):
        with open(export) as f:
            summary = json.load(f)
        os.unlink(export)
    return Run(proc.returncode, stdout, stderr, summary, wall, killed)


class GrpcHostileServers(unittest.TestCase):
    def exercise(self, peer_args, vus, iterations, *args, model="tfsimple", grpc_timeout=GRPC_TIMEOUT_S,
                 ok=None, failed=None, timed_out=None, statuses=None, exact_ok=True):
        """One bounded run against a peer started with `peer_args`; checks what every behaviour
        shares (and the exact outcome where given) and returns the run, the peer's counts and a
        description for the test's own assertions."""
        with PeerProcess(*peer_args) as peer:
            r = run_inferload(peer.address, "-u", str(vus), "-i", str(iterations), *args, model=model,
                              grpc_timeout=grpc_timeout)
            counts = peer.stop()
        shown = {k: v for k, v in counts.items() if k != "bodies"}
        where = f"{' '.join(peer_args)} on {IO}: exit {r.code}, {r.wall:.1f} s, peer {shown}, stderr {r.err.strip()!r}"
        self.assertFalse(r.killed, f"{where}: still running after {WALL_LIMIT_S} s, killed")
        self.assertEqual(r.code, 0, where)
        self.assertIsNotNone(r.summary, where)
        req = r.requests()
        grpc = r.grpc()
        failures = r.summary["inferload"]["failures"]
        where += f", requests {req}, grpc {grpc}, failures {failures}"
        self.assertEqual(req["issued"], iterations, where)
        self.assertEqual(req["interrupted"], 0, where)
        self.assertEqual(req["issued"], req["ok"] + req["failed"] + req["timed_out"] + req["interrupted"], where)
        self.assertEqual(sum(f["count"] for f in failures), req["failed"] + req["timed_out"], where)
        self.assertEqual(r.metric("checks")["passes"], req["ok"], where)
        self.assertEqual(r.metric("checks")["fails"], req["issued"] - req["ok"] - req["interrupted"], where)
        check = r.summary["root_group"]["checks"]["model grpc prediction success"]
        self.assertEqual((check["passes"], check["fails"]), (req["ok"], req["issued"] - req["ok"]), where)
        self.assertEqual(sum(grpc["statuses"].values()), req["issued"] - req["interrupted"], where)
        self.assertEqual(grpc["statuses"].get("OK", 0), req["ok"], where)
        self.assertEqual(r.metric("grpc_req_duration")["count"] if "count" in r.metric("grpc_req_duration")
                         else req["issued"], req["issued"], where)
        # The calls counted ok are exactly the ones the peer answered with grpc-status 0 (or, when
        # the peer's RST may destroy answers not yet read, at most those).
        if exact_ok:
            self.assertEqual(counts.get("answered_ok"), req["ok"], where)
        else:
            self.assertLessEqual(req["ok"], counts.get("answered_ok"), where)
        self.assertEqual(counts.get("violations"), [], where)
        # Every request the peer read whole carried the message its gRPC prefix announced.
        for b in counts["bodies"]:
            self.assertEqual(b["body"], b["announced"] + 5, f"{where}: {b}")
        # Every connection the peer saw after the probe is one inferload says it opened.
        self.assertEqual(counts["prefaced"], grpc["connections_opened"], where)
        self.assertLessEqual(counts["connections"], grpc["connections_opened"] + PROBE, where)
        for name, expected in (("ok", ok), ("failed", failed), ("timed_out", timed_out)):
            if expected is not None:
                self.assertEqual(req[name], expected, f"{where}: {name}")
        if statuses is not None:
            self.assertEqual(grpc["statuses"], statuses, where)
        self.assertLess(r.wall, WALL_LIMIT_S, where)
        return r, counts, where

    def assert_failures_are(self, r, status, where, error=None):
        """Every failure of the run carries gRPC status `status` (and says `error`), and the run
        counted them all."""
        req = r.requests()
        self.assertEqual(r.grpc()["statuses"].get(status, 0), req["failed"] + req["timed_out"], where)
        for f in r.summary["inferload"]["failures"]:
            self.assertEqual(f["status"], STATUS_CODES[status], f"{where}: {f}")
            if error is not None:
                self.assertIn(error, f["error"], f"{where}: {f}")

    # --- 1. a well-behaved server: the baseline -------------------------------------------

    def test_normal_counts_are_exact_on_one_connection(self):
        r, peer, where = self.exercise(["--mode", "normal"], 4, 40, "--workers", "1", ok=40, failed=0, timed_out=0,
                                       statuses={"OK": 40})
        self.assertEqual((peer["requests"], peer["streams"]), (40, 40), where)
        self.assertEqual(peer["connections"], 1 + PROBE, where)
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    def test_normal_per_iteration_connections(self):
        r, peer, where = self.exercise(["--mode", "normal"], 2, 10, "--grpc-connection=per-iteration", ok=10,
                                       statuses={"OK": 10})
        self.assertEqual(r.grpc()["connections_opened"], 10, where)
        self.assertEqual(peer["connections"], 10 + PROBE, where)

    # --- 2. GOAWAY: streams above its last id are refused, the run goes on elsewhere -------

    def test_goaway_refuses_later_streams_and_the_run_moves_to_a_new_connection(self):
        # A short delay keeps all four VUs' streams in flight, so each GOAWAY refuses some.
        r, peer, where = self.exercise(["--mode", "goaway_after", "--n", "5", "--delay-ms", "5"], 4, 40,
                                       "--workers", "1")
        req = r.requests()
        self.assertGreater(req["failed"], 0, f"{where}: no stream was above a GOAWAY's last id")
        self.assertEqual(req["timed_out"], 0, where)
        self.assert_failures_are(r, "UNAVAILABLE", where, error="refused stream")
        self.assertGreater(r.grpc()["connections_opened"], 1, where)
        self.assertGreaterEqual(peer["goaways_sent"], r.grpc()["connections_opened"] - 1, where)

    # --- 3. RST_STREAM: the one call fails, the connection carries on ----------------------

    def test_rst_stream_internal_error_fails_that_call_only(self):
        r, peer, where = self.exercise(["--mode", "rst_every", "--k", "3", "--rst-code", "INTERNAL_ERROR"], 3, 30,
                                       "--workers", "1", ok=20, failed=10, timed_out=0,
                                       statuses={"OK": 20, "INTERNAL": 10})
        self.assertEqual(peer["resets_sent"], 10, where)
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    def test_rst_stream_refused_is_unavailable(self):
        r, peer, where = self.exercise(["--mode", "rst_every", "--k", "3", "--rst-code", "REFUSED_STREAM"], 3, 30,
                                       "--workers", "1", ok=20, failed=10, timed_out=0,
                                       statuses={"OK": 20, "UNAVAILABLE": 10})
        self.assertEqual(peer["resets_sent"], 10, where)
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    # --- 4. the connection closes under the streams ---------------------------------------

    def test_close_with_streams_in_flight_fails_them_and_reconnects(self):
        r, peer, where = self.exercise(["--mode", "close_after", "--n", "5", "--delay-ms", "5"], 4, 40,
                                       "--workers", "1")
        req = r.requests()
        self.assertGreater(req["failed"], 0, f"{where}: nothing was in flight when the peer closed")
        self.assertEqual(req["timed_out"], 0, where)
        self.assert_failures_are(r, "UNAVAILABLE", where, error="EOF")
        self.assertGreater(r.grpc()["connections_opened"], 1, where)

    def test_reset_connection_with_streams_in_flight_fails_them_and_reconnects(self):
        # The peer's RST may also destroy answers it wrote that inferload had not read: those are
        # failures too, so inferload's ok may fall short of the peer's answers, never exceed them.
        r, peer, where = self.exercise(["--mode", "close_after", "--rst", "--n", "5", "--delay-ms", "5"], 4, 40,
                                       "--workers", "1", exact_ok=False)
        req = r.requests()
        self.assertGreater(req["failed"], 0, f"{where}: nothing was in flight when the peer reset")
        self.assertGreater(req["ok"], 0, where)
        self.assertEqual(req["timed_out"], 0, where)
        self.assert_failures_are(r, "UNAVAILABLE", where)
        self.assertGreater(r.grpc()["connections_opened"], 1, where)

    # --- 5, 6. errors in the response itself ----------------------------------------------

    def test_trailers_only_error_status_is_a_failed_check(self):
        r, peer, where = self.exercise(["--mode", "trailers_only"], 2, 10, ok=0, failed=10, timed_out=0,
                                       statuses={"INTERNAL": 10})
        self.assertEqual(peer["answered_error"], 10, where)
        self.assert_failures_are(r, "INTERNAL", where)
        self.assertLessEqual(r.grpc()["connections_opened"], 2, where)

    def test_response_without_grpc_status_fails(self):
        r, peer, where = self.exercise(["--mode", "no_status"], 2, 10, ok=0, failed=10, timed_out=0)
        self.assertEqual(peer["answered_error"], 10, where)
        self.assert_failures_are(r, "INTERNAL", where, error="no grpc-status")
        self.assertNotIn("OK", r.grpc()["statuses"], where)

    # --- 7. silence: the deadline ends every call -----------------------------------------

    def test_stalled_server_times_every_call_out(self):
        r, peer, where = self.exercise(["--mode", "stall"], 4, 8, grpc_timeout=1, ok=0, failed=0, timed_out=8,
                                       statuses={"DEADLINE_EXCEEDED": 8})
        self.assertEqual(peer["requests"], 8, f"{where}: the requests did not reach the server")
        self.assert_failures_are(r, "DEADLINE_EXCEEDED", where)
        # Each call given up on while the run goes on is reset, so a server would stop working
        # on it; the last round's calls end the run, and closing their connections ends them.
        self.assertGreaterEqual(peer["client_resets"], 8 - 4, where)
        d = r.metric("grpc_req_duration")
        # Both the deadline and grpc_req_duration count from when the call was asked for.
        self.assertGreaterEqual(d["min"], 1000 - 200, where)
        self.assertLess(d["max"], 1000 + 1000, f"{where}: a deadline fired late")
        self.assertLess(r.wall, 2 * 1 + 3, where)

    def test_a_response_that_never_ends_is_cut_off_at_the_deadline(self):
        r, peer, where = self.exercise(["--mode", "endless"], 2, 4, grpc_timeout=1, ok=0, failed=0, timed_out=4,
                                       statuses={"DEADLINE_EXCEEDED": 4})
        self.assertEqual(peer["endless_streams"], 4, where)
        self.assertGreater(peer["endless_bytes"], 4 * 100_000, f"{where}: the peer did not stream")
        self.assertGreaterEqual(peer["client_resets"], 4 - 2, where)
        self.assertLess(r.wall, 2 * 1 + 3, where)

    def test_settings_never_sent_times_every_call_out(self):
        # The handshake never completes: each call waits for it until its deadline, and is
        # counted as timed out (DEADLINE_EXCEEDED, as any call its deadline ends).
        r, peer, where = self.exercise(["--mode", "no_settings"], 2, 6, "--workers", "1", grpc_timeout=1, ok=0,
                                       failed=0, timed_out=6)
        self.assertEqual(peer["streams"], 0, where)
        self.assertLessEqual(r.grpc()["connections_opened"], 6, where)
        self.assertLess(r.wall, 3 * 1 + 3, where)

    # --- 8. MAX_CONCURRENT_STREAMS --------------------------------------------------------

    def test_max_concurrent_streams_2_is_never_exceeded(self):
        r, peer, where = self.exercise(["--mode", "normal", "--max-streams", "2", "--delay-ms", "10"], 20, 100,
                                       "--workers", "1", ok=100, failed=0, timed_out=0, statuses={"OK": 100})
        self.assertEqual(peer["max_concurrent"], 2, where)
        self.assertEqual(peer["connections"], 1 + PROBE, where)
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    def test_max_concurrent_streams_0_times_every_call_out_without_a_stream(self):
        r, peer, where = self.exercise(["--mode", "normal", "--max-streams", "0"], 2, 6, "--workers", "1",
                                       grpc_timeout=1, ok=0, failed=0, timed_out=6, statuses={"DEADLINE_EXCEEDED": 6})
        self.assertEqual(peer["streams"], 0, f"{where}: a stream was opened against MAX_CONCURRENT_STREAMS 0")
        self.assertEqual(r.grpc()["connections_opened"], 1, where)
        self.assertLess(r.wall, 3 * 1 + 3, where)

    def test_goaway_before_any_stream_fails_calls_without_a_reconnect_storm(self):
        # Every connection is refused whole (GOAWAY, last stream id 0, right after SETTINGS): the
        # calls fail UNAVAILABLE after a bounded number of new connections, and never hang.
        r, peer, where = self.exercise(["--mode", "refuse_all"], 2, 6, "--workers", "1", ok=0, failed=6, timed_out=0,
                                       statuses={"UNAVAILABLE": 6})
        self.assertEqual(peer["streams"], 0, where)
        self.assertLessEqual(r.grpc()["connections_opened"], 6 * 9, f"{where}: a reconnect storm")
        self.assertLess(r.wall, 5, where)

    # --- 9. invalid frames: a connection error, then a new connection ---------------------

    def garbage(self, kind):
        r, peer, where = self.exercise(["--mode", "garbage", "--garbage", kind, "--n", "3", "--delay-ms", "5"], 4, 40,
                                       "--workers", "1")
        req = r.requests()
        self.assertGreater(req["failed"], 0, f"{where}: nothing was in flight at the invalid frame")
        self.assertEqual(req["timed_out"], 0, where)
        self.assert_failures_are(r, "INTERNAL", where, error="protocol error")
        self.assertGreater(r.grpc()["connections_opened"], 1, where)
        self.assertGreater(peer["garbage_sent"], 1, where)
        return peer, where

    def test_data_on_stream_0_is_a_connection_error(self):
        self.garbage("data_on_stream_0")

    def test_frame_above_max_frame_size_is_a_connection_error(self):
        self.garbage("oversized_frame")

    # RFC 9113 5.4.1: an endpoint that hits a connection error SHOULD send GOAWAY with its code.
    def test_connection_errors_are_announced_with_goaway(self):
        for kind, code in (("data_on_stream_0", 0x1), ("oversized_frame", 0x6)):  # PROTOCOL_, FRAME_SIZE_ERROR
            peer, where = self.garbage(kind)
            # The last connection's garbage may come after the run's last answer, when the client
            # has already closed it (drained, with nothing open): that one is never read.
            goaways = peer["client_goaway_codes"]
            self.assertEqual(goaways, [code] * len(goaways), where)
            self.assertIn(len(goaways), (peer["garbage_sent"] - 1, peer["garbage_sent"]),
                          f"{where}: a connection error without its GOAWAY")

    # --- valid but unusual framing --------------------------------------------------------

    def test_chopped_frames_padding_and_interleaved_control_frames_are_ok(self):
        # Each header block 1 byte per frame (HEADERS + CONTINUATIONs, trailers too), the message
        # in padded 1-byte DATA frames plus an empty one, and an unknown frame type, PRIORITY,
        # PING and a stream WINDOW_UPDATE in between.
        r, peer, where = self.exercise(["--mode", "fragmented"], 4, 40, "--workers", "1", ok=40, failed=0,
                                       timed_out=0, statuses={"OK": 40})
        self.assertEqual(peer["pings_sent"], 40, where)
        # The ACKs owed for the answers that end the run are not written: the run is over and
        # its connections close (at most one answer per VU is in that position).
        self.assertGreaterEqual(peer["ping_acks"], 40 - 4, f"{where}: a PING went unanswered")
        self.assertLessEqual(peer["ping_acks"], 40, where)
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    def test_hpack_static_and_dynamic_table_references_are_ok(self):
        # :status as static index 8; content-type inserted into the dynamic table by the
        # connection's first answer and referenced as index 62 by every later one.
        r, peer, where = self.exercise(["--mode", "hpack_dynamic"], 4, 40, "--workers", "1", ok=40, failed=0,
                                       timed_out=0, statuses={"OK": 40})
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    def test_answer_before_the_body_is_sent_is_ok_and_the_rest_is_reset(self):
        # A 1000-byte window never granted more: each 600 KB body stops at once, the answer comes
        # at the request's HEADERS, and the client must take it, reset the stream with NO_ERROR
        # (RFC 9113 8.1) and never send beyond the window.
        r, peer, where = self.exercise(["--mode", "early_answer", "--initial-window", "1000"], 2, 6, "--workers", "1",
                                       model="tfresnet152", ok=6, failed=0, timed_out=0, statuses={"OK": 6})
        # As with PING ACKs, the resets owed for the answers that end the run are not written.
        self.assertGreaterEqual(peer["client_resets"], 6 - 2, where)
        self.assertEqual(peer["client_reset_codes"], [0] * peer["client_resets"], where)
        self.assertLessEqual(peer["data_after_answer"], 6 * 1000, where)
        self.assertEqual(peer["requests"], 0, f"{where}: a body was sent whole through a 1000-byte window")
        self.assertEqual(r.grpc()["connections_opened"], 1, where)

    # --- 10. a tiny flow-control window, granted slowly -----------------------------------

    def test_large_uploads_through_a_1000_byte_window(self):
        r, peer, where = self.exercise(["--mode", "normal", "--initial-window", "1000", "--window-delay-ms", "1"], 2, 4,
                                       "--workers", "1", model="tfresnet152", grpc_timeout=15, ok=4, failed=0,
                                       timed_out=0, statuses={"OK": 4})
        self.assertEqual(len(peer["bodies"]), 4, where)
        for b in peer["bodies"]:
            self.assertGreater(b["body"], 500_000, f"{where}: {b}")

    def test_window_shrunk_to_zero_mid_upload_pauses_and_resumes(self):
        # SETTINGS_INITIAL_WINDOW_SIZE 0 in the middle of two 600 KB uploads takes the open
        # streams' windows to zero or below (RFC 9113 6.9.2); nothing may be sent on them until
        # the peer restores 65535 300 ms later, and then the uploads complete.
        r, peer, where = self.exercise(["--mode", "shrink_window", "--shrink-after", "100000", "--restore-ms", "300"],
                                       2, 4, "--workers", "1", model="tfresnet152", grpc_timeout=15, ok=4, failed=0,
                                       timed_out=0, statuses={"OK": 4})
        self.assertEqual(peer["shrinks"], 1, where)
        self.assertLessEqual(peer["min_window"], 0, f"{where}: no open stream's window reached 0")
        self.assertEqual(len(peer["bodies"]), 4, where)
        self.assertGreaterEqual(r.metric("grpc_req_duration")["max"], 300, f"{where}: the shrink did not pause anything")


class StopDuringStalledCalls(unittest.TestCase):
    def test_sigterm_during_stalled_calls_stops_at_once_and_writes_results(self):
        with PeerProcess("--mode", "stall") as peer:
            r = run_inferload(peer.address, "-u", "4", "--workers", "1", "-d", "60s", grpc_timeout=60, limit=12,
                              signal_after=1.5)
            counts = peer.stop()
        where = f"{IO}: exit {r.code}, {r.wall:.1f} s, peer {counts}, stderr {r.err.strip()!r}"
        self.assertFalse(r.killed, f"{where}: SIGTERM did not stop it, killed")
        self.assertLess(r.wall, 1.5 + 5, where)
        self.assertEqual(r.code, 105, where)
        self.assertIsNotNone(r.summary, f"{where}: no summary export")
        req = r.requests()
        where += f", requests {req}, grpc {r.grpc()}"
        # Every VU was still waiting for its first answer when the stop came.
        self.assertEqual((req["issued"], req["ok"], req["failed"], req["timed_out"], req["interrupted"]),
                         (4, 0, 0, 0, 4), where)
        self.assertEqual(sum(r.grpc()["statuses"].values()), req["issued"] - req["interrupted"], where)
        self.assertEqual(r.summary["inferload"]["failures"], [], where)
        self.assertEqual(counts["requests"], 4, where)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
