"""inferload merge end to end: three runs of one test (of different sizes, the first with setup)
against one scv2-sim, each with --summary-export and --out csv, then merged.

The merged export must be the sum of the three: counts, checks and request fates exactly; each
trend's histogram bucket for bucket both the sum of the three exports' histograms (decoded here,
independently of inferload) and the histogram of every sample of the three CSV files (each value
mapped to its bucket here); its percentiles, average, min and max those of that histogram with
k6's definitions; counter rates over the union of the three time spans. Thresholds are evaluated
again: one that fails alone passes merged and one that passes alone fails merged, with the exit
codes to match. Exports of other tests, k6's own and files that are not exports are refused.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import collections
import csv
import decimal
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

# docs/outputs.md, "Merging exports": the layout of metrics::Histogram.
LAYOUT = "log-linear/2048/3600000000000"
HIGHEST = 3_600_000_000_000
THRESHOLDS = ["iterations: count>150", "iterations: count<350", "http_req_duration{scenario:default}: p(99)<60000"]
SIZES = [("300", "2"), ("100", "1"), ("200", "3")]  # -i, -u of each run
TRENDS = ("http_req_duration", "grpc_req_duration", "iteration_duration", "http_req_waiting")


def bucket_of(ns):
    v = min(max(ns, 0), HIGHEST)
    b = max(0, (v | 2047).bit_length() - 11)
    return ((b + 1) << 10) + (v >> b) - 1024


def bucket_range(index):
    b = (index >> 10) - 1
    sub = (index & 1023) + 1024
    if b < 0:
        sub -= 1024
        b = 0
    return sub << b, 1 << b


def decode(text):
    """The export's bucket list: 'gap[:count]' items, gap counted from the previous index + 1."""
    out = {}
    nxt = 0
    for item in text.split(",") if text else []:
        gap, _, count = item.partition(":")
        index = nxt + int(gap)
        out[index] = int(count) if count else 1
        nxt = index + 1
    return out


def percentile(buckets, count, lo_value, hi_value, p):
    """k6's percentile over the histogram: closest ranks interpolated, each rank its bucket's
    midpoint kept within [min, max]."""
    ordered = sorted(buckets.items())

    def at(rank):
        if rank == 0:
            return float(lo_value)
        if rank >= count - 1:
            return float(hi_value)
        seen = 0
        for index, n in ordered:
            seen += n
            if seen > rank:
                lowest, width = bucket_range(index)
                return min(max(lowest + (width - 1) / 2.0, float(lo_value)), float(hi_value))
        return float(hi_value)

    x = p / 100.0 * (count - 1)
    lo, hi = math.floor(x), math.ceil(x)
    v = at(lo)
    return v if lo == hi else v + (at(hi) - v) * (x - lo)


def csv_samples(path):
    """Every sample of the CSV output, in integer nanoseconds for the trends, by metric; setup's
    and teardown's (no scenario tag, as k6 writes them) are not in the summary's metrics."""
    out = collections.defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["group"] in ("::setup", "::teardown"):
                continue
            out[row["metric_name"]].append(row["metric_value"])
    return out


def ns(ms_text):
    return int(decimal.Decimal(ms_text) * 1_000_000)


