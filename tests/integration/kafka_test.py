#!/usr/bin/env python3
"""Kafka direct mode end to end: inferload produces to SCv2's topics on scv2-sim's mock cluster
and reads the simulated model gateway's answers. Model and pipeline topics, closed and open loop,
counts compared with the simulator's, error-topic records as counted failures with their reason,
a gateway that never answers as timeouts, every request accounted once. kcat, a Kafka client
independent of inferload and of the simulator, reads back what inferload produced (key, headers,
the value decoded by protoc, with and without schema-registry framing) and writes the replies
inferload then matches. Bad Kafka settings get one line naming the flag or variable.
Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import Sim, main_for_backend, wait_for  # noqa: E402
from sim_kafka_test import KCAT, PROTOC, Kafka, decode, encode  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")
CHECK = "model kafka prediction success"
KEY = re.compile(r"^(\d+)\.([^.]+)\.([0-9a-f]{32})$")
# The topics' namespace comes from NAMESPACE, for the simulator and inferload alike: the
# caller's own must not leak in.
os.environ.pop("NAMESPACE", None)


def environment(bootstrap, more=None):
    env = dict(os.environ)
    env.update(SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT="http://127.0.0.1:1", INFER_HTTP_ITERATIONS="0",
               INFER_GRPC_ITERATIONS="0", INFER_KAFKA_ITERATIONS="1", MODEL_TYPE="tfsimple,iris",
               MAX_NUM_MODELS="3,2")
    if bootstrap is not None:
        env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    for name, value in (more or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def inferload(bootstrap, *args, env=None, script=None):
    """The command and the export's path."""
    fd, export = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(export)
    cmd = [INFERLOAD, "run", "--io", IO, "-q", "--summary-export", export, *args]
    if script:
        cmd.append(script)
    return cmd, environment(bootstrap, env), export


def read_export(export):
    if not os.path.exists(export):
        return None
    with open(export) as f:
        summary = json.load(f)
    os.unlink(export)
    return summary


