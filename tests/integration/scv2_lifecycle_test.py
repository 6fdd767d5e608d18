"""The suite's lifecycle scripts end to end against scv2-sim in registry mode (a model answers only
once its scheduler made it available): load_predict_unload, pipeline and experiment load, call and
unload through the scheduler in every iteration, each call one of the suite's checks and none of
them in the data plane's metrics; predict_agent_oc calls every model of type 0 in each iteration
after setupBase; the Kubernetes-only scripts are refused in one line.

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
from peers import Sim, free_port, main_for_backend, run_with_export  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

SUITE_VARIABLES = {
    "MODEL_TYPE", "MODELNAME_PREFIX", "MAX_NUM_MODELS", "INFER_HTTP_ITERATIONS", "INFER_GRPC_ITERATIONS",
    "ENVOY", "SCHEDULER_PROXY", "VIA_PIPELINE", "USE_KUBE_CONTROL_PLANE", "SKIP_LOAD_MODEL", "SKIP_UNLOAD_MODEL",
    "SKIP_INFER", "SKIP_LOAD_EXPERIMENT", "SKIP_UNLOAD_EXPERIMENT", "EXPERIMENTNAME_PREFIX", "MODEL_MEMORY_BYTES",
    "MODEL_NUM_REPLICAS", "WARMUP", "REQUEST_ID_PREFIX"}


def registry_sim(*extra):
    return Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry", *extra)


def suite_env(sim, extra=None):
    env = {k: v for k, v in os.environ.items() if k not in SUITE_VARIABLES and not k.startswith("K6_")}
    env.update(INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ENDPOINT=sim.grpc, SCHEDULER_ENDPOINT=sim.scheduler)
    env.update(extra or {})
    return env


def run(sim, *args, env=None, timeout=120):
    return run_with_export([INFERLOAD, "run", "--io", IO, *args], suite_env(sim, env), timeout)


def sim_models(sim):
    with urllib.request.urlopen(sim.url + "/sim/models", timeout=5) as r:
        return json.loads(r.read())


def count(summary, name):
    m = summary["metrics"].get(name)
    return m["count"] if m else 0


def checks(summary):
    """{name: (passes, fails)} of the summary's checks."""
    return {name: (c["passes"], c["fails"]) for name, c in summary["root_group"]["checks"].items()}


def names(prefix, n, suffix=""):
    return {f"{prefix}{i}{suffix}" for i in range(n)}


