#!/usr/bin/env python3
"""Contract test of scv2-sim's scheduler (--scheduler-port) and model registry (--models registry).

The scheduler API is driven through SCHEDULER_PROBE (tests/tools/scheduler_probe.cpp, a grpc++
client that prints each streamed message as one JSON line and then "status CODE[: message]"), the
gRPC data plane through GRPC_PROBE, REST with the standard library. SCV2_SIM names the simulator.
"""

import http.client
import json
import os
import select
import subprocess
import time
import unittest

from peers import wait_for
from sim_contract_test import Sim, tfsimple_request

SIM = os.environ.get("SCV2_SIM", "")
GRPC_PROBE = os.environ.get("GRPC_PROBE", "")
SCHEDULER_PROBE = os.environ.get("SCHEDULER_PROBE", "")
HAVE_BINARIES = all(p and os.access(p, os.X_OK) for p in (SIM, GRPC_PROBE, SCHEDULER_PROBE))
NEEDS_BINARIES = "SCV2_SIM, GRPC_PROBE and SCHEDULER_PROBE must name the binaries"

DELAY = 0.8  # --load-delay of the lifecycle tests: long enough to see every intermediate state


def timestamp_ns(text):
    """An RFC 3339 timestamp as protobuf's JSON prints it, in ns since the day began (enough to
    subtract two timestamps of one test)."""
    clock = text.rstrip("Z").split("T")[1]
    hms, _, fraction = clock.partition(".")
    h, m, s = (int(x) for x in hms.split(":"))
    return ((h * 60 + m) * 60 + s) * 10**9 + int((fraction + "000000000")[:9])


class Scheduler:
    """scheduler_probe against one simulator's scheduler port."""

    def __init__(self, sim):
        self.target = sim.scheduler_target

    def call(self, command, *args):
        """Returns (messages, code, status line) of one call."""
        p = subprocess.run([SCHEDULER_PROBE, self.target, command, *args],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, f"scheduler_probe exited {p.returncode}: {p.stderr}"
        lines = p.stdout.splitlines()
        assert lines and lines[-1].startswith("status "), p.stdout
        status = lines[-1][len("status "):]
        return [json.loads(line) for line in lines[:-1]], status.split(":", 1)[0], status

    def ok(self, command, *args):
        messages, code, status = self.call(command, *args)
        assert code == "OK", f"{command} {args}: {status}"
        return messages

    def model(self, name, *args):
        """The one ModelStatusResponse of a named status call."""
        messages = self.ok("model-status", name, *args)
        assert len(messages) == 1, messages
        return messages[0]

    def model_state(self, name):
        return self.model(name)["versions"][-1]["state"]["state"]

    def pipeline_state(self, name):
        messages = self.ok("pipeline-status", name)
        assert len(messages) == 1, messages
        return messages[0]["versions"][-1]["state"]["status"]

    def experiment(self, name):
        messages = self.ok("experiment-status", name)
        assert len(messages) == 1, messages
        return messages[0]


def rest(sim, method, path, seldon_model=None, body=None):
    """One request on a new connection; returns (status, parsed JSON body or None)."""
    c = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        headers = {"Content-Type": "application/json"}
        if seldon_model is not None:
            headers["seldon-model"] = seldon_model
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)
    finally:
        c.close()


def rest_infer(sim, name, seldon_model=None):
    """As SCv2's suite sends it: the name in the path, seldon-model as given (default: the name)."""
    status, _ = rest(sim, "POST", f"/v2/models/{name}/infer",
                     name if seldon_model is None else seldon_model,
                     json.dumps(tfsimple_request()).encode())
    return status


def grpc_infer(sim, name, seldon_model=None):
    """One ModelInfer call; returns its status name."""
    counts, _ = sim.probe(1, "--model", name, "--metadata",
                          f"seldon-model={name if seldon_model is None else seldon_model}")
    (code,) = counts
    return code


