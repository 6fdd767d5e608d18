"""SCv2's setup and teardown through the scheduler, end to end against scv2-sim in registry mode
(a model answers only once its scheduler made it available): setupBase loads every model and
waits for it, the load sends requests only to loaded models, teardownBase unloads them, none of
that traffic is in any metric, and a failing model, a scheduler that never gets there or one that
cannot be reached stops the run before any load with k6's exit codes.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import scv2_base_job  # noqa: E402
from peers import Sim, main_for_backend, run_with_export  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

# The env block of SCv2's base Job but for what only the cluster uses; the endpoints point at the simulator.
BASE_JOB_ENV = {k: v for k, v in scv2_base_job.ENV.items() if k not in scv2_base_job.CLUSTER_ONLY}
SUITE_VARIABLES = set(BASE_JOB_ENV) | {
    "USE_KUBE_CONTROL_PLANE", "SKIP_LOAD_MODEL", "SKIP_UNLOAD_MODEL", "ENVOY", "SCHEDULER_PROXY", "VIA_PIPELINE",
    "MODEL_NUM_REPLICAS", "INFER_TYPE", "REQUEST_RATES", "CONSTANT_RATE_DURATIONS_SECONDS"}


def registry_sim(*extra):
    return Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry", *extra)


def suite_env(sim, extra=None):
    env = {k: v for k, v in os.environ.items() if k not in SUITE_VARIABLES}
    env.update(INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ENDPOINT=sim.grpc, SCHEDULER_ENDPOINT=sim.scheduler)
    env.update(extra or {})
    return env


def run(sim, *args, env=None, timeout=180):
    return run_with_export([INFERLOAD, "run", "--io", IO, *args], suite_env(sim, env), timeout)


def sim_models(sim):
    with urllib.request.urlopen(sim.url + "/sim/models", timeout=5) as r:
        return json.loads(r.read())


def count(summary, name):
    m = summary["metrics"].get(name)
    return m["count"] if m else 0


class BaseJob(unittest.TestCase):
    def test_the_base_jobs_env_block_loads_every_model_sends_only_to_them_and_unloads_them(self):
        with registry_sim("--load-delay", "100ms") as sim:
            code, out, err, s = run(sim, "scenarios/infer_constant_vu.js", "-u", "5", "-i", "2000",
                                    "--setup-concurrency", "64", env=BASE_JOB_ENV)
            stats = sim.stats()
            models = sim_models(sim)
        self.assertEqual(code, 0, err)
        setup = s["inferload"]["setup"]
        self.assertEqual(setup["outcome"], "completed")
        self.assertEqual(setup["models"], 1125)
        self.assertEqual(setup["models_ready"], 1125)
        self.assertEqual(setup["warmup_requests"], 0)  # WARMUP=false, as the base Job sets it
        # Every model probed until its route answered: at least once each.
        self.assertGreaterEqual(setup["ready_probes"], 1125)
        teardown = s["inferload"]["teardown"]
        self.assertEqual((teardown["outcome"], teardown["models_unloaded"], teardown["failed"]), ("completed", 1125, 0))
        calls = stats["scheduler_calls"]
        self.assertEqual(calls["LoadModel"], 1125)
        self.assertEqual(calls["UnloadModel"], 1125)
        self.assertGreaterEqual(calls["ModelStatus"], 1125)
        self.assertEqual(stats["loaded_models"], 0)
        # Inference reached loaded models only, and all 2000 iterations' requests are in the
        # {scenario:default} submetrics (REST) and the gRPC statuses: none of setup's.
        self.assertEqual(stats["not_found"], 0)
        self.assertEqual(stats["rest_infer"] + stats["grpc_infer"], 2000)
        self.assertEqual(count(s, "iterations"), 2000)
        rest = count(s, "http_reqs{scenario:default}")
        self.assertEqual(rest, count(s, "http_reqs"))
        self.assertEqual(rest, stats["rest_infer"])
        self.assertEqual(s["inferload"]["grpc"]["statuses"].get("OK", 0), stats["grpc_infer"])
        self.assertEqual(s["inferload"]["requests"]["ok"], 2000)
        # What LoadModel carried: the catalogue's URI and requirements, MODEL_MEMORY_BYTES as bytes.
        by_name = {m["name"]: m for m in models["models"]}
        self.assertEqual(len(by_name), 1125)
        expected = {
            "tfsimplea799": ("gs://seldon-models/triton/simple", ["tensorflow"], 400_000),
            "pytorch-cifar10a0": ("gs://seldon-models/triton/pytorch_cifar10/cifar10", ["pytorch"], 8_000_000),
            "tfmnista24": ("gs://seldon-models/triton/tf_mnist", ["tensorflow"], 43_000_000),
            "mlflow-winea5": ("gs://seldon-models/mlflow/elasticnet_wine_model_mlserver_1_1", ["mlflow"], 200_000),
            "irisa99": ("gs://seldon-models/testing/iris1", ["sklearn"], 3_000_000),
        }
        for name, (uri, requirements, memory) in expected.items():
            m = by_name[name]
            self.assertEqual((m["uri"], m["requirements"], m["memory_bytes"], m["replicas"]),
                             (uri, requirements, memory, 1), name)
        self.assertIn("setup: 1125 models through the scheduler", out)
        # k6 samples vus every second from before setup: none is active while setup runs.
        self.assertEqual(s["metrics"]["vus"]["min"], 0 if setup["duration_s"] >= 1 else 5, setup)
        self.assertEqual(s["metrics"]["vus"]["max"], 5)

    def test_infer_constant_rate_excludes_setup_and_warm_up_whatever_its_scenario_is_called(self):
        env = {"MODEL_TYPE": "tfsimple,iris", "MAX_NUM_MODELS": "5,5", "REQUEST_RATE": "50",
               "CONSTANT_RATE_DURATION_SECONDS": "2", "WARMUP": "true"}
        with registry_sim("--load-delay", "50ms") as sim:
            code, _, err, s = run(sim, "infer_constant_rate", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["setup"]["models_ready"], 10)
        self.assertEqual(s["inferload"]["setup"]["warmup_requests"], 10)
        self.assertEqual(s["inferload"]["setup"]["warmup_failed"], 0)
        # The server saw the warm-up; the metrics hold exactly the scenario's 100 iterations. k6's
        # {scenario:default} trick would miss them here (the scenario is constant_request_rate).
        self.assertEqual(stats["rest_infer"], 100 + 10)
        self.assertEqual(count(s, "http_reqs"), 100)
        self.assertEqual(count(s, "http_reqs{scenario:default}"), 0)
        self.assertEqual(stats["not_found"], 0)
        self.assertEqual(s["inferload"]["teardown"]["models_unloaded"], 10)


class SetupAndTeardownRows(unittest.TestCase):
    def test_their_calls_are_rows_of_their_group_with_no_scenario_as_k6_writes_them(self):
        env = {"MODEL_TYPE": "tfsimple,iris", "MAX_NUM_MODELS": "3,2", "WARMUP": "true"}
        with registry_sim("--load-delay", "50ms") as sim, tempfile.TemporaryDirectory() as d:
            rows_file, points_file = os.path.join(d, "rows.csv"), os.path.join(d, "points.json")
            code, _, err, s = run(sim, "scenarios/infer_constant_vu.js", "-u", "2", "-i", "20",
                                  "--out", f"csv={rows_file}", "--out", f"json={points_file}",
                                  "--summary-trend-stats", "avg,max,count", env=env)
            stats = sim.stats()
            with open(rows_file, newline="") as f:
                rows = list(csv.DictReader(f))
            with open(points_file) as f:
                points = [json.loads(line) for line in f]
        self.assertEqual(code, 0, err)
        setup, teardown = s["inferload"]["setup"], s["inferload"]["teardown"]
        self.assertEqual((setup["models_ready"], setup["warmup_requests"], teardown["models_unloaded"]), (5, 5, 5))

        def phase(group, metric):
            return [r for r in rows if r["group"] == group and r["metric_name"] == metric]

        in_phases = [r for r in rows if r["group"] in ("::setup", "::teardown")]
        self.assertTrue(in_phases)
        self.assertEqual({r["scenario"] for r in in_phases}, {""})
        # A row for every ready probe (GET) and warm-up (POST), each of k6's nine http_req* rows.
        reqs = phase("::setup", "http_reqs")
        self.assertEqual(sum(r["method"] == "GET" for r in reqs), setup["ready_probes"])
        self.assertEqual(sum(r["method"] == "POST" for r in reqs), setup["warmup_requests"])
        for metric in ("http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
                       "http_req_sending", "http_req_waiting", "http_req_receiving", "http_req_failed"):
            self.assertEqual(len(phase("::setup", metric)), len(reqs), metric)
        self.assertTrue(all(r["url"] == sim.url + "/v2/models/" + r["url"].split("/")[-2] + "/ready"
                            for r in reqs if r["method"] == "GET"), reqs[0])
        # Every scheduler call the simulator answered is a grpc_req_duration row of its phase.
        grpc_rows = phase("::setup", "grpc_req_duration") + phase("::teardown", "grpc_req_duration")
        self.assertEqual(len(phase("::setup", "grpc_req_duration")), setup["scheduler_calls"])
        self.assertEqual(len(phase("::teardown", "grpc_req_duration")), teardown["scheduler_calls"])
        by_method = {}
        for r in grpc_rows:
            by_method[r["method"]] = by_method.get(r["method"], 0) + 1
        self.assertEqual(by_method, stats["scheduler_calls"])
        self.assertEqual({r["method"] for r in phase("::teardown", "grpc_req_duration")}, {"UnloadModel"})
        for group in ("::setup", "::teardown"):
            for metric in ("data_sent", "data_received"):
                self.assertGreater(sum(float(r["metric_value"]) for r in phase(group, metric)), 0, (group, metric))
        # The scenario's rows are still exactly the summary's, which leaves setup and teardown out.
        scenario_rows = [r for r in rows if r["scenario"] == "default"]
        self.assertEqual(sum(r["metric_name"] == "http_reqs" for r in scenario_rows), count(s, "http_reqs"))
        self.assertEqual(sum(r["metric_name"] == "grpc_req_duration" for r in scenario_rows),
                         count(s, "grpc_req_duration"))
        # The simulator served the warm-ups and the scenario's REST calls, no more.
        self.assertEqual(stats["rest_infer"], count(s, "http_reqs") + setup["warmup_requests"])
        # The JSON output holds the same samples, tagged alike.
        json_phase = [p for p in points if p["type"] == "Point" and p["data"]["tags"].get("group") in
                      ("::setup", "::teardown")]
        self.assertEqual(len(json_phase), len(in_phases))
        self.assertFalse(any("scenario" in p["data"]["tags"] for p in json_phase))


class Modes(unittest.TestCase):
    def test_off_envoy_the_data_plane_and_the_probes_use_versioned_names(self):
        env = {"ENVOY": "false", "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "3", "INFER_GRPC_ITERATIONS": "0"}
        with registry_sim() as sim:
            code, _, err, s = run(sim, "-u", "2", "-i", "30", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(stats["not_found"], 0)
        self.assertEqual(set(stats["rest_seldon_model"]), {"iris0_1", "iris1_1", "iris2_1"})
        self.assertEqual(s["inferload"]["requests"]["ok"], 30)

    def test_the_scheduler_proxy_loads_and_unloads_and_setup_waits_on_the_ready_probe(self):
        env = {"ENVOY": "false", "SCHEDULER_PROXY": "true", "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "2",
               "INFER_GRPC_ITERATIONS": "0"}
        with registry_sim("--load-delay", "300ms") as sim:
            code, _, err, s = run(sim, "-u", "1", "-i", "10", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        calls = stats["scheduler_calls"]
        self.assertEqual((calls.get("proxy.LoadModel"), calls.get("proxy.UnloadModel")), (2, 2))
        self.assertNotIn("ModelStatus", calls)  # the proxy has none: the probes are the wait
        self.assertGreater(s["inferload"]["setup"]["ready_probes"], 2)
        self.assertEqual(stats["not_found"], 0)
        self.assertEqual(set(stats["rest_seldon_model"]), {"iris0_0", "iris1_0"})

    def test_via_pipeline_each_model_gets_a_ready_pipeline_that_the_load_goes_through(self):
        env = {"VIA_PIPELINE": "true", "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "2"}
        with registry_sim("--load-delay", "50ms") as sim:
            code, _, err, s = run(sim, "-u", "2", "-i", "40", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["setup"]["pipelines_ready"], 2)
        self.assertEqual(s["inferload"]["teardown"]["pipelines_unloaded"], 2)
        self.assertEqual(stats["scheduler_calls"]["LoadPipeline"], 2)
        self.assertEqual(stats["scheduler_calls"]["UnloadPipeline"], 2)
        self.assertEqual(stats["not_found"], 0)
        seen = set(stats["rest_seldon_model"]) | set(stats["grpc_seldon_model"])
        self.assertEqual(seen, {"iris0.pipeline", "iris1.pipeline"})

    def test_request_id_prefix_gives_every_rest_request_its_own_id(self):
        env = {"REQUEST_ID_PREFIX": "perf", "MODEL_TYPE": "tfsimple,iris", "MAX_NUM_MODELS": "3,5000",
               "INFER_GRPC_ITERATIONS": "0", "INFER_HTTP_ITERATIONS": "2", "WARMUP": "true"}
        with registry_sim() as sim:
            code, _, err, s = run(sim, "-u", "3", "-i", "200", "--setup-concurrency", "256", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["requests"]["ok"], 400)
        # The warm-up sends none (as the suite's); every request of the load a fresh one.
        self.assertEqual(stats["rest_infer"], 400 + 5003)
        self.assertEqual(stats["rest_with_request_id"], 400)
        self.assertEqual(stats["rest_request_ids_distinct"], 400)

    def test_skip_load_model_runs_no_setup_and_no_teardown(self):
        env = {"SKIP_LOAD_MODEL": "false", "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "1", "INFER_GRPC_ITERATIONS": "0"}
        with registry_sim() as sim:
            code, _, err, s = run(sim, "-u", "1", "-i", "5", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertNotIn("setup", s["inferload"])
        self.assertNotIn("teardown", s["inferload"])
        self.assertEqual(stats.get("scheduler_calls", {}), {})
        # setup() itself still ran (setupBase inside it was skipped) and returned the config.
        self.assertIs(s["setup_data"]["loadModel"], False)
        # Nothing was loaded, so the registry refused every request, and each was counted.
        self.assertEqual(stats["not_found"], 5)
        self.assertEqual(s["inferload"]["requests"]["failed"], 5)

    def test_skip_infer_loads_and_unloads_but_sends_no_inference(self):
        env = {"SKIP_INFER": "1", "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "2"}
        with registry_sim() as sim:
            code, _, err, s = run(sim, "-u", "2", "-i", "50", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["metrics"]["iterations"]["count"], 50)
        self.assertEqual(s["inferload"]["requests"]["issued"], 0)
        # Only setup's warm-up (WARMUP defaults to true; the suite's setupBase warms up too).
        self.assertEqual((stats["rest_infer"], stats["grpc_infer"], stats["not_found"]), (2, 0, 0))
        self.assertEqual(s["inferload"]["setup"]["warmup_requests"], 2)
        self.assertEqual(stats["scheduler_calls"]["LoadModel"], 2)
        self.assertEqual(stats["scheduler_calls"]["UnloadModel"], 2)

    def test_no_setup_loads_nothing_and_writes_no_setup_data(self):
        env = {"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "1", "INFER_GRPC_ITERATIONS": "0"}
        with registry_sim() as sim:
            code, _, err, s = run(sim, "--no-setup", "-u", "1", "-i", "3", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertNotIn("setup_data", s)
        self.assertNotIn("setup", s["inferload"])
        self.assertEqual(stats.get("scheduler_calls", {}), {})
        self.assertEqual(stats["not_found"], 3)

    def test_no_teardown_leaves_the_models_loaded(self):
        env = {"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "3", "INFER_GRPC_ITERATIONS": "0"}
        with registry_sim() as sim:
            code, _, err, s = run(sim, "--no-teardown", "-u", "1", "-i", "5", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertNotIn("teardown", s["inferload"])
        self.assertEqual(stats["loaded_models"], 3)
        self.assertNotIn("UnloadModel", stats["scheduler_calls"])


class SetupFailures(unittest.TestCase):
    def assert_stopped_before_load(self, sim, code, err, s, expected_code, *words, outcome=None):
        """`outcome`: setup ran and ended so; as in k6, the summary export is still written, with
        the setup's report and no sample. None: the run stopped before setup, with no results."""
        stats = sim.stats()
        self.assertEqual(code, expected_code, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        for w in words:
            self.assertIn(w, lines[0])
        if outcome is None:
            self.assertIsNone(s)
        else:
            self.assertEqual(s["inferload"]["setup"]["outcome"], outcome)
            self.assertIn(words[-1], s["inferload"]["setup"]["error"])
            self.assertNotIn("iterations", s["metrics"])
            self.assertEqual(s["inferload"]["requests"]["issued"], 0)
            self.assertNotIn("teardown", s["inferload"])
        self.assertEqual(stats["rest_infer"] + stats["grpc_infer"] + stats["not_found"], 0)

    def test_a_model_that_fails_to_load_stops_the_run_with_its_reason(self):
        # No warm-up: the models that become ready with the failing one may be warmed up before its
        # failure is seen, and a warm-up is an inference the server counts.
        env = {"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "8", "WARMUP": "false"}
        with registry_sim("--load-delay", "100ms", "--fail-model", "iris5") as sim:
            code, _, err, s = run(sim, "-u", "1", "-i", "10", env=env)
            self.assert_stopped_before_load(sim, code, err, s, 107, "setup failed", "iris5", "ModelFailed",
                                            outcome="failed")

    def test_a_setup_that_outlasts_its_timeout_exits_100_naming_what_it_waited_for(self):
        env = {"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "2"}
        with registry_sim("--load-delay", "20s") as sim:
            t0 = time.monotonic()
            code, _, err, s = run(sim, "--setup-timeout", "1s", "-u", "1", "-i", "10", env=env)
            elapsed = time.monotonic() - t0
            self.assert_stopped_before_load(sim, code, err, s, 100, "timed out", "1.0s", "ModelProgressing",
                                            outcome="timed out")
        self.assertLess(elapsed, 10)

    def test_an_unreachable_scheduler_is_a_setup_error(self):
        with registry_sim() as sim:
            env = {"MODEL_TYPE": "iris", "SCHEDULER_ENDPOINT": "127.0.0.1:1"}
            code, _, err, s = run(sim, "-u", "1", "-i", "1", env=env)
            self.assert_stopped_before_load(sim, code, err, s, 107, "SCHEDULER_ENDPOINT", "unreachable")

    def test_the_kubernetes_control_plane_is_refused_in_one_line(self):
        with registry_sim() as sim:
            env = {"MODEL_TYPE": "iris", "USE_KUBE_CONTROL_PLANE": "true"}
            code, _, err, s = run(sim, "-u", "1", "-i", "1", env=env)
            self.assert_stopped_before_load(sim, code, err, s, 104, "USE_KUBE_CONTROL_PLANE")
            self.assertEqual(sim.stats().get("scheduler_calls", {}), {})

    def test_a_signal_during_setup_stops_it_at_once(self):
        with registry_sim("--load-delay", "30s") as sim:
            fd, export = tempfile.mkstemp(suffix=".json")
            os.close(fd)
            os.unlink(export)
            proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, "--summary-export", export, "-u", "1", "-i", "1"],
                                    env=suite_env(sim, {"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "4"}),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
            stopped_in = time.monotonic() - t0
            self.assertEqual(proc.returncode, 105, err)
            self.assertIn("setup was interrupted", err)
            self.assertLess(stopped_in, 5)
            with open(export) as f:
                self.assertEqual(json.load(f)["inferload"]["setup"]["outcome"], "interrupted")
            os.unlink(export)
            self.assertIn("setup: 0 of 4 models ready", out)  # the progress line while it waited
            self.assertEqual(sim.stats()["rest_infer"], 0)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
