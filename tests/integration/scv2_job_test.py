"""SCv2's k6 Job, with `k6 run` replaced by `inferload run` and nothing else changed: the base
Job's args (`--no-teardown --summary-export results/base.json --out csv=results/base.gz -u 5
-i 100000 -d 120m scenarios/infer_constant_vu.js`) and its env block, under each overlay's
changes (suite sections 2.2 and 2.3), against scv2-sim with its scheduler; and the k6 flags and
variables the suite's runners use around it (K6_SUMMARY_EXPORT, K6_NO_SUMMARY, K6_OUT, -e NAME).

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend  # noqa: E402
import scv2_base_job  # noqa: E402
from scv2_setup_test import BASE_JOB_ENV, SUITE_VARIABLES  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

BASE_ARGS = scv2_base_job.ARGS

# What each overlay changes in the base Job's env (its endpoints aside), section 2.3.
OVERLAYS = {
    "envoy": {},
    "rproxy": {"ENVOY": "false"},
    "server": {"ENVOY": "false"},
    "kmodel": {"VIA_PIPELINE": "false"},
    "kpipeline": {"VIA_PIPELINE": "true"},
}


class Job:
    """A Job's working directory (results/ is relative to it) and the sim it targets."""

    def __init__(self, sim):
        self.sim = sim
        self.dir = tempfile.mkdtemp(prefix="inferload-job-")

    def run(self, args, env_changes, timeout=300):
        env = {k: v for k, v in os.environ.items() if k not in SUITE_VARIABLES and not k.startswith("K6_")}
        env.update(BASE_JOB_ENV)
        # The base Job's USE_KUBE_CONTROL_PLANE=true, set to false: models load through the scheduler.
        env.update(USE_KUBE_CONTROL_PLANE="false", INFER_HTTP_ENDPOINT=self.sim.url,
                   INFER_GRPC_ENDPOINT=self.sim.grpc, SCHEDULER_ENDPOINT=self.sim.scheduler)
        env.update(env_changes)
        p = subprocess.run([INFERLOAD, "run", "--io", IO, *args], cwd=self.dir, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def export(self, name="results/base.json"):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def job_sim():
    return Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry")


class BaseJobArgs(unittest.TestCase):
    def test_every_overlay_runs_the_base_args_unchanged(self):
        for overlay, changes in OVERLAYS.items():
            with self.subTest(overlay=overlay), job_sim() as sim:
                job = Job(sim)
                try:
                    code, out, err = job.run(BASE_ARGS + ["--setup-concurrency", "128"], changes)
                    s = job.export()
                    stats = sim.stats()
                    with gzip.open(os.path.join(job.dir, "results", "base.gz"), "rt") as f:
                        header = f.readline().strip()
                finally:
                    job.close()
                self.assertEqual(code, 0, err)
                # --out csv=results/base.gz is k6's CSV, gzipped; rows the writer could not keep up
                # with (this is a closed loop at full speed) are counted, never silently lost.
                self.assertTrue(header.startswith("metric_name,timestamp,metric_value,check,"), header)
                samples = s["inferload"]["samples"]
                self.assertEqual(samples["outputs"], ["csv (results/base.gz)"])
                rows = samples["rows_written"] + samples["rows_lost"]
                self.assertGreaterEqual(rows, 4 * 100000, "at least a request's 2 and an iteration's 2 rows each")
                self.assertEqual(s["inferload"]["setup"]["models_ready"], 1125)
                self.assertNotIn("teardown", s["inferload"])  # --no-teardown
                self.assertEqual(stats["loaded_models"], 1125)
                self.assertEqual(stats["not_found"], 0)
                self.assertEqual(s["metrics"]["iterations"]["count"], 100000)
                self.assertEqual(s["inferload"]["requests"]["ok"], 100000)
                self.assertEqual(stats["rest_infer"] + stats["grpc_infer"], 100000)
                self.assertIn("script: scenarios/infer_constant_vu.js", out)
                # setup() returned the suite's config object, which k6 writes as setup_data.
                self.assertEqual(s["setup_data"]["modelMemoryBytes"], ["400k", "8M", "43M", "200k", "3M"])
                self.assertEqual(s["setup_data"]["maxNumModels"], [800, 100, 25, 100, 100])
                self.assertIs(s["setup_data"]["isEnvoy"], changes.get("ENVOY") != "false")
                names = set(stats["rest_seldon_model"]) | set(stats["grpc_seldon_model"])
                if changes.get("ENVOY") == "false":
                    self.assertTrue(all(n.endswith("_1") for n in names), sorted(names)[:5])
                elif changes.get("VIA_PIPELINE") == "true":
                    self.assertTrue(all(n.endswith(".pipeline") for n in names), sorted(names)[:5])
                    self.assertEqual(s["inferload"]["setup"]["pipelines_ready"], 1125)
                else:
                    self.assertTrue(names)
                    self.assertTrue(all(not n.endswith("_1") and not n.endswith(".pipeline") for n in names),
                                    sorted(names)[:5])

    def test_the_pipeline_overlays_args_are_refused_in_one_line_as_kubernetes_only(self):
        # Their scripts create Server, Model and Pipeline resources through the Kubernetes API.
        scripts = ["scenarios/pipeline/1_model_pipeline.js",
                   "scenarios/pipeline/scalability/1_model_pipeline_all_svcs_scaled.js",
                   "scenarios/pipeline/scalability/5_model_double_pipelines.js",
                   "scenarios/pipeline/scalability/parallel_pipeline.js",
                   "scenarios/pipeline/scalability/scale_all_up_down_during_test.js",
                   "scenarios/pipeline/scalability/scale_dataflow-engine_during_test.js",
                   "scenarios/pipeline/scalability/scale_modelgw_during_test.js",
                   "scenarios/pipeline/scalability/scale_pipelinegw_during_test.js"]
        with job_sim() as sim:
            job = Job(sim)
            try:
                for script in scripts:
                    args = ["--no-teardown", "--summary-export", "results/base.json", "--out", "csv=results/base.gz",
                            "-u", "5", "-i", "5000", "-d", "120m", script]
                    code, _, err = job.run(args, {"INFER_HTTP_ENDPOINT": "http://seldon-mesh:80"})
                    lines = err.splitlines()
                    self.assertEqual(code, 104, f"{script}: {err}")
                    self.assertEqual(len(lines), 1, err)
                    self.assertIn("Kubernetes", lines[0])
                    self.assertIsNone(job.export())
                self.assertEqual(sim.stats().get("scheduler_calls", {}), {})
            finally:
                job.close()

    def test_the_rate_scripts_of_the_base_jobs_comments_run_with_the_same_output_flags(self):
        args = ["--no-teardown", "--summary-export", "results/base.json", "--out", "csv=results/base.gz"]
        for script, expected in [("scenarios/infer_constant_rate.js", 40), ("scenarios/infer_multiple_rates.js", None)]:
            with self.subTest(script=script), job_sim() as sim:
                job = Job(sim)
                try:
                    code, _, err = job.run(args + [script], {"CONSTANT_RATE_DURATION_SECONDS": "2",
                                                             "MAX_NUM_MODELS": "4,2,1,2,2"})
                    s = job.export()
                finally:
                    job.close()
                self.assertEqual(code, 0, err)
                self.assertEqual(s["inferload"]["setup"]["models_ready"], 11)
                if expected is not None:
                    self.assertEqual(s["metrics"]["iterations"]["count"], expected)  # REQUEST_RATE 20 x 2 s
                else:
                    self.assertGreater(s["metrics"]["iterations"]["count"], 0)


class K6Variables(unittest.TestCase):
    def setUp(self):
        self.sim = job_sim()
        self.job = Job(self.sim)
        self.small = {"MAX_NUM_MODELS": "1,1,1,1,1"}

    def tearDown(self):
        self.job.close()
        self.sim.stop()

    def test_k6_summary_export_writes_the_export_where_it_says(self):
        code, _, err = self.job.run(["-u", "1", "-i", "10"], dict(self.small, K6_SUMMARY_EXPORT="out/k6.json"))
        self.assertEqual(code, 0, err)
        s = self.job.export("out/k6.json")
        self.assertEqual(s["metrics"]["iterations"]["count"], 10)

    def test_k6_no_summary_prints_no_summary_and_writes_no_export(self):
        code, out, err = self.job.run(["-u", "1", "-i", "10", "--summary-export", "x.json"],
                                      dict(self.small, K6_NO_SUMMARY="true"))
        self.assertEqual(code, 0, err)
        self.assertIsNone(self.job.export("x.json"))
        self.assertNotIn("TOTAL RESULTS", out)
        code, _, err = self.job.run(["-i", "1"], dict(self.small, K6_NO_SUMMARY="maybe"))
        self.assertEqual(code, 104, err)
        self.assertIn("K6_NO_SUMMARY", err)

    def test_k6_out_writes_like_the_flag_and_an_unknown_type_is_an_error(self):
        code, out, err = self.job.run(["-u", "1", "-i", "5"], dict(self.small, K6_OUT="json=a.json,csv=b.csv"))
        self.assertEqual(code, 0, err)
        self.assertIn("output: json (a.json), csv (b.csv)", out)
        with open(os.path.join(self.job.dir, "b.csv")) as f:
            self.assertEqual(sum(1 for line in f if line.startswith("iterations,")), 5)
        with open(os.path.join(self.job.dir, "a.json")) as f:
            self.assertEqual(sum(1 for line in f if line.startswith('{"metric":"iterations","type":"Point"')), 5)
        # --out wins over K6_OUT, as in k6.
        code, out, err = self.job.run(["-u", "1", "-i", "5", "--out", "csv=c.csv"], dict(self.small, K6_OUT="json=d.json"))
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.exists(os.path.join(self.job.dir, "c.csv")))
        self.assertFalse(os.path.exists(os.path.join(self.job.dir, "d.json")))
        code, _, err = self.job.run(["-i", "1", "-o", "statsd"], self.small)
        self.assertEqual(code, 255, err)
        self.assertIn("invalid output type 'statsd'", err)

    def test_http_debug_logs_every_exchange_headers_only_or_with_bodies(self):
        env = dict(self.small, MODEL_TYPE="iris", MODELNAME_PREFIX="irisa", MAX_NUM_MODELS="1",
                   MODEL_MEMORY_BYTES="3M", INFER_BATCH_SIZE="1", INFER_GRPC_ITERATIONS="0")
        code, _, err = self.job.run(["-u", "1", "-i", "3", "--http-debug"], env)
        self.assertEqual(code, 0, err)
        records = [l for l in err.splitlines() if "source=http-debug" in l]
        self.assertEqual(len(records), 6, err)  # a request and a response per exchange
        self.assertTrue(all("level=info" in l for l in records), records)
        self.assertEqual(sum('msg="Request:\\nPOST /v2/models/irisa0/infer HTTP/1.1\\n' in l for l in records), 3, records)
        self.assertEqual(sum('msg="Response:\\nHTTP/1.1 200 OK' in l for l in records), 3, records)
        self.assertFalse(any("inputs" in l for l in records))  # headers only
        code, _, err = self.job.run(["-u", "1", "-i", "2"], dict(env, K6_HTTP_DEBUG="full"))
        self.assertEqual(code, 0, err)
        records = [l for l in err.splitlines() if "source=http-debug" in l]
        self.assertEqual(len(records), 4, err)
        self.assertEqual(sum('\\"inputs\\"' in l for l in records), 2, records)   # request bodies
        self.assertEqual(sum('\\"outputs\\"' in l for l in records), 2, records)  # response bodies
        # gRPC: k6's Out Header, In Header and In Trailer records.
        code, _, err = self.job.run(["-u", "1", "-i", "1", "--http-debug"],
                                    dict(env, INFER_HTTP_ITERATIONS="0", INFER_GRPC_ITERATIONS="1"))
        self.assertEqual(code, 0, err)
        titles = [l.split('msg="', 1)[1].split("\\n", 1)[0] for l in err.splitlines() if "source=http-debug" in l]
        self.assertEqual(titles, ["Out Header:", "In Header:", "In Trailer:"], err)

    def test_env_flag_without_a_value_sets_the_variable_empty(self):
        # -e NAME, as k6 takes it: the variable is "" (the suite's settings read that as unset),
        # whatever the process environment says.
        code, _, err = self.job.run(["-u", "1", "-i", "5", "-e", "SKIP_LOAD_MODEL", "-e", "WARMUP=false"],
                                    dict(self.small, SKIP_LOAD_MODEL="1"))
        self.assertEqual(code, 0, err)
        self.assertEqual(self.sim.stats()["scheduler_calls"].get("LoadModel"), 5)  # setup ran
        code, _, err = self.job.run(["-i", "1", "-e", "1BAD=x"], self.small)
        self.assertEqual(code, 255, err)
        self.assertIn("--env", err)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
