"""A test split across processes (docs/distributed.md), end to end against scv2-sim: three
inferload processes running the thirds 0:1/3, 1/3:2/3 and 2/3:1 of one sequence send the server
exactly what one unsplit process sends, for shared-iterations, per-vu-iterations and
constant-arrival-rate, each third with k6's share; an Indexed Job's JOB_COMPLETION_INDEX with
--parallelism derives the same thirds and --start-at starts them together; the first segment
alone loads and unloads the models, the others wait at its ready file, and it waits for their
load to end before it unloads; `inferload merge` of the thirds' exports counts what the whole
test counts and holds, bucket for bucket, the histogram of every sample the thirds wrote.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import datetime
import json
import os
import re
import shutil
import signal
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

THIRDS = "0,1/3,2/3,1"
SEGMENTS = ["0:1/3", "1/3:2/3", "2/3:1"]
# What the split runs must not inherit from the environment the tests run in.
OWN_VARIABLES = ("JOB_COMPLETION_INDEX", "INFERLOAD_", "K6_", "SKIP_", "SCHEDULER_", "MODEL", "MAX_NUM", "INFER_")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    env.update(extra)
    return env


def data_plane_env(sim, **extra):
    """The models exist already (the simulator serves any name): no setup."""
    return clean_env(SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ITERATIONS="0",
                     MODEL_TYPE="tfsimple,iris", MAX_NUM_MODELS="3,2", **extra)


class Run:
    """One inferload process, started at once, with its own summary export."""

    def __init__(self, workdir, name, args, env):
        self.export = os.path.join(workdir, name + ".json")
        self.proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, "--summary-export", self.export, *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        summary = None
        if os.path.exists(self.export):
            with open(self.export) as f:
                summary = json.load(f)
        return self.proc.returncode, out, err, summary


def iterations(summary):
    m = summary["metrics"].get("iterations")
    return m["count"] if m else 0


def started_at(err):
    """The instant of 'inferload: load started at 2025-06-01T12:00:00.1234567+02:00' (RFC 3339 with up
    to nine digits of fraction), as Unix seconds."""
    m = re.search(r"load started at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", err)
    if not m:
        raise AssertionError(f"no start line in: {err!r}")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    whole = datetime.datetime.fromisoformat(m.group(1) + zone)
    return whole.timestamp() + int((m.group(2) or "").ljust(9, "0")) / 1e9


class SplitTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="inferload-split-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_together(self, runs):
        """Starts every (name, args, env) at once and waits for all of them."""
        started = [Run(self.dir, name, args, env) for name, args, env in runs]
        return [r.finish() for r in started]

    def served_by(self, sim, runs):
        """The server's count of inferences during `runs`, and the runs' results."""
        before = sim.stats()["rest_infer"]
        results = self.run_together(runs)
        for code, out, err, s in results:
            self.assertEqual(code, 0, err)
        return sim.stats()["rest_infer"] - before, results

    def assert_split_equals_whole(self, args, whole_iterations, shares, env_extra=None):
        with Sim(SCV2_SIM) as sim:
            env = data_plane_env(sim, **(env_extra or {}))
            whole, [(_, _, _, s)] = self.served_by(sim, [("whole", args, env)])
            self.assertEqual(iterations(s), whole_iterations)
            self.assertEqual(whole, whole_iterations, "one inference per iteration")
            split, results = self.served_by(sim, [
                (f"seg{i}", [*args, "--execution-segment", seg, "--execution-segment-sequence", THIRDS], env)
                for i, seg in enumerate(SEGMENTS)])
        self.assertEqual(split, whole, "the thirds together sent what the whole test sent")
        self.assertEqual([iterations(s) for _, _, _, s in results], shares)
        for _, out, _, s in results:
            self.assertIn("scenarios: (33.33%)", out)
            self.assertEqual(s["inferload"]["requests"]["failed"], 0)
            self.assertNotIn("dropped_iterations", s["metrics"])
        return results


class Thirds(SplitTest):
    def test_shared_iterations_split_vus_and_iterations_as_k6(self):
        # 5 VUs are 2, 2, 1; the 90 iterations follow the VUs' sequence 0,2/5,4/5,1: 36, 36, 18.
        results = self.assert_split_equals_whole(["-u", "5", "-i", "90"], 90, [36, 36, 18])
        self.assertEqual([s["metrics"]["vus_max"]["max"] for _, _, _, s in results], [2, 2, 1])
        self.assertIn("36 iterations shared among 2 VUs", results[0][1])
        # The last progress block counts the segment's own iterations.
        self.assertRegex(results[2][1], r"default \S+ \[ 100% \] 1 VUs .* 18/18 shared iters")

    def test_per_vu_iterations_give_each_third_its_vus_with_every_iteration(self):
        options = os.path.join(self.dir, "options.json")
        with open(options, "w") as f:
            json.dump({"scenarios": {"each": {"executor": "per-vu-iterations", "vus": 5, "iterations": 6}}}, f)
        results = self.assert_split_equals_whole(["--config", options], 30, [12, 12, 6])
        self.assertIn("6 iterations for each of 1 VUs", results[2][1])

    def test_constant_arrival_rate_splits_the_schedule_by_max_vus(self):
        # 40 iterations due in 1 s; maxVUs 10 are 4, 3, 3, and so are the thirds' shares of every 10.
        results = self.assert_split_equals_whole(["--rate", "40", "-d", "1s", "--pre-allocated-vus", "10"], 40,
                                                 [16, 12, 12])
        self.assertIn("16.00 iterations/s for 1s", results[0][1])

    def test_merging_the_thirds_exports_gives_the_whole_count_and_the_histogram_of_every_sample(self):
        import collections
        import merge_test  # its histogram layout, bucket list decoding and CSV reading
        per_vu = os.path.join(self.dir, "per-vu.json")
        with open(per_vu, "w") as f:
            json.dump({"scenarios": {"default": {"executor": "per-vu-iterations", "vus": 5, "iterations": 6}}}, f)
        for executor, args, whole in (("shared-iterations", ["-u", "5", "-i", "90"], 90),
                                      ("per-vu-iterations", ["--config", per_vu], 30),
                                      ("constant-arrival-rate", ["--rate", "40", "-d", "1s", "--pre-allocated-vus", "10"],
                                       40)):
            with self.subTest(executor=executor), Sim(SCV2_SIM) as sim:
                env = data_plane_env(sim)
                csvs = [os.path.join(self.dir, f"{executor}-{i}.csv") for i in range(3)]
                served, results = self.served_by(sim, [
                    (f"{executor}-{i}", [*args, "--execution-segment", seg, "--execution-segment-sequence", THIRDS,
                                         "--out", f"csv={csvs[i]}"], env)
                    for i, seg in enumerate(SEGMENTS)])
                self.assertEqual(served, whole)
                merged_path = os.path.join(self.dir, f"{executor}-merged.json")
                p = subprocess.run([INFERLOAD, "merge", *[os.path.join(self.dir, f"{executor}-{i}.json")
                                                         for i in range(3)], "--summary-export", merged_path],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(merged_path) as f:
                    merged = json.load(f)
                self.assertEqual(iterations(merged), whole)
                self.assertEqual(merged["metrics"]["http_reqs"]["count"], served)
                exact = merge_test.exact_metrics(merged)
                samples = collections.defaultdict(list)
                for path in csvs:
                    for name, values in merge_test.csv_samples(path).items():
                        samples[name].extend(values)
                for name in ("http_req_duration", "iteration_duration"):
                    h = exact[name]["histogram"]
                    values = [merge_test.ns(v) for v in samples[name]]
                    self.assertEqual(len(values), whole, name)
                    self.assertEqual(h["count"], len(values), name)
                    self.assertEqual(merge_test.decode(h["buckets"]),
                                     dict(collections.Counter(merge_test.bucket_of(v) for v in values)), name)
                    self.assertEqual((h["min"], h["max"], int(h["sum"])), (min(values), max(values), sum(values)), name)

    def test_the_options_file_keys_choose_the_segment(self):
        with Sim(SCV2_SIM) as sim:
            options = os.path.join(self.dir, "options.json")
            with open(options, "w") as f:
                json.dump({"executionSegment": "2/3:1", "executionSegmentSequence": THIRDS}, f)
            served, [(_, out, _, s)] = self.served_by(sim, [("third", ["-u", "5", "-i", "90", "--config", options],
                                                                data_plane_env(sim))])
        self.assertEqual((served, iterations(s)), (18, 18))
        self.assertIn("segment: 2/3:1 of the sequence 0,1/3,2/3,1", out)


class IndexedJob(SplitTest):
    def test_the_job_index_derives_the_thirds_and_start_at_starts_them_together(self):
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
        start_text = start.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with Sim(SCV2_SIM) as sim:
            runs = []
            for i in range(3):
                # The flag in one pod, the variable in the others, as a manifest may set either.
                parallelism = ["--parallelism", "3"] if i == 0 else []
                env = data_plane_env(sim, JOB_COMPLETION_INDEX=str(i), INFERLOAD_START_AT=start_text)
                if i:
                    env["INFERLOAD_PARALLELISM"] = "3"
                runs.append((f"pod{i}", ["-u", "5", "-i", "90", *parallelism], env))
            served, results = self.served_by(sim, runs)
        self.assertEqual(served, 90)
        self.assertEqual([iterations(s) for _, _, _, s in results], [36, 36, 18])
        self.assertIn("segment: 1/3:2/3 of the sequence 0,1/3,2/3,1 (JOB_COMPLETION_INDEX=1 of INFERLOAD_PARALLELISM 3)",
                      results[1][1])
        starts = [started_at(err) for _, _, err, _ in results]
        for (_, _, err, _), t in zip(results, starts):
            self.assertNotIn("starts at once", err)
            # Never before the instant (a millisecond for the two clocks' readings).
            self.assertGreaterEqual(t, start.timestamp() - 0.001, err)
        # Each waited for the same instant; a generous bound for a busy machine's wake-ups.
        self.assertLess(max(starts) - min(starts), 1.0, starts)

    def test_a_start_time_already_past_starts_at_once_with_a_warning(self):
        with Sim(SCV2_SIM) as sim:
            served, [(_, _, err, s)] = self.served_by(
                sim, [("late", ["-u", "1", "-i", "3", "--start-at", "2000-01-01T00:00:00Z"], data_plane_env(sim))])
        self.assertEqual((served, iterations(s)), (3, 3))
        self.assertIn("warning: --start-at 20", err)
        self.assertIn("the load starts at once", err)


def registry_sim(*extra):
    return Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry", *extra)


def control_env(sim, **extra):
    """Setup loads four iris models through the simulator's scheduler; they are served only then."""
    return clean_env(INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ENDPOINT=sim.grpc, SCHEDULER_ENDPOINT=sim.scheduler,
                     INFER_GRPC_ITERATIONS="0", MODEL_TYPE="iris", MAX_NUM_MODELS="4", WARMUP="false", **extra)


