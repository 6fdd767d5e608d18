"""inferload's own control-plane client (scv2::SchedulerClient and ControlPlane, on its own HTTP/2
and gRPC code) against scv2-sim's grpc++ scheduler: every RPC setup, teardown and the lifecycle
scenarios use, the status streams in their named and list forms read to their end, the
scheduler's errors with its message, the proxy, and a scheduler that is not there.

Environment: CONTROL_PLANE_PROBE (tests/tools/control_plane_probe.cpp), INFERLOAD, SCV2_SIM,
INFERLOAD_IO (the probe's I/O backend).
"""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, free_port, main_for_backend, wait_for  # noqa: E402

PROBE = os.environ["CONTROL_PLANE_PROBE"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")


class Client:
    def __init__(self, target, proxy=False):
        self.target = target
        self.proxy = proxy

    def call(self, *args):
        """(objects printed, status line) of one call through inferload's client."""
        cmd = [PROBE, "--io", IO, *(["--proxy"] if self.proxy else []), self.target, *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        assert p.returncode == 0, f"{args}: exit {p.returncode}: {p.stderr}"
        lines = p.stdout.splitlines()
        assert lines and lines[-1].startswith("status "), p.stdout
        return [json.loads(line) for line in lines[:-1]], lines[-1][len("status "):]

    def ok(self, *args):
        objects, status = self.call(*args)
        assert status == "OK", f"{args}: {status}"
        return objects

    def one(self, *args):
        objects = self.ok(*args)
        assert len(objects) == 1, objects
        return objects[0]


def sim_json(sim, path):
    with urllib.request.urlopen(sim.url + path, timeout=5) as r:
        return json.loads(r.read())


class ControlPlaneClient(unittest.TestCase):
    def setUp(self):
        self.sim = Sim(SCV2_SIM, "--scheduler-port", "0", "--models", "registry", "--load-delay", "300ms",
                       "--fail-model", "broken")
        self.c = Client(self.sim.scheduler)

    def tearDown(self):
        self.sim.stop()

    def test_a_model_is_loaded_as_sent_watched_to_available_and_unloaded(self):
        self.ok_load("m1", "--uri", "gs://seldon-models/testing/iris1", "--requirement", "sklearn",
                     "--memory", "3000000", "--replicas", "2")
        loaded = {m["name"]: m for m in sim_json(self.sim, "/sim/models")["models"]}
        self.assertEqual((loaded["m1"]["uri"], loaded["m1"]["requirements"], loaded["m1"]["memory_bytes"],
                          loaded["m1"]["replicas"]), ("gs://seldon-models/testing/iris1", ["sklearn"], 3000000, 2))
        first = self.c.one("model-status", "m1")
        self.assertEqual((first["found"], first["state"], first["version"]), (True, "ModelProgressing", 1))
        wait_for("the state", lambda: self.c.one("model-status", "m1")["state"] == "ModelAvailable")
        self.assertEqual(self.sim.stats()["loaded_models"], 1)
        self.c.ok("unload-model", "m1")
        wait_for("the state", lambda: self.c.one("model-status", "m1")["state"] == "ModelTerminated")
        self.assertEqual(self.sim.stats()["loaded_models"], 0)

    def ok_load(self, name, *args):
        self.c.ok("load-model", name, *args)

    def test_a_failing_model_reads_as_failed_with_the_schedulers_reason(self):
        self.ok_load("broken")
        status = wait_for("the state", lambda: (lambda s: s if s["state"] != "ModelProgressing" else None)(
            self.c.one("model-status", "broken")))
        self.assertEqual(status["state"], "ModelFailed")
        self.assertTrue(status["failed"])
        self.assertNotEqual(status["reason"], "")

    def test_the_list_forms_read_every_object_to_the_end_of_the_stream(self):
        for name in ("a", "b", "c"):
            self.ok_load(name)
        models = self.c.ok("list-models")
        self.assertEqual(sorted(m["name"] for m in models), ["a", "b", "c"])
        wait_for("the state", lambda: all(m["state"] == "ModelAvailable" for m in self.c.ok("list-models")))
        self.c.ok("load-pipeline", "pa", "a")
        self.c.ok("load-pipeline", "pb", "b")
        pipelines = wait_for("the state", lambda: (lambda ps: ps if all(p["status"] == "PipelineReady" for p in ps) else None)(
            self.c.ok("list-pipelines")))
        self.assertEqual(sorted(p["name"] for p in pipelines), ["pa", "pb"])
        self.c.ok("start-experiment", "x", "a", "a:50", "b:50")
        experiments = wait_for("the state", lambda: (lambda es: es if es and es[0]["active"] else None)(
            self.c.ok("list-experiments")))
        self.assertEqual([e["name"] for e in experiments], ["x"])
        # The current field names: default and candidates by name, as the scheduler reads them.
        sent = sim_json(self.sim, "/sim/models")["experiments"][0]
        self.assertEqual((sent["default"], sorted(c["name"] for c in sent["candidates"])), ("a", ["a", "b"]))
        self.c.ok("stop-experiment", "x")
        wait_for("the state", lambda: not self.c.one("experiment-status", "x")["active"])
        self.c.ok("unload-pipeline", "pa")
        wait_for("the state", lambda: self.c.one("pipeline-status", "pa")["status"] == "PipelineTerminated")
        self.assertGreaterEqual(self.sim.stats()["scheduler_calls"]["PipelineStatus"], 2)

    def test_the_schedulers_errors_come_back_with_its_message(self):
        objects, status = self.c.call("model-status", "nobody")
        self.assertEqual(objects, [])
        self.assertTrue(status.startswith("FAILED_PRECONDITION: "), status)
        self.assertIn("nobody", status)
        _, status = self.c.call("unload-model", "nobody")
        self.assertTrue(status.startswith("FAILED_PRECONDITION"), status)
        _, status = self.c.call("load-model", "")
        self.assertTrue(status.startswith("INVALID_ARGUMENT"), status)

    def test_the_proxy_loads_and_unloads(self):
        proxy = Client(self.sim.scheduler, proxy=True)
        proxy.ok("load-model", "viaproxy", "--memory", "500")
        proxy.ok("unload-model", "viaproxy")
        calls = self.sim.stats()["scheduler_calls"]
        self.assertEqual((calls.get("proxy.LoadModel"), calls.get("proxy.UnloadModel")), (1, 1))
        self.assertNotIn("LoadModel", calls)

    def test_a_scheduler_that_is_not_there_is_unavailable(self):
        _, status = Client(f"127.0.0.1:{free_port()}").call("list-models")
        self.assertEqual(status, "UNAVAILABLE: dial: connection refused")


if __name__ == "__main__":
    main_for_backend(os.environ["INFERLOAD"], IO)  # skipped on io_uring where it is refused
