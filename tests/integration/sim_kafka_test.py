#!/usr/bin/env python3
"""Contract test of scv2-sim's mock Kafka cluster and simulated model gateway (--kafka).

kcat, a Kafka client independent of both the simulator and inferload, produces the records a
pipeline gateway would (a binary inference.ModelInferRequest made by protoc --encode from
proto/inference.proto, key "<partition>.<name>.<id>", SCv2's headers) and reads the replies back
(key, partition, headers, timestamp, and the value decoded by protoc --decode). Skipped (exit 77)
without kcat or protoc. SCV2_SIM names the simulator, SCHEDULER_PROBE the scheduler client.
"""

import json
import os
import pathlib
import select
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import wait_for  # noqa: E402
from sim_contract_test import Sim  # noqa: E402
from sim_scheduler_test import Scheduler  # noqa: E402

SIM = os.environ.get("SCV2_SIM", "")
SCHEDULER_PROBE = os.environ.get("SCHEDULER_PROBE", "")
PROTO_DIR = pathlib.Path(__file__).resolve().parents[2] / "proto"
KCAT = shutil.which("kcat")
PROTOC = shutil.which("protoc")
KCAT_TIMEOUT = 15  # seconds for any one kcat call: none waits for a record that never comes

# A record's partition, key, headers, timestamp and payload length, then the payload's bytes.
RECORD_FORMAT = "%p|%k|%h|%T|%S\n%s\n"


def encode(message, text):
    return subprocess.run([PROTOC, f"-I{PROTO_DIR}", f"--encode=inference.{message}", "inference.proto"],
                          input=text.encode(), capture_output=True, check=True, timeout=30).stdout


def decode(message, data):
    return subprocess.run([PROTOC, f"-I{PROTO_DIR}", f"--decode=inference.{message}", "inference.proto"],
                          input=data, capture_output=True, check=True, timeout=30).stdout.decode()


def infer_request(request_id, values=(1, 2, 3, 4)):
    """A ModelInferRequest as the pipeline gateway sends it: no model name, typed contents."""
    contents = " ".join(f"int_contents: {v}" for v in values)
    return encode("ModelInferRequest", f'id: "{request_id}" inputs {{ name: "INPUT0" datatype: "INT32" '
                                       f'shape: 1 shape: {len(values)} contents {{ {contents} }} }}')


class Record:
    def __init__(self, partition, key, headers, timestamp_ms, payload):
        self.partition, self.key, self.timestamp_ms, self.payload = partition, key, timestamp_ms, payload
        # kcat prints headers as "n=v,n=v"; the test's values hold neither ',' nor '='.
        self.headers = [tuple(h.split("=", 1)) for h in headers.split(",")] if headers else []

    def header(self, name):
        values = [v for n, v in self.headers if n == name]
        return values[-1] if values else None


def parse_records(out):
    records = []
    while out:
        head, _, out = out.partition(b"\n")
        partition, key, headers, timestamp, length = head.decode().split("|")
        n = max(int(length), 0)
        records.append(Record(int(partition), key, headers, int(timestamp), out[:n]))
        out = out[n + 1:]
    return records