def exact_metrics(export):
    return {m["name"]: m for m in export["inferload"]["metrics"]}


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="inferload-merge-")
        cls.sim = Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry")
        try:
            cls.runs = []
            for n, (iterations, vus) in enumerate(SIZES):
                # The first part loads the models and leaves them, as a distributed test's first
                # segment does; the others find them loaded.
                env = {"SKIP_UNLOAD_MODEL": "1"} if n == 0 else {"SKIP_LOAD_MODEL": "1"}
                cls.runs.append(cls.run_part(f"part{n}", ["-i", iterations, "-u", vus], env))
        except BaseException:
            cls.sim.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def env(cls, extra):
        e = dict(os.environ, INFER_HTTP_ENDPOINT=cls.sim.url, INFER_GRPC_ENDPOINT=cls.sim.grpc,
                 SCHEDULER_ENDPOINT=cls.sim.scheduler, MODEL_TYPE="iris,tfsimple", MAX_NUM_MODELS="2,2",
                 WARMUP="false")
        e.update(extra)
        return e

    @classmethod
    def run_part(cls, name, args, env, thresholds=THRESHOLDS):
        export = os.path.join(cls.dir, name + ".json")
        samples = os.path.join(cls.dir, name + ".csv")
        cmd = [INFERLOAD, "run", "--io", IO, "--summary-export", export, "--out", f"csv={samples}", *args]
        for t in thresholds:
            cmd += ["--threshold", t]
        p = subprocess.run(cmd, env=cls.env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        if not os.path.exists(export):
            raise AssertionError(f"{name}: no export (exit {p.returncode}): {p.stderr}")
        with open(export) as f:
            return {"code": p.returncode, "err": p.stderr, "path": export, "export": json.load(f), "csv": samples}

    def merge(self, *files, out=None, expect=0):
        cmd = [INFERLOAD, "merge", *files]
        if out:
            cmd += ["--summary-export", out]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def merged(self, *runs, expect=0):
        out = os.path.join(self.dir, "merged.json")
        p = self.merge(*(r["path"] for r in runs), out=out, expect=expect)
        with open(out) as f:
            return json.load(f), p

    def test_each_part_ran_its_share(self):
        for run, (iterations, _), code in zip(self.runs, SIZES, (0, 99, 0)):
            self.assertEqual(run["code"], code, run["err"])
            self.assertEqual(run["export"]["metrics"]["iterations"]["count"], int(iterations))
            self.assertEqual(run["export"]["inferload"]["samples"]["rows_lost"], 0)
        self.assertIn("setup", self.runs[0]["export"]["inferload"])
        self.assertNotIn("setup", self.runs[1]["export"]["inferload"])

    def test_counts_add_up_exactly(self):
        merged, p = self.merged(*self.runs, expect=99)
        parts = [r["export"] for r in self.runs]
        for name in ("iterations", "http_reqs", "data_sent", "data_received"):
            self.assertEqual(merged["metrics"][name]["count"],
                             sum(e["metrics"][name]["count"] for e in parts if name in e["metrics"]), name)
        for name in ("checks", "http_req_failed"):
            for key in ("passes", "fails"):
                self.assertEqual(merged["metrics"][name][key], sum(e["metrics"][name][key] for e in parts), name)
        checks = merged["root_group"]["checks"]
        for check, c in checks.items():
            for key in ("passes", "fails"):
                self.assertEqual(c[key], sum(e["root_group"]["checks"].get(check, {key: 0})[key] for e in parts))
        il = merged["inferload"]
        for key in ("issued", "ok", "failed", "timed_out", "interrupted"):
            self.assertEqual(il["requests"][key], sum(e["inferload"]["requests"][key] for e in parts), key)
        statuses = collections.Counter()
        for e in parts:
            statuses.update(e["inferload"]["grpc"]["statuses"])
        self.assertEqual(il["grpc"]["statuses"], dict(statuses))
        self.assertEqual(il["workers"], sum(e["inferload"]["workers"] for e in parts))
        # Only the first part ran setup: its line is the merged one (its duration a JSON number
        # read back, which may come back a unit in the last place away).
        setup, own = dict(il["setup"]), dict(parts[0]["inferload"]["setup"])
        self.assertAlmostEqual(setup.pop("duration_s"), own.pop("duration_s"), delta=1e-12)
        self.assertEqual(setup, own)
        self.assertEqual(setup["models_ready"], 4)
        self.assertEqual(il["merged_from"], [r["path"] for r in self.runs])
        self.assertIn("merged_from", p.stdout)
        self.assertIn("3 exports: " + self.runs[0]["path"], p.stdout)

    def test_rates_divide_by_the_union_of_the_time_spans(self):
        merged, _ = self.merged(*self.runs, expect=99)
        spans = sorted((s["start_unix_ns"], s["end_unix_ns"]) for r in self.runs
                       for s in r["export"]["inferload"]["test_run"]["spans"])
        union = []
        for start, end in spans:
            if union and start <= union[-1][1]:
                union[-1][1] = max(union[-1][1], end)
            else:
                union.append([start, end])
        self.assertEqual([[s["start_unix_ns"], s["end_unix_ns"]] for s in merged["inferload"]["test_run"]["spans"]],
                         union)
        seconds = sum(end - start for start, end in union) / 1e9
        self.assertAlmostEqual(merged["inferload"]["test_run_duration_s"], seconds, delta=1e-9)
        for name in ("http_reqs", "iterations"):
            m = merged["metrics"][name]
            self.assertAlmostEqual(m["rate"], m["count"] / seconds, delta=m["rate"] * 1e-12, msg=name)
        # Each part's own span is its test run: its duration, setup included.
        for r in self.runs:
            (span,) = r["export"]["inferload"]["test_run"]["spans"]
            self.assertAlmostEqual((span["end_unix_ns"] - span["start_unix_ns"]) / 1e9,
                                   r["export"]["inferload"]["test_run_duration_s"], delta=1e-9)

    def test_histograms_are_those_of_every_sample_bucket_for_bucket(self):
        merged, _ = self.merged(*self.runs, expect=99)
        exact = exact_metrics(merged)
        self.assertEqual(merged["inferload"]["histogram_layout"], LAYOUT)
        samples = collections.defaultdict(list)
        for r in self.runs:
            for name, values in csv_samples(r["csv"]).items():
                samples[name].extend(values)
        for name in TRENDS:
            h = exact[name]["histogram"]
            buckets = decode(h["buckets"])
            # The sum of the parts' histograms, decoded here...
            parts = collections.Counter()
            for r in self.runs:
                part = exact_metrics(r["export"]).get(name)
                if part:
                    parts.update(decode(part["histogram"]["buckets"]))
            self.assertEqual(buckets, dict(parts), name)
            # ...and the histogram of every sample the three runs wrote.
            values = [ns(v) for v in samples[name]]
            self.assertGreater(len(values), 0, name)
            self.assertEqual(buckets, dict(collections.Counter(bucket_of(v) for v in values)), name)
            self.assertEqual(h["count"], len(values), name)
            self.assertEqual(h["min"], min(values), name)
            self.assertEqual(h["max"], max(values), name)
            self.assertEqual(int(h["sum"]), sum(values), name)
            # k6's keys are that histogram's statistics.
            k6 = merged["metrics"][name]
            self.assertAlmostEqual(k6["avg"], sum(values) / len(values) / 1e6, delta=1e-9, msg=name)
            self.assertEqual(k6["min"], min(values) / 1e6, name)
            self.assertEqual(k6["max"], max(values) / 1e6, name)
            for key, p in (("med", 50), ("p(90)", 90), ("p(95)", 95), ("p(99)", 99), ("p(99.9)", 99.9)):
                want = percentile(buckets, len(values), min(values), max(values), p) / 1e6
                self.assertAlmostEqual(k6[key], want, delta=want * 1e-12, msg=f"{name} {key}")
        # A submetric merges as its metric does.
        self.assertEqual(exact["http_req_duration{scenario:default}"]["histogram"], exact["http_req_duration"]["histogram"])

    def test_thresholds_are_evaluated_on_the_merged_metrics(self):
        # Alone: 300, 100 and 200 iterations; count>150 fails for the second (exit 99 above).
        merged, p = self.merged(*self.runs, expect=99)
        self.assertEqual(merged["metrics"]["iterations"]["thresholds"], {"count>150": False, "count<350": True})
        self.assertIn("thresholds on metrics 'iterations' have been crossed", p.stderr)
        # 100 + 200: both hold, though the first part alone failed one.
        merged, p = self.merged(self.runs[1], self.runs[2])
        self.assertEqual(merged["metrics"]["iterations"]["thresholds"], {"count>150": False, "count<350": False})
        self.assertIn("\u2713 'count>150'", p.stdout)

    def test_without_summary_export_the_export_goes_to_stdout_and_the_summary_to_stderr(self):
        p = self.merge(*(r["path"] for r in self.runs), expect=99)
        merged, _ = self.merged(*self.runs, expect=99)
        self.assertEqual(json.loads(p.stdout), merged)
        self.assertIn("TOTAL RESULTS", p.stderr)
        # A merged export merges again: (0 + 1) + 2 is 0 + 1 + 2.
        first_two = os.path.join(self.dir, "first-two.json")
        self.merge(self.runs[0]["path"], self.runs[1]["path"], out=first_two, expect=99)
        again, _ = self.merged({"path": first_two}, self.runs[2], expect=99)
        self.assertEqual(exact_metrics(again), exact_metrics(merged))
        self.assertEqual(again["inferload"]["merged_from"], merged["inferload"]["merged_from"])

    def refused(self, files, message):
        p = self.merge(*files, expect=104)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn(message, p.stderr)

    def test_exports_of_other_tests_are_refused(self):
        other = self.run_part("other-executor", ["-u", "1", "-d", "1s"], {"SKIP_LOAD_MODEL": "1"})
        a = self.runs[0]["path"]
        self.refused([a, other["path"]], f"inferload: {a} and {other['path']} are not parts of one test: "
                                         "scenario 'default': executor shared-iterations vs constant-vus")
        fewer = self.run_part("other-thresholds", ["-i", "10", "-u", "1"], {"SKIP_LOAD_MODEL": "1"},
                              thresholds=THRESHOLDS[:1] + THRESHOLDS[2:])
        self.refused([a, fewer["path"]], f"inferload: {a} and {fewer['path']} are not parts of one test: "
                                         "thresholds on iterations: 'count>150', 'count<350' vs 'count>150'")

    def test_a_run_given_twice_is_refused(self):
        a, b = self.runs[0]["path"], self.runs[1]["path"]
        self.refused([a, b, a], f"inferload: {a} and {a} hold the same run: merging it twice would count it twice")

    def test_files_that_are_not_inferload_exports_are_refused(self):
        a = self.runs[0]["path"]
        k6 = os.path.join(self.dir, "k6.json")
        with open(k6, "w") as f:
            export = dict(self.runs[0]["export"])
            del export["inferload"]
            json.dump(export, f)
        self.refused([a, k6], f"inferload: {k6} is k6's summary export, not inferload's")
        garbage = os.path.join(self.dir, "garbage.json")
        with open(garbage, "w") as f:
            f.write("running (10s), 0/5 VUs\n")
        self.refused([garbage, a], f"inferload: {garbage} is not a summary export: not JSON")
        missing = os.path.join(self.dir, "missing.json")
        self.refused([a, missing], f"inferload: cannot read {missing}: No such file or directory")
        p = subprocess.run([INFERLOAD, "merge"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 255)
        self.assertIn("files is required", p.stderr)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
