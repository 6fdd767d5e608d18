"""Open-loop executors end to end against scv2-sim: iterations start on a schedule whatever the
server does, a stalled server shows in the latency measured from each iteration's intended start
(no coordinated omission), VUs beyond maxVUs are dropped iterations, counted, and several
scenarios of an options file run together, tagged apart.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend, run_with_export  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")


def run(sim, *args, env=None, timeout=120):
    """`inferload run` against the sim, REST only; returns (exit code, stdout, stderr, export)."""
    full_env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ITERATIONS="0", MODEL_TYPE="iris")
    full_env.update(env or {})
    return run_with_export([INFERLOAD, "run", "--io", IO, *args], full_env, timeout)


def count(summary, name):
    m = summary["metrics"].get(name)
    return m["count"] if m else 0


def stall_once(sim, after, length):
    """Stops the server's process (every thread of it) for `length` seconds, `after` seconds
    from now: it accepts nothing and answers nothing meanwhile, as a server in a GC pause."""
    def go():
        time.sleep(after)
        os.kill(sim.proc.pid, signal.SIGSTOP)
        time.sleep(length)
        os.kill(sim.proc.pid, signal.SIGCONT)
    t = threading.Thread(target=go)
    t.start()
    return t


class ConstantRate(unittest.TestCase):
    def test_five_seconds_at_200_per_second_start_1000_iterations(self):
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim, "--rate", "200", "-d", "5s", "--pre-allocated-vus", "5", "--max-vus", "50")
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        # k6's schedule: due at 0, 5 ms, ..., 4.995 s.
        self.assertEqual(count(s, "iterations"), 1000)
        self.assertEqual(count(s, "http_reqs"), served)
        self.assertNotIn("dropped_iterations", s["metrics"])
        lateness = s["metrics"]["schedule_lateness"]
        for key in ("avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "p(99.9)"):
            self.assertIn(key, lateness)
        self.assertLess(lateness["med"], 50.0, "median lateness above 50 ms against an idle server")
        # Measured from before the send, the intended-start view is never shorter.
        intended = s["metrics"]["http_req_duration_intended"]
        self.assertGreaterEqual(intended["max"], s["metrics"]["http_req_duration"]["max"] - 1e-9)
        self.assertGreaterEqual(intended["min"], s["metrics"]["http_req_duration"]["min"] - 1e-9)
        self.assertIn("200.00 iterations/s for 5s (maxVUs: 5-50, gracefulStop: 30s)", out)

    def test_precise_timing_keeps_the_same_schedule(self):
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim, "--rate", "500", "-d", "2s", "--pre-allocated-vus", "5", "--max-vus", "50",
                                    "--precise-timing")
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), 1000)
        self.assertEqual(served, 1000)

    def test_ramping_rate_starts_the_area_under_the_rate(self):
        # 10/s for 2 s, then 10 -> 50/s over 2 s: area 20 + 60 = 80; the 80th is due exactly at
        # 4 s, where the scenario ends, and does not run.
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim, "--rate", "10", "-s", "2s:10", "-s", "2s:50", "--pre-allocated-vus", "2",
                                    "--max-vus", "20")
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), 79)
        self.assertEqual(served, 79)
        self.assertIn("Up to 50.00 iterations/s for 4s over 2 stages", out)


class Stall(unittest.TestCase):
    """A server that stops answering for 500 ms once."""

    def test_open_loop_shows_the_stall_that_closed_loop_hides(self):
        with Sim(SCV2_SIM) as sim:
            t = stall_once(sim, 1.5, 0.5)
            code, _, err, open_loop = run(sim, "--rate", "200", "-d", "4s", "--pre-allocated-vus", "10",
                                          "--max-vus", "400")
            t.join()
            self.assertEqual(code, 0, err)
            t = stall_once(sim, 1.5, 0.5)
            code, _, err, closed_loop = run(sim, "-u", "2", "-d", "4s")
            t.join()
            self.assertEqual(code, 0, err)
        # About 100 of the 800 requests were due during the stall, spread over it: the intended
        # start view has them at up to 500 ms.
        intended = open_loop["metrics"]["http_req_duration_intended"]
        self.assertGreater(intended["max"], 400.0)
        self.assertGreater(intended["p(95)"], 150.0)
        self.assertGreater(intended["p(99)"], 350.0)
        self.assertEqual(count(open_loop, "iterations"), 800)
        # Two VUs each wait once, for the whole stall; every other request is fast, so the
        # percentiles of the closed loop say nothing happened.
        closed = closed_loop["metrics"]["http_req_duration"]
        self.assertGreater(closed["max"], 400.0)
        self.assertLess(closed["p(99)"], 50.0)
        self.assertNotIn("http_req_duration_intended", closed_loop["metrics"])
        self.assertNotIn("schedule_lateness", closed_loop["metrics"])


class NeverAccepting:
    """A listen backlog of 1 that nobody accepts from: the kernel completes a handshake or two and
    drops the other SYNs, so those connects hang. Yields inferload's environment aimed at it."""
    def __enter__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        return dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=url, INFER_GRPC_ITERATIONS="0",
                    MODEL_TYPE="iris")

    def __exit__(self, *exc):
        self.listener.close()