def run(bootstrap, *args, env=None, script=None, timeout=120):
    cmd, full_env, export = inferload(bootstrap, *args, env=env, script=script)
    p = subprocess.run(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, read_export(export)


class SimCase(unittest.TestCase):
    def sim(self, *args):
        sim = Sim(SCV2_SIM, "--kafka", *args)
        self.addCleanup(sim.stop)
        return sim

    def assert_accounted(self, s, issued):
        """Every request once: the accounting adds up, and the Kafka metrics agree with it."""
        rq = s["inferload"]["requests"]
        if issued is not None:
            self.assertEqual(rq["issued"], issued)
        self.assertEqual(rq["issued"], rq["ok"] + rq["failed"] + rq["timed_out"] + rq["interrupted"])
        self.assertEqual(sum(f["count"] for f in s["inferload"]["failures"]), rq["failed"] + rq["timed_out"])
        # As in k6, a request cut off by a hard stop has no sample and no check.
        self.assertEqual(s["metrics"].get("kafka_reqs", {"count": 0})["count"], rq["issued"] - rq["interrupted"])
        check = s["root_group"]["checks"].get(CHECK, {"passes": 0, "fails": 0})
        self.assertEqual(check["passes"], rq["ok"])
        self.assertEqual(check["fails"], rq["failed"] + rq["timed_out"])
        return rq


class KafkaRunTest(SimCase):
    def test_model_topics_closed_loop_counts_match_the_gateway(self):
        sim = self.sim()
        code, _, err, s = run(sim.kafka, "-u", "8", "-i", "400")
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 400)
        self.assertEqual(rq["ok"], 400)
        stats = sim.stats()
        self.assertEqual((stats["kafka_infer"], stats["kafka_errors"]), (400, 0))
        for name in ("kafka_req_duration", "kafka_produce_duration"):
            self.assertIn(name, s["metrics"])
            self.assertGreater(s["metrics"][name]["max"], 0)
        # A reply comes after its own delivery report's request was produced: never faster than it.
        self.assertGreaterEqual(s["metrics"]["kafka_req_duration"]["min"], 0)
        self.assertEqual(s["metrics"]["http_reqs"]["count"] if "http_reqs" in s["metrics"] else 0, 0)
        self.assertTrue(s["inferload"]["kafka"]["bootstrap"].endswith(sim.kafka.split(":")[1]))
        self.assertEqual(s["inferload"]["kafka"]["mode"], "model")

    def test_models_loaded_by_setup_through_the_registry_are_served(self):
        # --models registry: the gateway answers only what the scheduler loaded, so a request
        # answered shows that setup loaded the model before the first produce.
        sim = self.sim("--models", "registry", "--scheduler-port", "0")
        code, _, err, s = run(sim.kafka, "-u", "2", "-i", "40",
                              env={"SKIP_LOAD_MODEL": None, "SCHEDULER_ENDPOINT": sim.scheduler,
                                   "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "2"})
        self.assertEqual(code, 0, err)
        self.assertEqual(self.assert_accounted(s, 40)["ok"], 40)
        stats = sim.stats()
        self.assertEqual(stats["kafka_infer"], 40)
        self.assertEqual(stats["scheduler_calls"]["LoadModel"], 2)

    def test_csv_rows_of_every_request(self):
        sim = self.sim("--error-rate", "0.5")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "out.csv")
            code, _, err, s = run(sim.kafka, "-u", "4", "-i", "60", "--out", f"csv={path}")
            self.assertEqual(code, 0, err)
            with open(path) as f:
                rows = list(csv.DictReader(f))
        rq = self.assert_accounted(s, 60)
        by_metric = {}
        for row in rows:
            by_metric.setdefault(row["metric_name"], []).append(row)
        self.assertEqual(len(by_metric["kafka_reqs"]), 60)
        self.assertEqual(len(by_metric["kafka_req_duration"]), 60)
        checks = [r for r in by_metric["checks"] if r["check"] == CHECK]
        self.assertEqual(sum(float(r["metric_value"]) for r in checks), rq["ok"])
        self.assertEqual(sum(1 for r in by_metric["kafka_reqs"] if r["error"] == "error_topic"), rq["failed"])
        models = {r["extra_tags"] for r in by_metric["kafka_req_duration"]}
        self.assertTrue(models <= {f"model={m}" for m in ("tfsimple0", "tfsimple1", "tfsimple2", "iris0", "iris1")},
                        models)
        names = {r["name"] for r in by_metric["kafka_req_duration"]}
        self.assertTrue(all(n.startswith("seldon.default.model.") and n.endswith(".inputs") for n in names), names)

    def test_iterations_draw_among_rest_grpc_and_kafka(self):
        sim = self.sim("--grpc-port", "0")
        code, _, err, s = run(sim.kafka, "-u", "6", "-i", "600",
                              env={"INFER_HTTP_ENDPOINT": sim.url, "INFER_GRPC_ENDPOINT": sim.grpc,
                                   "INFER_HTTP_ITERATIONS": "1", "INFER_GRPC_ITERATIONS": "1"})
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["requests"]["ok"], 600)
        stats = sim.stats()
        counts = (stats["rest_infer"], stats["grpc_infer"], stats["kafka_infer"])
        self.assertEqual(sum(counts), 600)
        # Each one time in three: 200 expected, and 120 is more than 9 standard deviations away.
        self.assertTrue(all(c > 120 for c in counts), counts)
        self.assertEqual(s["metrics"]["kafka_reqs"]["count"], stats["kafka_infer"])
        self.assertEqual(s["metrics"]["http_reqs"]["count"], stats["rest_infer"])

    def test_pipeline_topics_via_pipeline(self):
        sim = self.sim()
        code, _, err, s = run(sim.kafka, "-u", "4", "-i", "120", env={"VIA_PIPELINE": "true"})
        self.assertEqual(code, 0, err)
        self.assertEqual(self.assert_accounted(s, 120)["ok"], 120)
        self.assertEqual(sim.stats()["kafka_infer"], 120)
        self.assertEqual(s["inferload"]["kafka"]["mode"], "pipeline")

    def test_open_loop_constant_rate_with_infer_type_kafka(self):
        self.open_loop({})

    def test_open_loop_to_pipelines(self):
        self.open_loop({"VIA_PIPELINE": "true"})

    def open_loop(self, more):
        sim = self.sim()
        code, _, err, s = run(sim.kafka, env={"INFER_TYPE": "KAFKA", "INFER_KAFKA_ITERATIONS": None,
                                               "REQUEST_RATE": "100", "CONSTANT_RATE_DURATION_SECONDS": "2", **more},
                              script="infer_constant_rate")
        self.assertEqual(code, 0, err)
        rq = s["inferload"]["requests"]
        dropped = s["metrics"].get("dropped_iterations", {}).get("count", 0)
        # 100/s for 2 s: each iteration one request, issued or dropped.
        self.assertEqual(rq["issued"] + dropped, 200)
        self.assert_accounted(s, rq["issued"])
        self.assertEqual(sim.stats()["kafka_infer"], rq["ok"])
        self.assertIn("kafka_req_duration_intended", s["metrics"])
        self.assertEqual(s["inferload"]["kafka"]["mode"], "pipeline" if more else "model")

    def test_error_topic_records_are_failures_with_their_reason(self):
        sim = self.sim("--error-rate", "1")
        code, _, err, s = run(sim.kafka, "-u", "4", "-i", "40")
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 40)
        self.assertEqual((rq["ok"], rq["failed"], rq["timed_out"]), (0, 40, 0))
        self.assertEqual(sim.stats()["kafka_errors"], 40)
        [failure] = s["inferload"]["failures"]
        self.assertEqual(failure["count"], 40)
        self.assertIn("simulated error", failure["error"])

    def test_a_gateway_that_never_answers_gives_timeouts(self):
        sim = self.sim()
        # Nobody serves this prefix's topics: every request waits for its --timeout.
        code, _, err, s = run(sim.kafka, "-u", "4", "-i", "8", "--timeout", "300ms", "--kafka-topic-prefix", "nobody")
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 8)
        self.assertEqual((rq["ok"], rq["timed_out"]), (0, 8))
        self.assertEqual(sim.stats()["kafka_infer"], 0)
        self.assertGreaterEqual(s["metrics"]["kafka_req_duration"]["min"], 300)

    def test_a_cluster_that_dies_midway_gives_timeouts_and_the_run_ends(self):
        sim = self.sim()
        cmd, env, export = inferload(sim.kafka, "-u", "4", "-d", "6s", "--timeout", "1s")
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for("the first replies", lambda: sim.stats()["kafka_infer"] > 20, 20)
        sim.kill()
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        rq = self.assert_accounted(read_export(export), None)
        self.assertGreater(rq["ok"], 0)
        self.assertGreater(rq["timed_out"], 0)
        # librdkafka's reconnect failures come as inferload's lines, a second apart at most.
        kafka_lines = [line for line in err.splitlines() if line.startswith("inferload: kafka ")]
        self.assertGreater(len(kafka_lines), 0, err)
        self.assertLessEqual(len(kafka_lines), 10, err)
        self.assertFalse([line for line in err.splitlines() if line.startswith("%")], err)

    def test_a_hard_stop_leaves_nothing_unaccounted(self):
        sim = self.sim("--latency", "2s")
        cmd, env, export = inferload(sim.kafka, "-u", "6", "-d", "30s")
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        p.send_signal(2)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 105, err)
        s = read_export(export)
        rq = s["inferload"]["requests"]
        self.assertGreater(rq["interrupted"], 0)
        self.assert_accounted(s, rq["issued"])


