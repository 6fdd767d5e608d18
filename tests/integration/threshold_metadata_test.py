"""--threshold and --metadata end to end against scv2-sim.

--threshold: a threshold from the command line fails (exit 99, ✗ in the summary, true in the
export) or holds (exit 0) like one from the script or an options file, is added to theirs, and a
bad one stops the run before any request (exit 104, one line naming the flag and its value).

--metadata: k6wrapper.sh's results/metadata.txt line by line (with the pod's name and namespace),
secrets redacted, complete after a normal run, a SIGTERM (exit 105), a failed setup and an
unreachable target (exit 107); a file that cannot be written is exit 255 before any request.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend, run_with_export, wait_for  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

# `date`'s default format: the day of the month is padded with a space.
DATE = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d UTC \d{4}")
LINES = ["start", "end", "args", "envs", "metadata", "pod", "namespace", "inferload", "io_backend"]


def suite_env(sim, extra=None):
    """A small environment of our own, so that the envs: line can be compared in full."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC", "SKIP_LOAD_MODEL": "1",
           "INFER_HTTP_ENDPOINT": sim.url, "INFER_GRPC_ITERATIONS": "0", "MODEL_TYPE": "iris"}
    env.update(extra or {})
    return env


def run(sim, *args, env=None):
    return run_with_export([INFERLOAD, "run", "--io", IO, *args], suite_env(sim, env))


def thresholds(summary, metric):
    return summary["metrics"][metric]["thresholds"]


def read_metadata(path):
    """The file's lines as (key, value) pairs, split at the first ':'."""
    with open(path) as f:
        text = f.read()
    assert text.endswith("\n"), text
    return [tuple(line.split(":", 1)) for line in text.splitlines()]


def wrapper_date(text):
    """Seconds since the epoch of a `date` line (TZ=UTC)."""
    assert DATE.fullmatch(text), text
    return time.mktime(time.strptime(text, "%a %b %d %H:%M:%S UTC %Y")) - time.timezone


def version():
    out = subprocess.run([INFERLOAD, "version"], stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.splitlines()[0].split()[1]


class ThresholdFlag(unittest.TestCase):
    def test_a_crossed_threshold_exits_99_marked_in_summary_and_export(self):
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim, "-u", "1", "-d", "1s", "--threshold", "http_req_duration: p(95)<0.0001")
        self.assertEqual(code, 99, err)
        self.assertRegex(out, r"\n    http_req_duration\n    \u2717 'p\(95\)<0.0001' p\(95\)=\S+")
        self.assertEqual(thresholds(s, "http_req_duration"), {"p(95)<0.0001": True})
        self.assertGreater(s["metrics"]["http_reqs"]["count"], 0)

    def test_thresholds_that_hold_exit_0_beside_the_scripts_own(self):
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim, "-u", "1", "-d", "1s",
                                    "--threshold", "http_req_duration: p(95)<60000",
                                    "--threshold", "http_reqs{scenario:default}: count>0",
                                    "--threshold", "http_req_duration: max<60000")
        self.assertEqual(code, 0, err)
        self.assertIn("\u2713 'p(95)<60000'", out)
        self.assertIn("\u2713 'count>0'", out)
        self.assertNotIn("\u2717", out)
        # Two flags on one metric: its expressions, in order.
        self.assertEqual(list(thresholds(s, "http_req_duration").items()), [("p(95)<60000", False), ("max<60000", False)])
        self.assertEqual(thresholds(s, "http_reqs{scenario:default}"), {"count>0": False})
        # The script's own thresholds are still there.
        self.assertEqual(thresholds(s, "http_req_duration{scenario:default}"), {"max>=0": False})

    def test_flags_add_to_the_options_files_thresholds(self):
        with tempfile.TemporaryDirectory() as tmp:
            options = os.path.join(tmp, "options.json")
            with open(options, "w") as f:
                json.dump({"thresholds": {"http_req_duration": ["avg<60000"]}}, f)
            with Sim(SCV2_SIM) as sim:
                code, out, err, s = run(sim, "-u", "1", "-d", "1s", "--config", options,
                                        "--threshold", "http_req_duration: p(95)<0.0001")
        self.assertEqual(code, 99, err)
        self.assertEqual(list(thresholds(s, "http_req_duration").items()), [("avg<60000", False), ("p(95)<0.0001", True)])
        self.assertIn("\u2713 'avg<60000'", out)
        self.assertIn("\u2717 'p(95)<0.0001'", out)

    def test_a_bad_threshold_is_one_line_and_104_before_any_request(self):
        cases = [
            ("http_req_durations: p(95)<500", "unknown metric 'http_req_durations'"),
            ("http_req_duration: p(95)<fast", "'fast' is not a number"),
            ("http_req_duration: count>1", "unsupported aggregation method 'count' for a trend metric"),
            ("http_req_duration p(95)<500", "expected METRIC: EXPRESSION"),
            ("http_reqs{scenario}: count>1", "malformed selector '{scenario}'"),
        ]
        with Sim(SCV2_SIM) as sim:
            for value, why in cases:
                with self.subTest(value=value):
                    code, _, err, s = run(sim, "-u", "1", "-d", "1s", "--threshold", value)
                    self.assertEqual(code, 104, err)
                    lines = err.strip().splitlines()
                    self.assertEqual(len(lines), 1, err)
                    self.assertTrue(lines[0].startswith(f'inferload: --threshold "{value}": '), err)
                    self.assertIn(why, err)
                    self.assertIsNone(s)
            self.assertEqual(sim.stats()["rest_infer"], 0)