class Preconnect(unittest.TestCase):
    def test_a_burst_after_a_stall_finds_its_connections_open(self):
        # About 60 iterations come due during the 300 ms stall and start together after it: with
        # --preconnect each takes a pre-allocated VU whose connection was opened before the start;
        # without it, each new VU connects on its first iteration.
        args = ("--rate", "200", "-d", "2s", "--pre-allocated-vus", "100", "--max-vus", "100")
        def stalled_run(*extra):
            with Sim(SCV2_SIM) as sim:
                before = sim.stats()["connections"]
                t = stall_once(sim, 0.8, 0.3)
                code, _, err, s = run(sim, *args, *extra)
                t.join()
                # Not inferload's VUs': this stats request's own, and the reachability probe's.
                opened = sim.stats()["connections"] - before - 2
            self.assertEqual(code, 0, err)
            return s, opened

        on, opened_on = stalled_run("--preconnect")
        off, opened_off = stalled_run()
        for s in (on, off):
            self.assertEqual(count(s, "iterations"), 400)
            self.assertNotIn("dropped_iterations", s["metrics"])
            self.assertEqual(s["metrics"]["vus_max"]["max"], 100)
        self.assertEqual(opened_on, 100, "every pre-allocated VU, once")
        self.assertEqual(on["metrics"]["http_req_connecting"]["max"], 0.0, "no iteration waited for a handshake")
        self.assertGreater(opened_off, 30, "the burst's VUs connected as they went")
        self.assertGreater(off["metrics"]["http_req_connecting"]["max"], 0.0)

    def test_a_server_that_never_accepts_bounds_it_and_says_so(self):
        with NeverAccepting() as env:
            started = time.monotonic()
            code, _, err, s = run_with_export([INFERLOAD, "run", "--io", IO, "--rate", "4", "-d", "1s", "--timeout", "1s",
                                               "--pre-allocated-vus", "40", "--preconnect"], env, timeout=60)
            took = time.monotonic() - started
        self.assertEqual(code, 0, err)
        m = re.search(r"--preconnect opened (\d+) of 40 VUs' connections before the start", err)
        self.assertIsNotNone(m, err)
        self.assertLess(int(m.group(1)), 40)
        # One --timeout for the handshakes (40 at once), then the 1 s run and its last timeouts.
        self.assertLess(took, 8.0)
        self.assertEqual(count(s, "iterations"), 4)
        self.assertEqual(count(s, "http_reqs"), 4)

    def test_a_stop_while_preconnecting_ends_the_run_before_it_begins(self):
        with NeverAccepting() as env:
            proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, "--rate", "4", "-d", "5s", "--timeout", "20s",
                                     "--pre-allocated-vus", "40", "--preconnect", "--no-color"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            out, err = proc.communicate(timeout=30)
            took = time.monotonic() - started
        self.assertLess(took, 2.0, "the handshakes in flight were given up at once")
        self.assertEqual(proc.returncode, 105, err)
        self.assertIn("0 complete and 0 interrupted iterations", out)
        self.assertNotIn("--preconnect opened", err, "a stopped run is not short of connections")


