"""inferload at the limits of the machine: the open-file limit running out, and a server that
dies and refuses every connection from then on. Each run is bounded in time and memory, and
every request is accounted for exactly once.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll), and
INFERLOAD_SANITIZED=1 when the binary is built with AddressSanitizer (its shadow memory makes
resident-set sizes meaningless, so the memory bounds are not checked then).
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")
SANITIZED = os.environ.get("INFERLOAD_SANITIZED") == "1"


def start_inferload(url, args, nofile=None, model_type="iris", max_num_models=None, env_extra=None):
    """Starts `inferload run` with its summary export on a temp file; returns (process, path)."""
    fd, export = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=url, INFER_GRPC_ITERATIONS="0", MODEL_TYPE=model_type)
    env.update(env_extra or {})
    if max_num_models:
        env["MAX_NUM_MODELS"] = max_num_models

    def lower_limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, "-q", "--summary-export", export, *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=lower_limit)
    return proc, export


def finish(proc, export, timeout):
    """Waits for the run; returns (exit code, stderr, summary, max RSS in MB, wall seconds)."""
    t0 = time.time()
    while True:
        # wait4 rather than Popen.wait: it also gives the child's own maximum resident set size.
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if time.time() - t0 > timeout:
            proc.kill()
            proc.wait()
            raise AssertionError(f"inferload did not finish within {timeout} s")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read()
    with open(export) as f:
        summary = json.load(f)
    os.unlink(export)
    return proc.returncode, err, summary, usage.ru_maxrss / 1024.0, time.time() - t0


def resident_mb(pid):
    """The process's resident set now, in MB (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError(f"no VmRSS for process {pid}")


def accounted(req):
    return req["ok"] + req["failed"] + req["timed_out"] + req["interrupted"]


class OpenFileLimit(unittest.TestCase):
    def test_vus_beyond_the_open_file_limit_fail_and_back_off_while_the_others_run(self):
        # 400 VUs under a limit of 300 descriptors: about 100 VUs can never get a socket. Their
        # failures are counted and they back off; the other VUs of every worker keep running.
        with Sim(SCV2_SIM, "--threads", "2") as sim:
            proc, export = start_inferload(sim.url, ["-u", "400", "-d", "2s", "--timeout", "5s"], nofile=300)
            code, err, s, rss, wall = finish(proc, export, 60)
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        self.assertIn("ulimit -n", err)  # the warning at start names the limit and the fix
        req = s["inferload"]["requests"]
        self.assertEqual(req["issued"], accounted(req))
        self.assertGreater(req["ok"], 1000, req)
        self.assertEqual(req["ok"], served)
        self.assertGreater(req["failed"], 0, req)
        failures = {f["error_code"]: f["count"] for f in s["inferload"]["failures"]}
        self.assertEqual(failures, {1213: req["failed"]})
        # With a backoff of 10 ms doubling to 1 s, ~100 starved VUs fail at most ~8 times each in
        # 2 s; a VU retrying at once would fail millions of times.
        self.assertLess(req["failed"], 100 * 12, req)
        self.assertLess(wall, 30)
        if not SANITIZED:
            self.assertLess(rss, 60, "MB")


    def test_grpc_connections_beyond_the_open_file_limit_fail_and_back_off(self):
        # The same with gRPC, one connection per iteration (as the k6 scripts open them): a call
        # whose connection gets no socket fails as UNAVAILABLE and its VU backs off.
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            proc, export = start_inferload(sim.url, ["-u", "400", "-d", "2s", "--grpc-connection=per-iteration"],
                                           nofile=300, env_extra={"INFER_HTTP_ITERATIONS": "0",
                                                                  "INFER_GRPC_ITERATIONS": "1",
                                                                  "INFER_GRPC_ENDPOINT": sim.grpc})
            code, err, s, rss, wall = finish(proc, export, 60)
            served = sim.stats()["grpc_infer_ok"]
        self.assertEqual(code, 0, err)
        req = s["inferload"]["requests"]
        self.assertEqual(req["issued"], accounted(req))
        self.assertGreater(req["ok"], 500, req)
        self.assertEqual(req["ok"], served)
        self.assertGreater(req["failed"], 0, req)
        self.assertEqual({f["status"] for f in s["inferload"]["failures"]}, {14}, s["inferload"]["failures"])
        self.assertEqual(sum(f["count"] for f in s["inferload"]["failures"]), req["failed"] + req["timed_out"])
        # Connections come and go, so which VUs are starved changes and a VU's backoff starts over
        # after each call it makes: a few times more failures than above, never a retry loop's millions.
        self.assertLess(req["failed"], 100 * 12 * 4, req)
        self.assertLess(wall, 30)


class RefusedConnections(unittest.TestCase):
    def test_memory_stays_bounded_while_every_connect_is_refused(self):
        sim = Sim(SCV2_SIM)
        proc, export = start_inferload(sim.url, ["-u", "200", "-d", "5s", "--timeout", "2s"])
        time.sleep(1.0)
        sim.kill()
        # The resident set once the refusals are under way, and again 2.5 s (some 10^5 refusals)
        # later: a cost per refused connect of even a few bytes would show as growth in between.
        time.sleep(1.0)
        rss_early = resident_mb(proc.pid)
        time.sleep(2.5)
        rss_late = resident_mb(proc.pid)
        code, err, s, rss, wall = finish(proc, export, 60)
        self.assertEqual(code, 0, err)
        req = s["inferload"]["requests"]
        self.assertEqual(req["issued"], accounted(req))
        self.assertGreater(req["failed"], 1000, req)  # refusals are counted as they happen
        self.assertLess(wall, 30)
        if not SANITIZED:
            self.assertLess(rss_late - rss_early, 2, f"MB grown from {rss_early:.1f} MB while refusals went on "
                                                     f"({req['failed']} in all)")
            self.assertLess(rss, 60, "MB")


class ManyModels(unittest.TestCase):
    def test_a_million_models_per_type_cost_nothing_per_model(self):
        # Requests for types with many models are encoded when picked: the start-up does no
        # per-model work and holds no per-model memory.
        with Sim(SCV2_SIM) as sim:
            proc, export = start_inferload(sim.url, ["-u", "4", "-i", "400"], model_type="tfsimple,iris",
                                           max_num_models="1000000,1000000")
            code, err, s, rss, wall = finish(proc, export, 60)
            st = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(st["rest_infer_ok"], 400)
        self.assertEqual(s["inferload"]["requests"]["ok"], 400)
        self.assertLess(wall, 30)
        if not SANITIZED:
            self.assertLess(rss, 400, "MB")

    def test_more_models_than_the_maximum_is_a_one_line_error(self):
        proc, export = start_inferload("http://127.0.0.1:1", ["-i", "1"], max_num_models="100000001")
        proc.wait()
        err = proc.stderr.read()
        os.path.exists(export) and os.unlink(export)
        self.assertEqual(proc.returncode, 104, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("MAX_NUM_MODELS", err)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