@unittest.skipUnless(HAVE_BINARIES, NEEDS_BINARIES)
class RegistryLifecycleTest(unittest.TestCase):
    """--models registry with a load delay: what is served, when, and what the scheduler says.
    One simulator for the class; each test uses names of its own."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--threads", "2", "--grpc-port", "0", "--scheduler-port", "0",
                      "--models", "registry", "--load-delay", f"{int(DELAY * 1000)}ms",
                      "--fail-model", "broken", "--fail-model", "broken_step")
        cls.scheduler = Scheduler(cls.sim)

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.stop()
        assert rc == 0, f"scv2-sim exited {rc} after SIGTERM"

    def load_available(self, name, *args):
        self.scheduler.ok("load-model", name, *args)
        wait_for(f"{name} available", lambda: self.scheduler.model_state(name) == "ModelAvailable")

    def test_prints_http_grpc_then_scheduler_line_and_nothing_more(self):
        self.assertTrue(self.sim.line.startswith("http 127.0.0.1:"))
        self.assertTrue(self.sim.grpc_line.startswith("grpc 127.0.0.1:"))
        self.assertTrue(self.sim.scheduler_line.startswith("scheduler 127.0.0.1:"))
        more, _, _ = select.select([self.sim.proc.stdout], [], [], 0.1)
        self.assertFalse(more, "scv2-sim printed more than its three listener lines")

    def test_a_model_never_loaded_is_refused_and_counted(self):
        before = self.sim.stats()
        status, body = rest(self.sim, "POST", "/v2/models/ghost/infer", "ghost",
                            json.dumps(tfsimple_request()).encode())
        self.assertEqual(status, 404)
        self.assertIn("ghost", body["error"])
        self.assertEqual(grpc_infer(self.sim, "ghost"), "NOT_FOUND")
        self.assertEqual(grpc_infer(self.sim, "ghost"), "NOT_FOUND")
        self.assertEqual(rest(self.sim, "GET", "/v2/models/ghost/ready")[0], 404)
        self.assertEqual(rest(self.sim, "GET", "/v2/pipelines/ghost/ready")[0], 404)
        after = self.sim.stats()
        self.assertEqual(after["not_found"] - before["not_found"], 3)
        # Refusals count as nothing else.
        for key in ("rest_infer", "rest_ready", "grpc_infer"):
            self.assertEqual(after[key], before[key], key)

    def test_a_loaded_model_is_progressing_then_available_and_served(self):
        sent = time.monotonic()
        self.scheduler.ok("load-model", "m1", "--uri", "gs://seldon-models/testing/iris1",
                          "--requirement", "sklearn", "--memory", "20000", "--replicas", "3")
        first = self.scheduler.model("m1")
        self.assertEqual(first["modelName"], "m1")
        self.assertEqual(len(first["versions"]), 1)
        progressing = first["versions"][0]
        self.assertEqual(progressing["version"], 1)
        self.assertEqual(progressing["state"]["state"], "ModelProgressing")
        self.assertNotIn("availableReplicas", progressing["state"])
        self.assertEqual(rest_infer(self.sim, "m1"), 404)
        self.assertEqual(grpc_infer(self.sim, "m1"), "NOT_FOUND")
        self.assertEqual(rest(self.sim, "GET", "/v2/models/m1/ready")[0], 404)

        wait_for("m1 available", lambda: self.scheduler.model_state("m1") == "ModelAvailable")
        self.assertGreaterEqual(time.monotonic() - sent, DELAY)
        available = self.scheduler.model("m1")["versions"][0]
        state = available["state"]
        self.assertEqual(state["availableReplicas"], 3)
        self.assertEqual(timestamp_ns(state["lastChangeTimestamp"]) -
                         timestamp_ns(progressing["state"]["lastChangeTimestamp"]),
                         int(DELAY * 1e9))
        self.assertEqual(sorted(available["modelReplicaState"]), ["0", "1", "2"])
        for replica in available["modelReplicaState"].values():
            self.assertEqual(replica["state"], "Available")
        self.assertEqual(available["modelDefn"], {
            "meta": {"name": "m1"},
            "modelSpec": {"uri": "gs://seldon-models/testing/iris1", "requirements": ["sklearn"],
                          "memoryBytes": "20000"},  # uint64 in protobuf's JSON is a string
            "deploymentSpec": {"replicas": 3},
        })
        self.assertEqual(rest_infer(self.sim, "m1"), 200)
        self.assertEqual(grpc_infer(self.sim, "m1"), "OK")
        self.assertEqual(rest(self.sim, "GET", "/v2/models/m1/ready")[0], 200)
        self.assertGreaterEqual(self.sim.stats()["loaded_models"], 1)

    def test_versioned_names_follow_the_model_version(self):
        self.load_available("m2", "--memory", "1000")
        for name in ("m2_1", "m2_0"):  # scheduler direct, scheduler proxy
            with self.subTest(name=name):
                self.assertEqual(rest_infer(self.sim, name), 200)
                self.assertEqual(grpc_infer(self.sim, name), "OK")
        self.assertEqual(rest_infer(self.sim, "m2_2"), 404)
        # The path names the model when there is no seldon-model header, as envoy's filter does.
        self.assertEqual(rest(self.sim, "POST", "/v2/models/m2_1/infer",
                              body=json.dumps(tfsimple_request()).encode())[0], 200)

        self.scheduler.ok("load-model", "m2", "--memory", "1000")  # the same spec: no new version
        self.assertEqual(len(self.scheduler.model("m2", "--all-versions")["versions"]), 1)
        self.scheduler.ok("load-model", "m2", "--memory", "2000")  # a new spec: version 2
        # Version 1 serves until version 2 is available.
        self.assertEqual(rest_infer(self.sim, "m2_1"), 200)
        wait_for("m2 version 2", lambda: self.scheduler.model("m2")["versions"][0]["state"]
                 ["state"] == "ModelAvailable")
        versions = self.scheduler.model("m2", "--all-versions")["versions"]
        self.assertEqual([(v["version"], v["state"]["state"]) for v in versions],
                         [(1, "ModelTerminated"), (2, "ModelAvailable")])
        latest = self.scheduler.model("m2")["versions"]
        self.assertEqual([v["version"] for v in latest], [2])
        self.assertEqual(rest_infer(self.sim, "m2_2"), 200)
        self.assertEqual(rest_infer(self.sim, "m2_1"), 404)
        self.assertEqual(rest_infer(self.sim, "m2"), 200)

    def test_a_pipeline_is_served_through_its_seldon_model_header_once_ready(self):
        # As the suite names them: the pipeline has its model's name.
        self.scheduler.ok("load-pipeline", "pm", "--step", "pm")
        self.assertEqual(self.scheduler.pipeline_state("pm"), "PipelineCreating")
        time.sleep(DELAY + 0.1)
        self.assertEqual(self.scheduler.pipeline_state("pm"), "PipelineCreating",
                         "ready although its step model was never loaded")
        self.assertEqual(rest_infer(self.sim, "pm", "pm.pipeline"), 404)

        self.load_available("pm")
        self.assertEqual(rest_infer(self.sim, "pm"), 200)  # the model itself
        wait_for("pm ready", lambda: self.scheduler.pipeline_state("pm") == "PipelineReady")
        response = self.scheduler.ok("pipeline-status", "pm")[0]
        self.assertEqual(response["pipelineName"], "pm")
        version = response["versions"][0]
        self.assertEqual(version["pipeline"]["steps"], [{"name": "pm"}])
        self.assertEqual(version["state"]["pipelineVersion"], 1)
        self.assertTrue(version["state"]["modelsReady"])
        self.assertEqual(rest_infer(self.sim, "pm", "pm.pipeline"), 200)
        self.assertEqual(rest_infer(self.sim, "pm_1", "pm_1.pipeline"), 200)
        self.assertEqual(grpc_infer(self.sim, "pm", "pm.pipeline"), "OK")
        self.assertEqual(rest(self.sim, "GET", "/v2/pipelines/pm/ready")[0], 200)

        self.scheduler.ok("unload-pipeline", "pm")
        self.assertEqual(rest_infer(self.sim, "pm", "pm.pipeline"), 404)
        self.assertEqual(rest(self.sim, "GET", "/v2/pipelines/pm/ready")[0], 404)
        self.assertEqual(rest_infer(self.sim, "pm"), 200, "unloading a pipeline keeps its model")
        wait_for("pm terminated",
                 lambda: self.scheduler.pipeline_state("pm") == "PipelineTerminated")

    def test_a_failing_model_fails_with_a_reason_and_is_never_served(self):
        self.scheduler.ok("load-model", "broken", "--replicas", "2")
        self.assertEqual(self.scheduler.model_state("broken"), "ModelProgressing")
        wait_for("broken failed",
                 lambda: self.scheduler.model_state("broken") != "ModelProgressing")
        version = self.scheduler.model("broken")["versions"][0]
        self.assertEqual(version["state"]["state"], "ModelFailed")
        self.assertIn("--fail-model", version["state"]["reason"])
        self.assertEqual([r["state"] for r in version["modelReplicaState"].values()],
                         ["LoadFailed", "LoadFailed"])
        for replica in version["modelReplicaState"].values():
            self.assertTrue(replica["reason"])
        self.assertEqual(rest_infer(self.sim, "broken"), 404)
        self.assertEqual(grpc_infer(self.sim, "broken"), "NOT_FOUND")
        time.sleep(0.2)
        self.assertEqual(self.scheduler.model_state("broken"), "ModelFailed")

    def test_a_pipeline_on_a_failed_model_fails(self):
        self.scheduler.ok("load-model", "broken_step")
        self.scheduler.ok("load-pipeline", "pb", "--step", "broken_step")
        wait_for("pb failed", lambda: self.scheduler.pipeline_state("pb") == "PipelineFailed")
        state = self.scheduler.ok("pipeline-status", "pb")[0]["versions"][0]["state"]
        self.assertIn("broken_step", state["reason"])
        self.assertEqual(rest_infer(self.sim, "pb", "pb.pipeline"), 404)

    def test_unloading_stops_serving_at_once_and_terminates_after_the_delay(self):
        self.load_available("m5")
        loaded = self.sim.stats()["loaded_models"]
        self.assertEqual(rest_infer(self.sim, "m5"), 200)
        self.scheduler.ok("unload-model", "m5")
        self.assertEqual(rest_infer(self.sim, "m5"), 404)
        self.assertEqual(grpc_infer(self.sim, "m5"), "NOT_FOUND")
        self.assertEqual(self.sim.stats()["loaded_models"], loaded - 1)
        response = self.scheduler.model("m5")
        self.assertEqual(response["versions"][0]["state"]["state"], "ModelTerminating")
        self.assertTrue(response["deleted"])
        # A load while it terminates is refused, as SCv2's scheduler refuses it.
        _, code, _ = self.scheduler.call("load-model", "m5")
        self.assertEqual(code, "FAILED_PRECONDITION")
        wait_for("m5 terminated", lambda: self.scheduler.model_state("m5") == "ModelTerminated")
        self.scheduler.ok("unload-model", "m5")  # still known: OK again
        # Once terminated it loads afresh, from version 1.
        self.load_available("m5")
        self.assertEqual(self.scheduler.model("m5")["versions"][0]["version"], 1)
        self.assertEqual(rest_infer(self.sim, "m5_1"), 200)

    def test_an_experiment_is_active_once_its_candidates_exist(self):
        self.load_available("ea")
        self.scheduler.ok("start-experiment", "ex", "--default", "ea",
                          "--candidate", "ea:50", "--candidate", "eb:50")
        time.sleep(DELAY + 0.1)
        self.assertFalse(self.scheduler.experiment("ex").get("active", False),
                         "active without its candidate eb")
        self.assertEqual(rest_infer(self.sim, "ea", "ex.experiment"), 404)
        self.load_available("eb")
        status = wait_for("ex active", lambda: (lambda e: e.get("active") and e)(
            self.scheduler.experiment("ex")))
        self.assertEqual(status["experimentName"], "ex")
        self.assertTrue(status["candidatesReady"])
        self.assertEqual(rest_infer(self.sim, "ea", "ex.experiment"), 200)
        self.assertEqual(grpc_infer(self.sim, "ea", "ex.experiment"), "OK")
        self.scheduler.ok("stop-experiment", "ex")
        self.assertFalse(self.scheduler.experiment("ex").get("active", False))
        self.assertEqual(rest_infer(self.sim, "ea", "ex.experiment"), 404)


@unittest.skipUnless(HAVE_BINARIES, NEEDS_BINARIES)
class SchedulerApiTest(unittest.TestCase):
    """The scheduler API's shape, refusals, records and counters, each on a fresh simulator
    (no delay) so that counts are exact."""

    def setUp(self):
        self.sim = Sim("--grpc-port", "0", "--scheduler-port", "0", "--models", "registry")
        self.addCleanup(lambda: self.assertEqual(self.sim.stop(), 0))
        self.scheduler = Scheduler(self.sim)

    def test_status_streams_one_message_per_name_or_per_object(self):
        for name in ("c", "a", "b"):
            self.scheduler.ok("load-model", name)
        messages = self.scheduler.ok("model-status")  # the list form: read to the end
        self.assertEqual([m["modelName"] for m in messages], ["a", "b", "c"])
        self.assertEqual(len(self.scheduler.ok("model-status", "b")), 1)
        self.scheduler.ok("load-model", "b", "--memory", "5")  # version 2 of b
        listed = {m["modelName"]: m for m in self.scheduler.ok("model-status")}
        self.assertEqual([v["version"] for v in listed["b"]["versions"]], [2])
        self.assertEqual(len(self.scheduler.model("b", "--all-versions")["versions"]), 2)

        for name in ("p2", "p1"):
            self.scheduler.ok("load-pipeline", name, "--step", "a")
        messages = self.scheduler.ok("pipeline-status")
        self.assertEqual([m["pipelineName"] for m in messages], ["p1", "p2"])
        self.assertEqual(len(self.scheduler.ok("pipeline-status", "p1")), 1)

        self.scheduler.ok("start-experiment", "e1", "--candidate", "a:100")
        self.scheduler.ok("start-experiment", "e2", "--candidate", "b:100")
        messages = self.scheduler.ok("experiment-status")
        self.assertEqual([m["experimentName"] for m in messages], ["e1", "e2"])
        self.assertEqual(len(self.scheduler.ok("experiment-status", "e2")), 1)

    def test_refusals(self):
        cases = [
            (("load-model", ""), "INVALID_ARGUMENT"),
            (("load-pipeline", "", "--step", "a"), "INVALID_ARGUMENT"),
            (("start-experiment", "", "--candidate", "a:1"), "INVALID_ARGUMENT"),
            (("load-model", "huge", "--replicas", "1001"), "INVALID_ARGUMENT"),
            (("unload-model", "nope"), "FAILED_PRECONDITION"),
            (("unload-pipeline", "nope"), "FAILED_PRECONDITION"),
            (("stop-experiment", "nope"), "FAILED_PRECONDITION"),
            (("model-status", "nope"), "FAILED_PRECONDITION"),
            (("pipeline-status", "nope"), "FAILED_PRECONDITION"),
            (("experiment-status", "nope"), "FAILED_PRECONDITION"),
            (("proxy-unload-model", "nope"), "FAILED_PRECONDITION"),
            (("proxy-load-model", ""), "INVALID_ARGUMENT"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                messages, code, status = self.scheduler.call(*args)
                self.assertEqual(code, expected, status)
                self.assertEqual(messages, [], "a refused stream must carry no message")
                self.assertGreater(len(status), len(code) + 2, "a refusal needs a message")
        self.assertEqual(self.scheduler.ok("model-status"), [])

    def test_the_proxy_loads_and_unloads_models(self):
        self.scheduler.ok("proxy-load-model", "px", "--uri", "gs://x", "--replicas", "2")
        self.assertEqual(self.scheduler.model_state("px"), "ModelAvailable")
        self.assertEqual(rest_infer(self.sim, "px_0"), 200)  # the proxy path's name
        self.assertEqual(grpc_infer(self.sim, "px_0"), "OK")
        self.assertEqual(self.scheduler.model("px")["versions"][0]["modelDefn"]["deploymentSpec"],
                         {"replicas": 2})
        self.scheduler.ok("proxy-unload-model", "px")
        self.assertEqual(rest_infer(self.sim, "px_0"), 404)
        self.assertEqual(self.scheduler.model_state("px"), "ModelTerminated")

    def test_sim_models_records_what_was_sent(self):
        self.scheduler.ok("load-model", "iris0", "--uri", "gs://seldon-models/testing/iris1",
                          "--requirement", "sklearn", "--requirement", "python",
                          "--memory", "400000", "--replicas", "3")
        self.scheduler.ok("load-model", "bare")
        self.scheduler.ok("load-pipeline", "iris0", "--step", "iris0", "--step", "bare")
        self.scheduler.ok("start-experiment", "ab", "--default", "iris0",
                          "--candidate", "iris0:30", "--candidate", "bare:70")
        self.scheduler.ok("start-experiment", "nodefault", "--candidate", "bare:1")
        self.scheduler.ok("unload-model", "bare")
        status, doc = rest(self.sim, "GET", "/sim/models")
        self.assertEqual(status, 200)
        self.assertEqual(doc, {
            "models": [
                {"name": "bare", "version": 1, "state": "ModelTerminated", "uri": "",
                 "requirements": [], "memory_bytes": None, "replicas": 0},
                {"name": "iris0", "version": 1, "state": "ModelAvailable",
                 "uri": "gs://seldon-models/testing/iris1", "requirements": ["sklearn", "python"],
                 "memory_bytes": 400000, "replicas": 3},
            ],
            "pipelines": [
                {"name": "iris0", "state": "PipelineCreating", "steps": ["iris0", "bare"]},
            ],
            "experiments": [
                {"name": "ab", "active": False, "default": "iris0",
                 "candidates": [{"name": "iris0", "weight": 30}, {"name": "bare", "weight": 70}]},
                {"name": "nodefault", "active": False, "default": None,
                 "candidates": [{"name": "bare", "weight": 1}]},
            ],
        })

    def test_every_call_is_counted_by_rpc_name_and_reset_zeroes_them(self):
        self.scheduler.ok("load-model", "a")
        self.scheduler.ok("load-model", "a")
        self.scheduler.call("load-model", "")  # refused calls count too
        self.scheduler.ok("model-status", "a")
        self.scheduler.ok("model-status")
        self.scheduler.ok("load-pipeline", "a", "--step", "a")
        self.scheduler.ok("pipeline-status")
        self.scheduler.ok("start-experiment", "e", "--candidate", "a:1")
        self.scheduler.ok("experiment-status", "e")
        self.scheduler.ok("stop-experiment", "e")
        self.scheduler.ok("unload-pipeline", "a")
        self.scheduler.ok("unload-model", "a")
        self.scheduler.ok("proxy-load-model", "b")
        self.scheduler.ok("proxy-unload-model", "b")
        self.assertEqual(self.sim.stats()["scheduler_calls"], {
            "LoadModel": 3, "ModelStatus": 2, "LoadPipeline": 1, "PipelineStatus": 1,
            "StartExperiment": 1, "ExperimentStatus": 1, "StopExperiment": 1,
            "UnloadPipeline": 1, "UnloadModel": 1, "proxy.LoadModel": 1, "proxy.UnloadModel": 1,
        })
        self.sim.reset()
        self.assertEqual(self.sim.stats()["scheduler_calls"], {})


@unittest.skipUnless(HAVE_BINARIES, NEEDS_BINARIES)
class AnyModeTest(unittest.TestCase):
    """The default --models any serves every name, with or without a scheduler."""

    def test_every_name_is_served_and_nothing_is_refused(self):
        sim = Sim("--grpc-port", "0", "--scheduler-port", "0")
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        self.assertEqual(rest_infer(sim, "never_loaded"), 200)
        self.assertEqual(rest_infer(sim, "p", "p.pipeline"), 200)
        self.assertEqual(grpc_infer(sim, "never_loaded"), "OK")
        self.assertEqual(rest(sim, "GET", "/v2/models/never_loaded/ready")[0], 200)
        self.assertEqual(rest(sim, "GET", "/v2/pipelines/never_loaded/ready")[0], 200)
        Scheduler(sim).ok("load-model", "m")
        stats = sim.stats()
        self.assertEqual(stats["not_found"], 0)
        self.assertEqual(stats["loaded_models"], 1)  # the scheduler still keeps its records
        self.assertEqual(stats["rest_infer_ok"], 2)

    def test_without_a_scheduler_stats_have_no_scheduler_calls(self):
        sim = Sim()
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        stats = sim.stats()
        self.assertNotIn("scheduler_calls", stats)
        self.assertEqual((stats["not_found"], stats["loaded_models"]), (0, 0))
        self.assertEqual(rest(sim, "GET", "/sim/models"),
                         (200, {"models": [], "pipelines": [], "experiments": []}))

    def test_scheduler_line_follows_http_without_grpc(self):
        sim = Sim("--scheduler-port", "0")
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        self.assertIsNone(sim.grpc_line)
        self.assertTrue(sim.scheduler_line.startswith("scheduler 127.0.0.1:"))
        Scheduler(sim).ok("load-model", "m")
        self.assertEqual(sim.stats()["scheduler_calls"], {"LoadModel": 1})


if __name__ == "__main__":
    if not SIM:
        raise SystemExit("set SCV2_SIM to the path of the scv2-sim binary")
    unittest.main(verbosity=2)
