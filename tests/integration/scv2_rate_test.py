"""The suite's open-loop scripts end to end: infer_constant_rate, infer_multiple_rates and
model_constant_rate run their own scenarios from the suite's env vars, with the protocol INFER_TYPE
names, and model_constant_rate sends only to models that exist.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import collections
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Nginx, Sim, main_for_backend, run_with_export  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")


def run(http_url, *args, env=None, grpc=None, timeout=120):
    """`inferload run` with the suite's env vars; returns (exit code, stdout, stderr, export)."""
    full_env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=http_url, MODEL_TYPE="iris")
    if grpc:
        full_env["INFER_GRPC_ENDPOINT"] = grpc
    full_env.update(env or {})
    return run_with_export([INFERLOAD, "run", "--io", IO, *args], full_env, timeout)


def count(summary, name):
    m = summary["metrics"].get(name)
    return m["count"] if m else 0


def ramping_iterations(start_rate, stages):
    """Iterations a ramping-arrival-rate scenario starts: the k-th is due when the area under the
    rate reaches k, and only those due strictly before the end run."""
    area, rate = 0.0, start_rate
    for seconds, target in stages:
        area += (rate + target) / 2 * seconds
        rate = target
    n = math.floor(area)
    return n - 1 if n == area else n


def models_served(nginx):
    """Infer requests nginx has logged, per model name."""
    names = collections.Counter()
    with open(nginx.access_log) as f:
        for line in f:
            method, uri, _ = line.split(" ", 2)
            if method == "POST" and uri.startswith("/v2/models/") and uri.endswith("/infer"):
                names[uri[len("/v2/models/"):-len("/infer")]] += 1
    return names


class InferConstantRate(unittest.TestCase):
    def test_rest_by_default_at_the_request_rate(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, out, err, s = run(sim.url, "infer_constant_rate", grpc=sim.grpc,
                                    env={"REQUEST_RATE": "50", "CONSTANT_RATE_DURATION_SECONDS": "2"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), 100)
        self.assertEqual(stats["rest_infer"], 100)
        self.assertEqual(stats["grpc_infer"], 0)
        self.assertIn("* constant_request_rate: 50.00 iterations/s for 2s (maxVUs: 1-1000, gracefulStop: 30s)", out)
        # The script's {scenario:default} thresholds register submetrics that get no samples, as in k6.
        self.assertEqual(count(s, "http_reqs{scenario:default}"), 0)
        self.assertEqual(count(s, "http_reqs"), 100)

    def test_any_other_infer_type_is_grpc(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, out, err, s = run(sim.url, "scenarios/infer_constant_rate.js", grpc=sim.grpc,
                                    env={"REQUEST_RATE": "50", "CONSTANT_RATE_DURATION_SECONDS": "2",
                                         "INFER_TYPE": "GRPC"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), 100)
        self.assertEqual(stats["grpc_infer"], 100)
        self.assertEqual(stats["rest_infer"], 0)
        self.assertTrue(s["inferload"]["grpc"]["connections"].startswith("pooled"))

    def test_infer_type_with_its_protocol_off_is_refused(self):
        with Sim(SCV2_SIM) as sim:
            code, _, err, _ = run(sim.url, "infer_constant_rate", env={"INFER_HTTP_ITERATIONS": "0"})
        self.assertEqual(code, 104, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("INFER_HTTP_ITERATIONS", err)


class InferMultipleRates(unittest.TestCase):
    def test_the_stages_start_the_area_under_the_rate(self):
        # startRate 5; ramp ceil(3/3) = 1 s to 20, hold 3 s; ramp 1 s to 40, hold 3 s.
        expected = ramping_iterations(5, [(1, 20), (3, 20), (1, 40), (3, 40)])
        with Sim(SCV2_SIM) as sim:
            code, out, err, s = run(sim.url, "infer_multiple_rates",
                                    env={"REQUEST_RATES": "20,40", "CONSTANT_RATE_DURATIONS_SECONDS": "3,3",
                                         "INFER_GRPC_ITERATIONS": "0"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), expected)
        self.assertEqual(stats["rest_infer"], expected)
        self.assertIn("* ramping_request_rates: Up to 40.00 iterations/s for 8s over 4 stages", out)
        self.assertEqual(count(s, "http_reqs{scenario:default}"), 0)
        self.assertIn("http_reqs{scenario:default}", s["metrics"])


class ModelConstantRate(unittest.TestCase):
    def test_the_default_range_has_only_models_that_exist(self):
        with Nginx() as nginx:
            code, out, err, s = run(nginx.url, "model_constant_rate",
                                    env={"REQUEST_RATE": "50", "CONSTANT_RATE_DURATION_SECONDS": "2",
                                         "MAX_NUM_MODELS": "3"})
            nginx.stop()
            served = models_served(nginx)
        self.assertEqual(code, 0, err)
        self.assertEqual(count(s, "iterations"), 100)
        self.assertEqual(sum(served.values()), 100)
        # The suite's inclusive end would also send to iris3, which does not exist.
        self.assertEqual(set(served), {"iris0", "iris1", "iris2"})
        self.assertNotIn("{scenario:default}", " ".join(s["metrics"]))

    def test_an_explicit_end_is_inclusive(self):
        with Nginx() as nginx:
            code, _, err, _ = run(nginx.url, "model_constant_rate",
                                  env={"REQUEST_RATE": "50", "CONSTANT_RATE_DURATION_SECONDS": "2",
                                       "MODEL_START_IDX": "4", "MODEL_END_IDX": "5"})
            nginx.stop()
            served = models_served(nginx)
        self.assertEqual(code, 0, err)
        self.assertEqual(set(served), {"iris4", "iris5"})

    def test_a_fixed_name_over_grpc_one_connection_per_request(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, _, err, s = run(sim.url, "model_constant_rate", grpc=sim.grpc,
                                  env={"REQUEST_RATE": "20", "CONSTANT_RATE_DURATION_SECONDS": "2",
                                       "INFER_TYPE": "grpc", "INFER_GRPC_ITERATIONS": "3", "MODEL_NAME": "fixed-model"})
            stats = sim.stats()
        self.assertEqual(code, 0, err)
        # One call per iteration, whatever INFER_GRPC_ITERATIONS says.
        self.assertEqual(stats["grpc_infer"], 40)
        self.assertEqual(stats["grpc_infer_ok"], 40)
        self.assertEqual(stats["rest_infer"], 0)
        self.assertEqual(s["inferload"]["grpc"]["connections"], "per-iteration connections")
        self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 40)

    def test_a_fixed_name_over_rest(self):
        with Nginx() as nginx:
            code, _, err, _ = run(nginx.url, "model_constant_rate",
                                  env={"REQUEST_RATE": "20", "CONSTANT_RATE_DURATION_SECONDS": "1",
                                       "MODEL_NAME": "fixed-model", "INFER_HTTP_ITERATIONS": "4"})
            nginx.stop()
            served = models_served(nginx)
        self.assertEqual(code, 0, err)
        self.assertEqual(served, {"fixed-model": 20})

    def test_a_start_above_the_end_is_refused(self):
        with Sim(SCV2_SIM) as sim:
            code, _, err, _ = run(sim.url, "model_constant_rate", env={"MODEL_START_IDX": "3", "MODEL_END_IDX": "2"})
        self.assertEqual(code, 104, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("MODEL_START_IDX", err)
        self.assertIn("MODEL_END_IDX", err)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