class Metadata(unittest.TestCase):
    def assert_complete(self, path, args, env, header):
        """Every line of the file, in the wrapper's order, then ours."""
        lines = read_metadata(path)
        self.assertEqual([k for k, _ in lines], LINES, lines)
        v = dict(lines)
        start, end = wrapper_date(v["start"]), wrapper_date(v["end"])
        self.assertLessEqual(start, end)
        self.assertEqual(v["args"], " ".join(["run", "--io", IO, *args]))
        shown = " ".join(f"{k}={'<redacted>' if k == 'MY_API_TOKEN' else val}" for k, val in env.items())
        self.assertEqual(v["envs"], shown)
        self.assertIn("MY_API_TOKEN=<redacted>", v["envs"])
        with open(path) as f:
            self.assertNotIn("abc", f.read())
        self.assertEqual(v["metadata"], env.get("TEST_METADATA", ""))
        # The Kubernetes downward API's variables, empty outside a pod.
        self.assertEqual(v["pod"], env.get("POD_NAME", ""))
        self.assertEqual(v["namespace"], env.get("NAMESPACE", ""))
        self.assertEqual(v["inferload"], version())
        self.assertTrue(v["io_backend"].startswith("io_uring (" if IO == "uring" else "epoll ("), v["io_backend"])
        if header is not None:
            # The backend as the header describes it.
            m = re.search(r"     inferload: [^,]+, (.+), \d+ workers?\n", header)
            self.assertIsNotNone(m, header)
            self.assertEqual(v["io_backend"], m.group(1))
        return start, end

    def test_every_line_after_a_run_with_a_secret_redacted(self):
        with tempfile.TemporaryDirectory() as tmp, Sim(SCV2_SIM) as sim:
            path = os.path.join(tmp, "results", "metadata.txt")
            args = ["-u", "1", "-d", "1s", "--metadata", path, "--threshold", "http_reqs: count>0"]
            env = suite_env(sim, {"MY_API_TOKEN": "abc", "TEST_METADATA": "envoy_rest_42",
                                  "POD_NAME": "envoy-inferload-x7k2p", "NAMESPACE": "seldon-mesh"})
            before = time.time()
            p = subprocess.run([INFERLOAD, "run", "--io", IO, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
            after = time.time()
            self.assertEqual(p.returncode, 0, p.stderr)
            start, end = self.assert_complete(path, args, env, p.stdout)
        # The run's 1 s lies between the two lines (dates have whole seconds).
        self.assertGreaterEqual(start, int(before))
        self.assertLessEqual(end, after)
        self.assertGreaterEqual(end - start, 1)

    def test_inferload_metadata_names_the_file_when_the_flag_does_not(self):
        with tempfile.TemporaryDirectory() as tmp, Sim(SCV2_SIM) as sim:
            path = os.path.join(tmp, "metadata.txt")
            args = ["-u", "1", "-i", "5", "-q"]
            env = suite_env(sim, {"INFERLOAD_METADATA": path, "MY_API_TOKEN": "abc"})
            p = subprocess.run([INFERLOAD, "run", "--io", IO, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assert_complete(path, args, env, None)

    def test_a_sigterm_mid_run_still_leaves_the_end_lines(self):
        with tempfile.TemporaryDirectory() as tmp, Sim(SCV2_SIM) as sim:
            path = os.path.join(tmp, "metadata.txt")
            args = ["-u", "2", "-d", "30s", "--metadata", path]
            env = suite_env(sim, {"MY_API_TOKEN": "abc", "TEST_METADATA": "stopped"})
            proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, *args], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                wait_for("requests served", lambda: sim.stats()["rest_infer"] > 100, timeout=20)
                with open(path) as f:
                    self.assertEqual([line.split(":", 1)[0] for line in f.read().splitlines()], ["start"])
                started = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self.assertLess(time.monotonic() - started, 10)
            self.assertEqual(proc.returncode, 105, err)
            self.assertIn("'terminated' signal", err)
            self.assert_complete(path, args, env, out)

    def test_a_failed_setup_still_leaves_the_end_lines(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "metadata.txt")
            with Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry",
                     "--fail-model", "iris0") as sim:
                args = ["-u", "1", "-i", "5", "--metadata", path]
                env = suite_env(sim, {"INFER_GRPC_ENDPOINT": sim.grpc, "SCHEDULER_ENDPOINT": sim.scheduler,
                                      "WARMUP": "false", "MY_API_TOKEN": "abc"})
                del env["SKIP_LOAD_MODEL"]
                p = subprocess.run([INFERLOAD, "run", "--io", IO, *args], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=120)
                served = sim.stats()["rest_infer"]
            self.assertEqual(p.returncode, 107, p.stderr)
            self.assertIn("setup failed", p.stderr)
            self.assertEqual(served, 0)
            self.assert_complete(path, args, env, p.stdout)

    def test_an_unreachable_target_still_leaves_the_end_lines(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "metadata.txt")
            with Sim(SCV2_SIM) as sim:
                env = suite_env(sim, {"MY_API_TOKEN": "abc"})
            # The simulator is gone: nothing listens on its port any more.
            args = ["-u", "1", "-d", "1s", "--metadata", path]
            p = subprocess.run([INFERLOAD, "run", "--io", IO, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
            self.assertEqual(p.returncode, 107, p.stderr)
            self.assertIn("is unreachable", p.stderr)
            self.assert_complete(path, args, env, None)

    def test_a_file_that_cannot_be_written_is_255_before_any_request(self):
        with Sim(SCV2_SIM) as sim:
            env = suite_env(sim)
            p = subprocess.run([INFERLOAD, "run", "--io", IO, "-u", "1", "-d", "1s", "--metadata", "/dev/full"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
            served = sim.stats()["rest_infer"]
        self.assertEqual(p.returncode, 255, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines(),
                         ['inferload: --metadata "/dev/full": cannot write: No space left on device'])
        self.assertEqual(served, 0)


class AbortOnFail(unittest.TestCase):
    """An options file's {"threshold": ..., "abortOnFail": true, "delayAbortEval": ...}: checked
    every 2 s while the run goes on; a failure stops every scenario at once and exits 99."""

    def run_with_file(self, sim, thresholds, *args):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"thresholds": thresholds}, f)
        self.addCleanup(os.unlink, f.name)
        started = time.monotonic()
        result = run(sim, "--config", f.name, *args)
        return result, time.monotonic() - started

    def test_a_failing_rate_stops_the_run_at_the_next_check(self):
        with Sim(SCV2_SIM, "--error-rate", "0.5") as sim:
            (code, out, err, s), took = self.run_with_file(
                sim, {"http_req_failed": [{"threshold": "rate<0.01", "abortOnFail": True}]}, "-u", "2", "-d", "60s")
        self.assertEqual(code, 99, err)
        self.assertLess(took, 15, "stopped within a few seconds, not after 60")
        self.assertIn("inferload: thresholds on metrics 'http_req_failed' were crossed; at least one has abortOnFail "
                      "enabled, stopping test prematurely", err)
        self.assertEqual(thresholds(s, "http_req_failed"), {"rate<0.01": True})

    def test_delay_abort_eval_waits_and_a_passing_one_never_aborts(self):
        with Sim(SCV2_SIM, "--error-rate", "0.5") as sim:
            (code, _, err, s), took = self.run_with_file(
                sim, {"http_req_failed": [{"threshold": "rate<0.01", "abortOnFail": True, "delayAbortEval": "5s"}]},
                "-u", "2", "-d", "60s")
            self.assertEqual(code, 99, err)
            self.assertGreaterEqual(took, 5, "not before delayAbortEval")
            self.assertLess(took, 20)
            # The same rule on a metric that holds: the run goes its whole length, and exits 0.
            (code, _, err, s), took = self.run_with_file(
                sim, {"http_req_duration{scenario:default}": [{"threshold": "p(95)<60000", "abortOnFail": True}]},
                "-u", "2", "-d", "3s")
        self.assertEqual(code, 0, err)
        self.assertGreaterEqual(took, 3)
        self.assertNotIn("abortOnFail enabled", err)

    def test_the_json_output_writes_an_abort_threshold_as_k6_does(self):
        path = os.path.join(tempfile.mkdtemp(prefix="inferload-abort-"), "out.json")
        with Sim(SCV2_SIM) as sim:
            (code, _, err, _), _ = self.run_with_file(
                sim, {"http_req_failed": ["rate<0.5", {"threshold": "rate<0.9", "abortOnFail": True,
                                                          "delayAbortEval": "10s"}]},
                "-i", "3", "--out", f"json={path}")
        self.assertEqual(code, 0, err)
        with open(path) as f:
            described = [json.loads(line) for line in f if '"type":"Metric"' in line and '"http_req_failed"' in line]
        self.assertEqual(described[0]["data"]["thresholds"],
                         ["rate<0.5", {"threshold": "rate<0.9", "abortOnFail": True, "delayAbortEval": "10s"}])


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