class Dropped(unittest.TestCase):
    def test_too_few_vus_drop_iterations_and_nothing_is_lost(self):
        # Two VUs of a 20 ms server manage about 100 iterations a second out of 500.
        with Sim(SCV2_SIM, "--latency", "20ms", "--threads", "2") as sim:
            code, out, err, s = run(sim, "--rate", "500", "-d", "2s", "--pre-allocated-vus", "1", "--max-vus", "2")
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        dropped = count(s, "dropped_iterations")
        self.assertGreater(dropped, 500)
        self.assertEqual(count(s, "iterations") + dropped, 1000)
        self.assertEqual(count(s, "http_reqs"), served)
        self.assertEqual(s["metrics"]["vus_max"]["max"], 2)


class OptionsFile(unittest.TestCase):
    def test_two_scenarios_run_together_tagged_apart(self):
        options = {
            "scenarios": {
                "paced": {"executor": "constant-arrival-rate", "rate": 100, "timeUnit": "1s", "duration": "3s",
                          "preAllocatedVUs": 2, "maxVUs": 20},
                "looping": {"executor": "per-vu-iterations", "vus": 2, "iterations": 50, "startTime": "1s"},
            },
            "thresholds": {"http_reqs{scenario:paced}": ["count>=300"], "http_reqs{scenario:looping}": []},
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(options, f)
        try:
            with Sim(SCV2_SIM) as sim:
                code, out, err, s = run(sim, "--config", f.name)
                served = sim.stats()["rest_infer"]
        finally:
            os.unlink(f.name)
        self.assertEqual(code, 0, err)
        m = s["metrics"]
        self.assertEqual(m["http_reqs{scenario:paced}"]["count"], 300)
        self.assertEqual(m["http_reqs{scenario:looping}"]["count"], 100)
        self.assertEqual(count(s, "http_reqs"), 400)
        self.assertEqual(served, 400)
        self.assertIn("2 scenarios", out)
        self.assertIn("* looping: 50 iterations for each of 2 VUs", out)
        self.assertIn("startTime: 1s, gracefulStop: 30s)", out)


class DriverOverload(unittest.TestCase):
    def test_lateness_above_the_bound_is_reported_and_can_fail_the_run(self):
        # No start is ever exact to the nanosecond: a 1 ns bound is always exceeded.
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim, "--rate", "50", "-d", "1s", "--pre-allocated-vus", "2", "--max-lateness", "1ns")
            self.assertEqual(code, 0, err)
            self.assertTrue(s["inferload"]["driver_overloaded"])
            self.assertIn("schedule_lateness p(99)=", s["inferload"]["driver_overload"][0])
            self.assertIn("driver_overloaded", out)
            code, out, err, s = run(sim, "--rate", "50", "-d", "1s", "--pre-allocated-vus", "2", "--max-lateness", "1ns",
                                    "--fail-on-driver-overload")
            self.assertEqual(code, 110, err)
            self.assertIn("--fail-on-driver-overload", err)
            code, out, err, s = run(sim, "--rate", "50", "-d", "1s", "--pre-allocated-vus", "2", "--max-lateness", "200ms",
                                    "--fail-on-driver-overload")
            self.assertEqual(code, 0, err)
            self.assertFalse(s["inferload"]["driver_overloaded"], s["inferload"]["driver_overload"])


class BadOptions(unittest.TestCase):
    def check(self, args, words, code=104):
        with Sim(SCV2_SIM) as sim:
            rc, _, err, _ = run(sim, *args)
        self.assertEqual(rc, code, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        for w in words:
            self.assertIn(w, err)

    def test_rate_without_duration_or_stages(self):
        self.check(["--rate", "10"], ["--rate", "-d", "-s"])

    def test_rate_with_iterations(self):
        self.check(["--rate", "10", "-i", "5", "-d", "2s"], ["--rate", "iterations"])

    def test_max_vus_below_pre_allocated(self):
        self.check(["--rate", "10", "-d", "2s", "--pre-allocated-vus", "5", "--max-vus", "2"], ["maxVUs", "preAllocatedVUs"])

    def test_max_vus_without_rate(self):
        self.check(["-d", "2s", "--max-vus", "2"], ["--max-vus", "--rate"])

    def test_bad_stage(self):
        self.check(["-s", "10s"], ["--stage", "DURATION:TARGET"])


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