class Kafka:
    """kcat against one bootstrap server."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.dir = tempfile.TemporaryDirectory()

    def produce(self, topic, key, values, headers, partition=0):
        """One record per value, in order, on `partition`."""
        files = []
        for i, value in enumerate(values):
            path = os.path.join(self.dir.name, f"{uuid.uuid4().hex}-{i}")
            with open(path, "wb") as f:
                f.write(value)
            files.append(path)
        cmd = [KCAT, "-q", "-P", "-b", self.bootstrap, "-t", topic, "-p", str(partition), "-k", key]
        for name, value in headers:
            cmd += ["-H", f"{name}={value}"]
        subprocess.run(cmd + files, check=True, capture_output=True, timeout=KCAT_TIMEOUT)

    def records(self, topic):
        """Every record of the topic now; none when it does not exist."""
        # The mock broker holds an empty fetch for the whole wait: a short one keeps -e prompt.
        p = subprocess.run([KCAT, "-q", "-C", "-b", self.bootstrap, "-X", "fetch.wait.max.ms=10", "-t", topic,
                            "-o", "beginning", "-e", "-f", RECORD_FORMAT], capture_output=True, timeout=KCAT_TIMEOUT)
        return parse_records(p.stdout) if p.returncode == 0 else []

    def wait_records(self, topic, key, count=1, timeout=10.0):
        """The records with `key`, once there are `count` of them."""
        def enough():
            found = [r for r in self.records(topic) if r.key == key]
            return found if len(found) >= count else None
        return wait_for(f"{count} record(s) with key {key} on {topic}", enough, timeout)

    def partitions(self, topic):
        p = subprocess.run([KCAT, "-q", "-L", "-J", "-b", self.bootstrap, "-t", topic],
                           capture_output=True, text=True, check=True, timeout=KCAT_TIMEOUT)
        topics = [t for t in json.loads(p.stdout)["topics"] if t["topic"] == topic and not t.get("error")]
        return len(topics[0]["partitions"]) if topics else 0


def scv2_headers(name, request_id):
    return [("x-request-id", request_id), ("pipeline", name), ("seldon-infer-type", "proto/InferModelRequest")]


class KafkaSimTest(unittest.TestCase):
    def start(self, *args, namespace=None):
        # The topics' namespace comes from NAMESPACE: the caller's own must not leak in.
        env = {k: v for k, v in os.environ.items() if k != "NAMESPACE"}
        if namespace is not None:
            env["NAMESPACE"] = namespace
        sim = Sim("--kafka", *args, env=env)
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0, "scv2-sim did not exit 0 on SIGTERM"))
        kafka = Kafka(sim.kafka)
        self.addCleanup(kafka.dir.cleanup)
        return sim, kafka

    def assert_reply_of(self, record, key, partition, request_id, name):
        self.assertEqual(record.key, key)
        self.assertEqual(record.partition, partition)
        self.assertEqual(record.headers, scv2_headers(name, request_id), "the input's headers, copied")
        text = decode("ModelInferResponse", record.payload)
        self.assertIn(f'model_name: "{name}"', text)
        self.assertIn(f'id: "{request_id}"', text)
        self.assertIn('name: "OUTPUT0"', text)
        self.assertEqual([int(line.split(":")[1]) for line in text.splitlines()
                          if line.strip().startswith("int_contents:")], [1, 2, 3, 4])


class ModelGatewayTest(KafkaSimTest):
    def test_prints_the_kafka_line_after_the_http_line_and_nothing_more(self):
        sim, _ = self.start()
        self.assertRegex(sim.line, r"^http 127\.0\.0\.1:\d+$")
        self.assertRegex(sim.kafka_line, r"^kafka 127\.0\.0\.1:\d+$")
        more, _, _ = select.select([sim.proc.stdout], [], [], 0.1)
        self.assertFalse(more, "scv2-sim printed more than its two lines")

    def test_a_record_is_answered_on_outputs_with_its_partition_key_and_headers(self):
        sim, kafka = self.start()
        sim_before = sim.stats()
        self.assertEqual((sim_before["kafka_infer"], sim_before["kafka_errors"]), (0, 0))
        # A topic made by its first use has the mock's partitions: the last one shows that the
        # reply keeps its partition.
        kafka.produce("seldon.default.model.m1.inputs", "0.m1.first", [infer_request("first")],
                      scv2_headers("m1", "first"))
        last = kafka.partitions("seldon.default.model.m1.inputs") - 1
        key = f"{last}.m1.r1"
        kafka.produce("seldon.default.model.m1.inputs", key, [infer_request("r1")], scv2_headers("m1", "r1"),
                      partition=last)
        [reply] = kafka.wait_records("seldon.default.model.m1.outputs", key)
        self.assert_reply_of(reply, key, last, "r1", "m1")
        [first] = kafka.wait_records("seldon.default.model.m1.outputs", "0.m1.first")
        self.assert_reply_of(first, "0.m1.first", 0, "first", "m1")
        self.assertEqual(sim.stats()["kafka_infer"], 2)
        self.assertEqual(kafka.records("seldon.default.errors.errors"), [])

    def test_values_that_are_no_valid_request_go_to_the_error_topic(self):
        sim, kafka = self.start()
        not_protobuf = b"\xff\xff\xff"  # wire type 7 does not exist
        no_inputs = encode("ModelInferRequest", 'id: "e2"')
        kafka.produce("seldon.default.model.m2.inputs", "0.m2.e", [not_protobuf, no_inputs],
                      scv2_headers("m2", "e"))
        records = kafka.wait_records("seldon.default.errors.errors", "0.m2.e", count=2)
        for record in records:
            self.assertEqual(record.header("seldon-pipeline-errors"), "m2")
            self.assertEqual(record.headers[:3], scv2_headers("m2", "e"))
        self.assertIn(b"ModelInferRequest", records[0].payload)
        self.assertIn(b"no inputs", records[1].payload)
        self.assertEqual(kafka.records("seldon.default.model.m2.outputs"), [])
        stats = sim.stats()
        self.assertEqual((stats["kafka_infer"], stats["kafka_errors"]), (0, 2))

    def test_a_pipeline_answers_only_records_that_name_it_and_counts_are_exact(self):
        sim, kafka = self.start()
        topic = "seldon.default.pipeline.p1.inputs"
        # In one partition, in order: once the last is answered the first two were seen.
        kafka.produce(topic, "0.p1.wrong", [infer_request("wrong")], scv2_headers("other", "wrong"))
        kafka.produce(topic, "0.p1.none", [infer_request("none")], [("x-request-id", "none")])
        kafka.produce(topic, "0.p1.right", [infer_request("right")] * 3, scv2_headers("p1", "right"))
        replies = kafka.wait_records("seldon.default.pipeline.p1.outputs", "0.p1.right", count=3)
        for reply in replies:
            self.assert_reply_of(reply, "0.p1.right", 0, "right", "p1")
        self.assertEqual(len(kafka.records("seldon.default.pipeline.p1.outputs")), 3)
        stats = sim.stats()
        self.assertEqual((stats["kafka_infer"], stats["kafka_errors"], stats["not_found"]), (3, 0, 0))
        sim.reset()
        stats = sim.stats()
        self.assertEqual((stats["kafka_infer"], stats["kafka_errors"]), (0, 0))

    def test_latency_delays_each_reply(self):
        _, kafka = self.start("--latency", "300ms")
        kafka.produce("seldon.default.model.slow.inputs", "0.slow.1", [infer_request("1")],
                      scv2_headers("slow", "1"))
        [request] = kafka.wait_records("seldon.default.model.slow.inputs", "0.slow.1")
        [reply] = kafka.wait_records("seldon.default.model.slow.outputs", "0.slow.1")
        self.assertGreaterEqual(reply.timestamp_ms - request.timestamp_ms, 300)

    def test_the_prefix_and_namespace_name_the_topics(self):
        _, kafka = self.start("--kafka-topic-prefix", "acme", namespace="team-a")
        kafka.produce("seldon.default.model.m3.inputs", "0.m3.a", [infer_request("a")], scv2_headers("m3", "a"))
        kafka.produce("acme.team-a.model.m3.inputs", "0.m3.b", [infer_request("b")], scv2_headers("m3", "b"))
        [reply] = kafka.wait_records("acme.team-a.model.m3.outputs", "0.m3.b")
        self.assert_reply_of(reply, "0.m3.b", 0, "b", "m3")
        self.assertEqual(kafka.records("seldon.default.model.m3.outputs"), [])


class ErrorRateTest(KafkaSimTest):
    def test_every_record_is_an_error_record_at_error_rate_1(self):
        sim, kafka = self.start("--error-rate", "1")
        kafka.produce("seldon.default.model.m4.inputs", "0.m4.x", [infer_request("x")] * 2, scv2_headers("m4", "x"))
        kafka.produce("seldon.default.pipeline.p4.inputs", "0.p4.x", [infer_request("x")], scv2_headers("p4", "x"))
        errors = kafka.wait_records("seldon.default.errors.errors", "0.m4.x", count=2)
        for record in errors:
            self.assertEqual(record.headers, scv2_headers("m4", "x") + [("seldon-pipeline-errors", "m4")])
            self.assertEqual(record.payload, b"simulated error")
        # The pipeline gateway reads only the pipeline's outputs: its errors come there, marked.
        [failed] = kafka.wait_records("seldon.default.pipeline.p4.outputs", "0.p4.x")
        self.assertEqual(failed.header("seldon-pipeline-errors"), "p4")
        self.assertEqual(failed.partition, 0)
        self.assertEqual(kafka.records("seldon.default.model.m4.outputs"), [])
        stats = sim.stats()
        self.assertEqual((stats["kafka_infer"], stats["kafka_errors"]), (0, 3))


@unittest.skipUnless(SCHEDULER_PROBE and os.access(SCHEDULER_PROBE, os.X_OK), "SCHEDULER_PROBE must name the binary")
class RegistryTest(KafkaSimTest):
    def test_only_loaded_models_and_pipelines_are_answered(self):
        sim, kafka = self.start("--scheduler-port", "0", "--models", "registry", "--kafka-partitions", "2")
        scheduler = Scheduler(sim)
        kafka.produce("seldon.default.model.ghost.inputs", "0.ghost.1", [infer_request("1")],
                      scv2_headers("ghost", "1"))
        wait_for("the unloaded model's record counted", lambda: sim.stats()["not_found"] == 1)
        self.assertEqual(kafka.records("seldon.default.model.ghost.outputs"), [])

        scheduler.ok("load-model", "m5")
        wait_for("m5 available", lambda: scheduler.model_state("m5") == "ModelAvailable")
        # As SCv2's model gateway, the simulator made the loaded model's topics, of --kafka-partitions.
        self.assertEqual(kafka.partitions("seldon.default.model.m5.inputs"), 2)
        self.assertEqual(kafka.partitions("seldon.default.model.m5.outputs"), 2)
        kafka.produce("seldon.default.model.m5.inputs", "1.m5.a", [infer_request("a")], scv2_headers("m5", "a"),
                      partition=1)
        [reply] = kafka.wait_records("seldon.default.model.m5.outputs", "1.m5.a")
        self.assert_reply_of(reply, "1.m5.a", 1, "a", "m5")

        kafka.produce("seldon.default.pipeline.p5.inputs", "0.p5.early", [infer_request("early")],
                      scv2_headers("p5", "early"))
        wait_for("the unloaded pipeline's record counted", lambda: sim.stats()["not_found"] == 2)
        scheduler.ok("load-pipeline", "p5", "--step", "m5")
        wait_for("p5 ready", lambda: scheduler.pipeline_state("p5") == "PipelineReady")
        kafka.produce("seldon.default.pipeline.p5.inputs", "0.p5.b", [infer_request("b")], scv2_headers("p5", "b"))
        [reply] = kafka.wait_records("seldon.default.pipeline.p5.outputs", "0.p5.b")
        self.assert_reply_of(reply, "0.p5.b", 0, "b", "p5")
        self.assertEqual(len(kafka.records("seldon.default.pipeline.p5.outputs")), 1)
        stats = sim.stats()
        self.assertEqual((stats["kafka_infer"], stats["kafka_errors"], stats["not_found"]), (2, 0, 2))


class CommandLineTest(unittest.TestCase):
    def run_sim(self, *args, env=None):
        return subprocess.run([SIM, "--http-port", "0", *args], capture_output=True, text=True, timeout=10,
                              env={**os.environ, **(env or {})})

    def test_bad_kafka_flags_and_namespace_are_refused_by_name(self):
        for args, env, named in [
            (["--kafka", "--kafka-partitions", "0"], None, "--kafka-partitions"),
            (["--kafka", "--kafka-topic-prefix", "a/b"], None, "--kafka-topic-prefix"),
            (["--kafka-partitions", "2"], None, "--kafka-partitions: only meaningful with --kafka"),
            (["--kafka=yes"], None, "--kafka: takes no value"),
            (["--kafka"], {"NAMESPACE": "a b"}, "NAMESPACE"),
        ]:
            p = self.run_sim(*args, env=env)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
            self.assertIn(named, p.stderr)

    def test_help_tells_the_kafka_flags(self):
        out = self.run_sim("--help").stdout
        for flag in ("--kafka ", "--kafka-topic-prefix", "--kafka-partitions", "kafka_infer", "kafka_errors"):
            self.assertIn(flag, out)


if __name__ == "__main__":
    if not (SIM and os.access(SIM, os.X_OK)):
        print("sim_kafka_test: SCV2_SIM must name the scv2-sim binary", file=sys.stderr)
        sys.exit(1)
    if not KCAT or not PROTOC:
        print("sim_kafka_test: SKIP: needs kcat and protoc on PATH (tools/install-deps.sh installs them)")
        sys.exit(77)
    unittest.main(verbosity=2)