@unittest.skipUnless(KCAT and PROTOC, "kcat and protoc are needed (apt install kcat protobuf-compiler)")
class KcatPeerTest(SimCase):
    """kcat plays SCv2's model gateway: the sim's cluster, but a prefix its gateway does not serve."""

    def exchange_through_kcat(self, schema_id=None):
        sim = self.sim()
        kafka = Kafka(sim.kafka)
        self.addCleanup(kafka.dir.cleanup)
        args = ["-u", "3", "-i", "3", "--timeout", "30s", "--kafka-topic-prefix", "kc"]
        if schema_id is not None:
            args += ["--kafka-schema-id", str(schema_id)]
        cmd, env, export = inferload(sim.kafka, *args, env={"MODEL_TYPE": "iris", "MAX_NUM_MODELS": "1"})
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        topic = "kc.default.model.iris0.inputs"
        requests = wait_for("3 requests on " + topic,
                            lambda: (lambda r: r if len(r) >= 3 else None)(kafka.records(topic)), 20)
        replies = []
        for r in requests:
            m = KEY.match(r.key)
            self.assertIsNotNone(m, r.key)
            self.assertEqual((int(m.group(1)), m.group(2)), (r.partition, "iris0"))
            self.assertEqual(r.header("x-request-id"), m.group(3))
            self.assertEqual(r.header("pipeline"), "iris0")
            self.assertEqual(r.header("seldon-infer-type"), "proto/InferModelRequest")
            value = r.payload
            if schema_id is not None:
                self.assertEqual(value[:6], b"\x00" + schema_id.to_bytes(4, "big") + b"\x00")
                value = value[6:]
            text = decode("ModelInferRequest", value)
            self.assertIn('datatype: "FP', text)
            self.assertNotIn("model_name", text, "SCv2's gateway fills model_name from the topic")
            response = encode("ModelInferResponse", f'model_name: "iris0" id: "{m.group(3)}"')
            if schema_id is not None:
                response = b"\x00" + schema_id.to_bytes(4, "big") + b"\x00" + response
            kafka.produce("kc.default.model.iris0.outputs", r.key, [response],
                          [("x-request-id", m.group(3)), ("pipeline", "iris0")], partition=r.partition)
            replies.append(r.key)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        s = read_export(export)
        self.assertEqual(self.assert_accounted(s, 3)["ok"], 3)
        self.assertEqual(len(set(replies)), 3, "every request has its own key")

    def test_kcat_reads_the_requests_and_its_replies_are_matched(self):
        self.exchange_through_kcat()

    def test_schema_registry_framing_both_ways(self):
        self.exchange_through_kcat(schema_id=7)