class ReadyGate(SplitTest):
    def segment_args(self, i, *extra):
        return ["-u", "5", "-i", "90", "--execution-segment", SEGMENTS[i], "--execution-segment-sequence", THIRDS,
                "--ready-file", os.path.join(self.dir, "setup-done"), *extra]

    def test_the_first_segment_loads_and_unloads_once_and_the_others_keep_to_its_gates(self):
        with registry_sim("--load-delay", "300ms") as sim:
            env = control_env(sim)
            # The second third before the first: it must wait for the models, which no one has
            # loaded yet, instead of meeting 404s.
            second = Run(self.dir, "seg1", self.segment_args(1), env)
            first = Run(self.dir, "seg0", self.segment_args(0), env)
            results = {1: second.finish()}
            # The last third starts only once the second is over: the first must still be there,
            # waiting for it before unloading the models.
            self.assertIsNone(first.proc.poll(), "the first segment tore down before the last one had run")
            results[2] = Run(self.dir, "seg2", self.segment_args(2), env).finish()
            results[0] = first.finish()
            stats = sim.stats()
        for i in range(3):
            self.assertEqual(results[i][0], 0, results[i][2])
        summaries = [results[i][3] for i in range(3)]
        self.assertEqual([iterations(s) for s in summaries], [36, 36, 18])
        self.assertEqual(stats["rest_infer"], 90)
        self.assertEqual(stats["not_found"], 0, "every request found its model loaded")
        self.assertEqual(stats["loaded_models"], 0, "the first segment unloaded them at the end")
        self.assertEqual(summaries[0]["inferload"]["setup"]["models_ready"], 4)
        self.assertEqual(summaries[0]["inferload"]["teardown"]["models_unloaded"], 4)
        for s in summaries[1:]:
            self.assertNotIn("setup", s["inferload"])
            self.assertNotIn("teardown", s["inferload"])
        self.assertIn("setup and teardown in the first segment", results[1][1])

    def test_a_failed_setup_in_the_first_segment_stops_the_others(self):
        with registry_sim("--load-delay", "50ms", "--fail-model", "iris2") as sim:
            env = control_env(sim)
            waiting = Run(self.dir, "seg1", self.segment_args(1), env)
            code0, _, err0, _ = Run(self.dir, "seg0", self.segment_args(0), env).finish()
            code1, _, err1, s1 = waiting.finish()
            stats = sim.stats()
        self.assertEqual(code0, 107, err0)
        self.assertEqual(code1, 107, err1)
        self.assertIn("the first segment's setup did not complete", err1)
        self.assertIn("iris2", err1)
        self.assertEqual(iterations(s1), 0)
        self.assertEqual(stats["rest_infer"], 0)

    @unittest.skipIf(IO == "uring", "no load is sent: the epoll run covers it")
    def test_a_gate_that_never_opens_times_out_and_a_signal_ends_the_wait(self):
        gate = os.path.join(self.dir, "setup-done")
        with open(gate, "w") as f:
            f.write("inferload setup: ok\nkey: sequence 0,1/2,1\n")  # another split test's
        with registry_sim() as sim:
            env = control_env(sim)
            code, _, err, s = Run(self.dir, "late", self.segment_args(1, "--setup-timeout", "1s"), env).finish()
            self.assertEqual(code, 100, err)
            self.assertIn(f"--ready-file {gate} did not say the first segment's setup was done within 1s", err)
            self.assertEqual(iterations(s), 0)
            waiting = Run(self.dir, "stopped", self.segment_args(1), env)
            time.sleep(0.5)
            waiting.proc.send_signal(signal.SIGTERM)
            code, _, err, _ = waiting.finish()
            self.assertEqual(code, 105, err)
            self.assertIn("interrupted while waiting for the first segment's setup", err)
            self.assertEqual(sim.stats()["rest_infer"], 0)

    @unittest.skipIf(IO == "uring", "refused before any I/O: the epoll run covers it")
    def test_a_segment_that_cannot_know_when_setup_is_done_is_refused(self):
        with registry_sim() as sim:
            args = ["-u", "5", "-i", "90", "--execution-segment", "1/3:2/3", "--execution-segment-sequence", THIRDS]
            code, _, err, _ = Run(self.dir, "ungated", args, control_env(sim)).finish()
        self.assertEqual(code, 104, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("--execution-segment 1/3:2/3: only the first segment of a split test runs setup and teardown; "
                      "give this one --ready-file", err)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