class LoadPredictUnload(unittest.TestCase):
    def test_each_iteration_loads_calls_and_unloads_a_model_of_its_own(self):
        with registry_sim("--load-delay", "50ms") as sim:
            code, out, err, s = run(sim, "scenarios/load_predict_unload.js", "-u", "2", "-i", "6",
                                    "--summary-trend-stats", "avg,max,count",
                                    env={"MODEL_MEMORY_BYTES": "3M", "MODEL_NUM_REPLICAS": "2"})
            stats = sim.stats()
            models = sim_models(sim)
        self.assertEqual(code, 0, err)
        # Six distinct models, named by the iteration's number across both VUs, each served once per
        # protocol while it was loaded, and none left behind.
        self.assertEqual(set(stats["rest_seldon_model"]), names("iris", 6))
        self.assertEqual(set(stats["grpc_seldon_model"]), names("iris", 6))
        self.assertEqual((stats["rest_infer"], stats["grpc_infer"], stats["not_found"]), (6, 6, 0))
        self.assertEqual(stats["loaded_models"], 0)
        calls = stats["scheduler_calls"]
        self.assertEqual((calls["LoadModel"], calls["UnloadModel"]), (6, 6))
        # Each load and each unload waited: at least one status poll each, more with the delay.
        self.assertGreaterEqual(calls["ModelStatus"], 12 + 6)
        by_name = {m["name"]: m for m in models["models"]}
        self.assertEqual(set(by_name), names("iris", 6))
        for m in by_name.values():
            self.assertEqual(m["state"], "ModelTerminated")
            self.assertEqual((m["memory_bytes"], m["replicas"], m["requirements"]), (3_000_000, 2, ["sklearn"]))
            # The URI's copy is the VU's number mod 10: VUs 1 and 2.
            self.assertIn(m["uri"], {"gs://seldon-models/testing/iris1", "gs://seldon-models/testing/iris2"})
        self.assertEqual({m["uri"] for m in by_name.values()},
                         {"gs://seldon-models/testing/iris1", "gs://seldon-models/testing/iris2"})
        # Every scheduler call is a check and a sample of its own trend, and the data plane's
        # metrics hold the inference calls only.
        c = checks(s)
        self.assertEqual(c["load model success"], (6, 0))
        self.assertEqual(c["unload model success"], (6, 0))
        self.assertEqual(c["model status success"], (calls["ModelStatus"], 0))
        self.assertEqual(c["model http prediction success"], (6, 0))
        self.assertEqual(c["model grpc prediction success"], (6, 0))
        self.assertEqual(list(c)[:2], ["load model success", "model status success"])
        self.assertEqual(list(c)[-1], "unload model success")
        scheduler_calls = sum(calls.values())
        self.assertEqual(count(s, "scheduler_req_duration"), scheduler_calls)
        self.assertEqual(count(s, "grpc_req_duration"), 6)
        self.assertEqual(count(s, "http_reqs"), 6)
        self.assertEqual(count(s, "iterations"), 6)
        self.assertEqual(s["inferload"]["requests"], {"issued": 12, "ok": 12, "failed": 0, "timed_out": 0,
                                                      "interrupted": 0})
        self.assertEqual(s["inferload"]["scheduler_requests"]["issued"], scheduler_calls)
        self.assertEqual(s["inferload"]["scheduler_requests"]["ok"], scheduler_calls)
        # A new gRPC connection for each iteration's calls, as the suite connects.
        self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 6)
        self.assertNotIn("setup", s["inferload"])
        self.assertIn("scheduler: " + sim.scheduler, out)

    def test_every_scheduler_call_is_a_row_of_its_trend_and_of_its_check(self):
        with registry_sim("--load-delay", "50ms") as sim, tempfile.TemporaryDirectory() as d:
            rows_file = os.path.join(d, "rows.csv")
            code, _, err, s = run(sim, "load_predict_unload", "-u", "2", "-i", "4", "--out", f"csv={rows_file}",
                                  "--summary-trend-stats", "avg,max,count")
            calls = sim.stats()["scheduler_calls"]
            with open(rows_file, newline="") as f:
                rows = list(csv.DictReader(f))
        self.assertEqual(code, 0, err)
        sched = [r for r in rows if r["metric_name"] == "scheduler_req_duration"]
        # One row per call the simulator answered, by method, each in the scenario.
        by_method = {}
        for r in sched:
            by_method[r["method"]] = by_method.get(r["method"], 0) + 1
        self.assertEqual(by_method, calls)
        self.assertEqual(len(sched), count(s, "scheduler_req_duration"))
        self.assertEqual({r["scenario"] for r in sched}, {"default"})
        self.assertEqual({r["service"] for r in sched}, {"seldon.mlops.scheduler.Scheduler"})
        self.assertTrue(all(r["url"] == sim.scheduler + r["name"] for r in sched), sched[0])
        # Its checks, row for row as the summary counts them.
        c = {}
        for r in rows:
            if r["metric_name"] == "checks":
                passes, fails = c.get(r["check"], (0, 0))
                c[r["check"]] = (passes + 1, fails) if r["metric_value"].startswith("1") else (passes, fails + 1)
        self.assertEqual(c, checks(s))
        self.assertEqual(c["load model success"], (4, 0))

    def test_without_iterations_or_a_duration_one_vu_runs_one_iteration(self):
        with registry_sim() as sim:
            code, _, err, s = run(sim, "load_predict_unload", "-u", "3")
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertIn("`vus=3` option will be ignored", err)
        self.assertEqual(count(s, "iterations"), 1)
        self.assertEqual(stats["scheduler_calls"]["LoadModel"], 1)
        self.assertEqual(set(stats["rest_seldon_model"]), {"iris0"})

    def test_skip_infer_only_loads_and_unloads(self):
        with registry_sim() as sim:
            code, _, err, s = run(sim, "load_predict_unload", "-u", "1", "-i", "3", env={"SKIP_INFER": "true"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual((stats["rest_infer"], stats["grpc_infer"]), (0, 0))
        self.assertEqual((stats["scheduler_calls"]["LoadModel"], stats["scheduler_calls"]["UnloadModel"]), (3, 3))
        self.assertEqual(stats["loaded_models"], 0)
        self.assertEqual(s["inferload"]["requests"]["issued"], 0)
        self.assertNotIn("model http prediction success", checks(s))
        self.assertEqual(checks(s)["unload model success"], (3, 0))

    def test_skip_unload_model_leaves_every_model_loaded(self):
        with registry_sim() as sim:
            code, _, err, s = run(sim, "load_predict_unload", "-u", "2", "-i", "3", env={"SKIP_UNLOAD_MODEL": "1"})
            stats = sim.stats()
            models = sim_models(sim)
        self.assertEqual(code, 0, err)
        self.assertEqual(stats["loaded_models"], 3)
        self.assertNotIn("UnloadModel", stats["scheduler_calls"])
        self.assertEqual({m["name"] for m in models["models"] if m["state"] == "ModelAvailable"}, names("iris", 3))
        self.assertEqual((stats["rest_infer"], stats["grpc_infer"]), (3, 3))
        self.assertNotIn("unload model success", checks(s))

    def test_without_loading_or_unloading_no_scheduler_is_needed(self):
        # Nothing loads the models, so the registry refuses every call, and each is a failed check.
        with registry_sim() as sim:
            env = {"SKIP_LOAD_MODEL": "true", "SKIP_UNLOAD_MODEL": "true", "SCHEDULER_ENDPOINT": f"127.0.0.1:{free_port()}"}
            code, _, err, s = run(sim, "load_predict_unload", "-u", "1", "-i", "2", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(stats["not_found"], 4)
        self.assertEqual(checks(s), {"model http prediction success": (0, 2), "model grpc prediction success": (0, 2)})
        self.assertNotIn("scheduler_requests", s["inferload"])

    def test_envoy_and_the_scheduler_proxy_do_not_change_its_routing(self):
        with registry_sim() as sim:
            code, _, err, _ = run(sim, "load_predict_unload", "-u", "1", "-i", "2",
                                  env={"ENVOY": "false", "SCHEDULER_PROXY": "true", "USE_KUBE_CONTROL_PLANE": "true"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(set(stats["rest_seldon_model"]), {"iris0", "iris1"})
        self.assertEqual(stats["grpc_internal_model"], {})
        self.assertEqual(stats["scheduler_calls"]["LoadModel"], 2)
        self.assertNotIn("proxy.LoadModel", stats["scheduler_calls"])

    def test_a_model_that_fails_to_load_fails_its_check_and_ends_only_its_iteration(self):
        with registry_sim("--fail-model", "iris2", "--load-delay", "50ms") as sim:
            code, _, err, s = run(sim, "load_predict_unload", "-u", "2", "-i", "5")
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), 5)
        c = checks(s)
        self.assertEqual(c["load model success"], (5, 0))
        self.assertEqual(c["model status success"][1], 1)
        self.assertEqual(c["unload model success"], (4, 0))
        self.assertEqual(c["model http prediction success"], (4, 0))
        self.assertNotIn("iris2", stats["rest_seldon_model"])
        self.assertEqual((stats["rest_infer"], stats["not_found"]), (4, 0))
        self.assertEqual(stats["scheduler_calls"]["UnloadModel"], 4)
        self.assertEqual(s["metrics"]["checks"]["fails"], 1)

    def test_a_wait_that_outlasts_its_bound_fails_its_check(self):
        with registry_sim("--load-delay", "20s") as sim:
            t0 = time.monotonic()
            code, _, err, s = run(sim, "load_predict_unload", "-u", "1", "-i", "1", "--wait-timeout", "400ms")
            took = time.monotonic() - t0
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertLess(took, 10)
        passes, fails = checks(s)["model status success"]
        self.assertEqual(fails, 1)
        self.assertGreaterEqual(passes, 1)
        self.assertEqual(stats["rest_infer"] + stats["grpc_infer"], 0)
        self.assertNotIn("UnloadModel", stats["scheduler_calls"])

    def test_a_signal_ends_a_wait_at_once(self):
        with registry_sim("--load-delay", "20s") as sim:
            fd, export = tempfile.mkstemp(suffix=".json")
            os.close(fd)
            os.unlink(export)
            proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, "--summary-export", export, "load_predict_unload",
                                     "-u", "2", "-i", "2"], env=suite_env(sim), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            stopped_in = time.monotonic() - t0
            with open(export) as f:
                s = json.load(f)
            os.unlink(export)
        self.assertEqual(proc.returncode, 105, err)
        self.assertLess(stopped_in, 5)
        self.assertEqual(s["inferload"]["iterations_interrupted"], 2)
        self.assertEqual(checks(s)["load model success"], (2, 0))
        accounted = s["inferload"]["scheduler_requests"]
        self.assertEqual(accounted["issued"], accounted["ok"] + accounted["failed"] + accounted["timed_out"] +
                         accounted["interrupted"])


class Pipeline(unittest.TestCase):
    def test_each_iteration_calls_its_model_through_a_pipeline_of_its_own(self):
        with registry_sim("--load-delay", "50ms") as sim:
            code, _, err, s = run(sim, "scenarios/pipeline.js", "-u", "2", "-i", "4")
            stats = sim.stats()
            models = sim_models(sim)
        self.assertEqual(code, 0, err)
        self.assertEqual(set(stats["rest_seldon_model"]), names("iris", 4, ".pipeline"))
        self.assertEqual(set(stats["grpc_seldon_model"]), names("iris", 4, ".pipeline"))
        self.assertEqual((stats["rest_infer"], stats["grpc_infer"], stats["not_found"]), (4, 4, 0))
        calls = stats["scheduler_calls"]
        self.assertEqual((calls["LoadModel"], calls["LoadPipeline"], calls["UnloadModel"], calls["UnloadPipeline"]),
                         (4, 4, 4, 4))
        self.assertEqual({(p["name"], p["state"]) for p in models["pipelines"]},
                         {(n, "PipelineTerminated") for n in names("iris", 4)})
        self.assertEqual(stats["loaded_models"], 0)
        c = checks(s)
        for name in ("pipeline load success", "pipeline unload success", "load model success", "unload model success"):
            self.assertEqual(c[name], (4, 0), name)
        self.assertEqual(c["pipeline status success"], (calls["PipelineStatus"], 0))
        self.assertEqual(list(c), ["load model success", "model status success", "pipeline load success",
                                   "pipeline status success", "model http prediction success",
                                   "model grpc prediction success", "unload model success", "pipeline unload success"])

    def test_off_envoy_it_sends_the_internal_header(self):
        with registry_sim() as sim:
            code, _, err, _ = run(sim, "pipeline", "-u", "1", "-i", "2", env={"ENVOY": "false"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(set(stats["grpc_seldon_model"]), names("iris", 2, ".pipeline"))
        self.assertEqual(set(stats["grpc_internal_model"]), names("iris", 2))
        self.assertEqual(stats["not_found"], 0)


class Experiment(unittest.TestCase):
    def test_two_models_and_an_experiment_with_the_current_field_names(self):
        with registry_sim("--load-delay", "50ms") as sim:
            code, _, err, s = run(sim, "experiment", "-u", "2", "-i", "2", env={"EXPERIMENTNAME_PREFIX": "exp-"})
            stats = sim.stats()
            models = sim_models(sim)
        self.assertEqual(code, 0, err)
        calls = stats["scheduler_calls"]
        self.assertEqual((calls["LoadModel"], calls["UnloadModel"]), (4, 4))
        self.assertEqual((calls["StartExperiment"], calls["StopExperiment"]), (2, 2))
        self.assertGreaterEqual(calls["ExperimentStatus"], 4)
        # What StartExperiment carried, as the scheduler's current proto names it.
        experiments = {e["name"]: e for e in models["experiments"]}
        self.assertEqual(set(experiments), {"exp-0", "exp-1"})
        for i in range(2):
            e = experiments[f"exp-{i}"]
            self.assertEqual(e["default"], f"iris{i}_1")
            self.assertEqual(e["candidates"], [{"name": f"iris{i}_1", "weight": 50}, {"name": f"iris{i}_2", "weight": 50}])
            self.assertFalse(e["active"])  # stopped at the end of its iteration
        self.assertEqual({m["name"] for m in models["models"]}, names("iris", 2, "_1") | names("iris", 2, "_2"))
        # The load goes to model 1 by its own name.
        self.assertEqual(set(stats["rest_seldon_model"]), names("iris", 2, "_1"))
        self.assertEqual(set(stats["grpc_seldon_model"]), names("iris", 2, "_1"))
        self.assertEqual(stats["not_found"], 0)
        c = checks(s)
        self.assertEqual(c["start experiment success"], (2, 0))
        self.assertEqual(c["stop experiment success"], (2, 0))
        self.assertEqual(c["experiment status success"], (calls["ExperimentStatus"], 0))
        self.assertEqual(c["load model success"], (4, 0))

    def test_skip_unload_experiment_leaves_it_active(self):
        with registry_sim() as sim:
            code, _, err, s = run(sim, "experiment", "-u", "1", "-i", "1", env={"SKIP_UNLOAD_EXPERIMENT": "true"})
            stats = sim.stats()
            models = sim_models(sim)
        self.assertEqual(code, 0, err)
        self.assertEqual([(e["name"], e["active"]) for e in models["experiments"]], [("experiment0", True)])
        self.assertEqual(stats["loaded_models"], 2)
        self.assertNotIn("StopExperiment", stats["scheduler_calls"])

    def test_skip_load_experiment_leaves_the_loading_out(self):
        with registry_sim() as sim:
            env = {"SKIP_LOAD_EXPERIMENT": "true", "SKIP_UNLOAD_EXPERIMENT": "true", "SCHEDULER_ENDPOINT": f"127.0.0.1:{free_port()}"}
            code, _, err, s = run(sim, "experiment", "-u", "1", "-i", "1", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(stats["not_found"], 2)  # nothing loaded model 1
        self.assertEqual(set(checks(s)), {"model http prediction success", "model grpc prediction success"})


class PredictAgentOc(unittest.TestCase):
    def test_setup_loads_and_each_iteration_calls_every_model_of_type_zero_over_grpc(self):
        env = {"MODEL_TYPE": "tfsimple,iris", "MAX_NUM_MODELS": "3,2"}
        with registry_sim("--load-delay", "50ms") as sim:
            code, _, err, s = run(sim, "scenarios/predict_agent_oc.js", "-u", "2", "-i", "4", env=env)
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["setup"]["models_ready"], 5)
        self.assertEqual(s["inferload"]["teardown"]["models_unloaded"], 5)
        self.assertEqual(stats["grpc_seldon_model"], {"tfsimple0": 4, "tfsimple1": 4, "tfsimple2": 4})
        self.assertEqual((stats["grpc_infer"], stats["rest_infer"], stats["not_found"]), (12, 0, 0))
        self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 12)
        self.assertEqual(checks(s), {"model grpc prediction success": (12, 0)})
        self.assertEqual(count(s, "iterations"), 4)
        # Its two thresholds are registered, and hold.
        self.assertFalse(s["metrics"]["grpc_req_duration{scenario:default}"]["thresholds"]["max>=0"])
        self.assertIn("http_req_duration{scenario:default}", s["metrics"])
        self.assertNotIn("scheduler_req_duration", s["metrics"])


class KubernetesOnly(unittest.TestCase):
    def test_the_kubernetes_only_scripts_are_refused_in_one_line(self):
        with registry_sim() as sim:
            for script in ("k8s-test-script", "scenarios/core2_qa_control_plane_ops.js",
                           "scenarios/pipeline/1_model_pipeline.js",
                           "scenarios/pipeline/scalability/parallel_pipeline.js",
                           "pipeline/scalability/scale_modelgw_during_test"):
                code, out, err, s = run(sim, script, "-u", "1", "-i", "1")
                self.assertEqual(code, 104, script)
                self.assertIsNone(s, script)
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn("needs the Kubernetes control plane", lines[0])
                self.assertIn("does not drive yet", lines[0])
                self.assertNotIn("unknown scenario", lines[0])
                self.assertEqual(out, "")
            self.assertEqual(sim.stats().get("scheduler_calls", {}), {})


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