class BadSettingsTest(unittest.TestCase):
    def assert_refused(self, bootstrap, *args, env=None, names, code=255, script=None):
        got, out, err, s = run(bootstrap, *args, env=env, script=script, timeout=60)
        self.assertEqual(got, code, err)
        lines = [line for line in err.splitlines() if line.startswith("inferload:")]
        self.assertEqual(len(lines), 1, err)
        self.assertIn(names, lines[0])
        return lines[0]

    def test_no_bootstrap_servers(self):
        self.assert_refused(None, "-u", "1", "-i", "1", names="--kafka-bootstrap")

    def test_a_setting_without_a_value(self):
        self.assert_refused("127.0.0.1:1", "--kafka-config", "acks", names="--kafka-config")

    def test_an_unknown_librdkafka_property(self):
        self.assert_refused("127.0.0.1:1", "--kafka-config", "no.such.property=1", names="no.such.property")

    def test_a_bad_schema_id(self):
        self.assert_refused("127.0.0.1:1", "--kafka-schema-id", "seven", names="--kafka-schema-id")

    def test_a_bad_iteration_count(self):
        self.assert_refused("127.0.0.1:1", env={"INFER_KAFKA_ITERATIONS": "x"}, names="INFER_KAFKA_ITERATIONS",
                            code=104)

    def test_a_bad_topic_prefix(self):
        self.assert_refused("127.0.0.1:1", "--kafka-topic-prefix", "a/b", names="a/b")

    def test_a_scenario_without_kafka(self):
        self.assert_refused("127.0.0.1:1", env={"INFER_KAFKA_ITERATIONS": "1"}, script="load_predict_unload",
                            names="INFER_KAFKA_ITERATIONS", code=104)

    def test_kafka_options_without_kafka_requests_are_said_to_do_nothing(self):
        code, _, err, _ = run("127.0.0.1:1", "--kafka-topic-prefix", "x", timeout=60,
                              env={"INFER_KAFKA_ITERATIONS": "0", "INFER_HTTP_ITERATIONS": "1"})
        self.assertEqual(code, 107, err)  # the REST endpoint 127.0.0.1:1 is unreachable
        self.assertIn("the Kafka options have no effect", err)

    def test_an_unreachable_cluster_fails_setup_after_its_timeout(self):
        line = self.assert_refused("127.0.0.1:1", "-u", "1", "-i", "1", names="Kafka (127.0.0.1:1)", code=107)
        self.assertIn("127.0.0.1:1", line)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
