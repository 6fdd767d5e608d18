"""inferload's gRPC calls end to end: against scv2-sim's grpc++ server (counts compared with the
server's, pooled and per-iteration connections, the REST/gRPC mix, SCv2's metadata rules,
errors, timeouts, a stream limit, large payloads, every catalogue type's payload, raw input
contents) and against nghttpd, a third-party HTTP/2 server, whose small windows and padding make
both directions of flow control work.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, free_port, main_for_backend, stop_process, wait_port  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")
CHECK = "model grpc prediction success"


def run(grpc_endpoint, *args, http_url="http://127.0.0.1:1", env=None, timeout=120):
    """gRPC-only unless env says otherwise; returns (exit code, stdout, stderr, summary or None)."""
    fd, export = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(export)
    full_env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=http_url, INFER_GRPC_ENDPOINT=grpc_endpoint,
                    INFER_HTTP_ITERATIONS="0", INFER_GRPC_ITERATIONS="1", MODEL_TYPE="tfsimple,iris",
                    MAX_NUM_MODELS="3,2")
    full_env.update(env or {})
    cmd = [INFERLOAD, "run", "--io", IO, "--summary-export", export, *args]
    p = subprocess.run(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    summary = None
    if os.path.exists(export):
        with open(export) as f:
            summary = json.load(f)
        os.unlink(export)
    return p.returncode, p.stdout, p.stderr, summary


def grpc_check(summary):
    checks = summary["root_group"]["checks"]
    if CHECK in checks:
        return checks[CHECK]
    raise AssertionError(f"no check {CHECK!r} in {summary['root_group']['checks']}")


class Reconciles:
    def assert_accounted(self, s, issued):
        rq = s["inferload"]["requests"]
        self.assertEqual(rq["issued"], issued)
        self.assertEqual(rq["issued"], rq["ok"] + rq["failed"] + rq["timed_out"] + rq["interrupted"])
        self.assertEqual(sum(f["count"] for f in s["inferload"]["failures"]), rq["failed"] + rq["timed_out"])
        statuses = s["inferload"]["grpc"]["statuses"]
        self.assertEqual(sum(statuses.values()), rq["issued"] - rq["interrupted"])
        self.assertEqual(statuses.get("OK", 0) >= rq["ok"], True)
        return rq


class AgainstSim(unittest.TestCase, Reconciles):
    def test_pooled_counts_match_the_server(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, out, err, s = run(sim.grpc, "-u", "16", "-i", "3000")
            served = sim.stats()
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 3000)
        self.assertEqual(rq["ok"], 3000)
        self.assertEqual(served["grpc_infer"], 3000)
        self.assertEqual(served["grpc_infer_ok"], 3000, "the server rejected a request it decoded")
        self.assertEqual(grpc_check(s)["passes"], 3000)
        self.assertEqual(grpc_check(s)["fails"], 0)
        self.assertIn("grpc_req_duration", s["metrics"])
        self.assertIn("grpc_req_duration{scenario:default}", s["metrics"])
        # Registered with its threshold's submetric, as in k6, and empty: no REST request was made.
        self.assertEqual(s["metrics"]["http_reqs"]["count"], 0)
        self.assertNotIn("http_req_waiting", s["metrics"])
        # k6's gRPC metadata: a deadline on every call, no x-request-id, seldon-model per model.
        self.assertEqual(served["grpc_with_deadline"], 3000)
        self.assertEqual(served["grpc_with_request_id"], 0)
        self.assertEqual(set(served["grpc_seldon_model"]), {"tfsimple0", "tfsimple1", "tfsimple2", "iris0", "iris1"})
        self.assertEqual(sum(served["grpc_seldon_model"].values()), 3000)
        self.assertEqual(served["grpc_internal_model"], {})
        self.assertLessEqual(s["inferload"]["grpc"]["connections_opened"], len(os.sched_getaffinity(0)))
        self.assertTrue(s["inferload"]["grpc"]["connections"].startswith("pooled"))
        self.assertGreater(s["metrics"]["data_sent"]["count"], 3000 * 100)
        self.assertGreater(s["metrics"]["data_received"]["count"], 3000 * 20)

    def test_per_iteration_connections_as_the_k6_scripts_open_them(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, out, err, s = run(sim.grpc, "-u", "4", "-i", "300", "--grpc-connection=per-iteration",
                                    env={"INFER_GRPC_ITERATIONS": "2"})
            served = sim.stats()
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 600)
        self.assertEqual(rq["ok"], 600)
        self.assertEqual(served["grpc_infer_ok"], 600)
        self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 300)
        self.assertEqual(s["metrics"]["iterations"]["count"], 300)
        self.assertIn("per-iteration", s["inferload"]["grpc"]["connections"])

    def test_rest_grpc_mix_is_half_and_half(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, out, err, s = run(sim.grpc, "-u", "8", "-i", "4000", http_url=sim.url,
                                    env={"INFER_HTTP_ITERATIONS": "1"})
            served = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["requests"]["ok"], 4000)
        self.assertEqual(served["rest_infer_ok"] + served["grpc_infer_ok"], 4000)
        self.assertEqual(s["metrics"]["http_reqs"]["count"], served["rest_infer"])
        self.assertEqual(grpc_check(s)["passes"], served["grpc_infer_ok"])
        # Binomial(4000, 1/2): 1800..2200 is more than six standard deviations wide.
        self.assertTrue(1800 <= served["grpc_infer"] <= 2200, served)
        self.assertEqual(s["metrics"]["checks"]["passes"], 4000)
        self.assertEqual(len(s["root_group"]["checks"]), 2)

    def test_off_envoy_names_and_pipelines(self):
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, _, err, s = run(sim.grpc, "-u", "2", "-i", "200",
                                  env={"ENVOY": "false", "VIA_PIPELINE": "true", "MODEL_TYPE": "tfsimple",
                                       "MAX_NUM_MODELS": "2"})
            served = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(set(served["grpc_seldon_model"]), {"tfsimple0_1.pipeline", "tfsimple1_1.pipeline"})
        self.assertEqual(set(served["grpc_internal_model"]), {"tfsimple0_1", "tfsimple1_1"})
        self.assertEqual(served["grpc_infer_ok"], 200)

    def test_non_ok_status_is_a_failed_check(self):
        with Sim(SCV2_SIM, "--grpc-port", "0", "--error-rate", "0.3") as sim:
            code, out, err, s = run(sim.grpc, "-u", "8", "-i", "2000")
            served = sim.stats()
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 2000)
        self.assertEqual(rq["failed"], served["grpc_infer_error"])
        self.assertGreater(rq["failed"], 400)
        self.assertEqual(grpc_check(s)["fails"], served["grpc_infer_error"])
        self.assertEqual(s["inferload"]["grpc"]["statuses"]["INTERNAL"], served["grpc_infer_error"])
        self.assertEqual(s["inferload"]["grpc"]["statuses"]["OK"], served["grpc_infer_ok"])
        self.assertIn("grpc_statuses", out)
        kinds = {f["error"]: f["count"] for f in s["inferload"]["failures"]}
        self.assertEqual(kinds, {"grpc INTERNAL: status from the server": served["grpc_infer_error"]})

    def test_timeouts_are_counted_as_deadline_exceeded(self):
        with Sim(SCV2_SIM, "--grpc-port", "0", "--latency", "2s") as sim:
            code, _, err, s = run(sim.grpc, "-u", "4", "-i", "8", "--grpc-timeout", "300ms")
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 8)
        self.assertEqual(rq["timed_out"], 8)
        self.assertEqual(s["inferload"]["grpc"]["statuses"], {"DEADLINE_EXCEEDED": 8})

    def test_stream_limit_queues_vus_without_failures(self):
        with Sim(SCV2_SIM, "--grpc-port", "0", "--grpc-max-streams", "3", "--latency", "2ms") as sim:
            code, _, err, s = run(sim.grpc, "-u", "40", "-i", "1200", "--workers", "1")
            served = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["requests"]["ok"], 1200)
        self.assertEqual(served["grpc_infer_ok"], 1200)
        self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 1)

    def test_large_requests_go_out_as_the_windows_allow(self):
        # tfresnet152 at batch 1: a 600 KB request, far beyond HTTP/2's initial 64 KiB window.
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, _, err, s = run(sim.grpc, "-u", "4", "-i", "24",
                                  env={"MODEL_TYPE": "tfresnet152", "MAX_NUM_MODELS": "1"})
            served = sim.stats()
        self.assertEqual(code, 0, err)
        self.assertEqual(s["inferload"]["requests"]["ok"], 24)
        self.assertEqual(served["grpc_infer_ok"], 24)
        self.assertGreater(s["metrics"]["data_sent"]["count"], 24 * 600_000)

    def test_add10_echo_and_synth_over_grpc(self):
        # The suite's gRPC payloads for these three cannot be sent; inferload's must be accepted.
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, _, err, s = run(sim.grpc, "-u", "4", "-i", "600",
                                  env={"MODEL_TYPE": "add10,echo,synth", "MAX_NUM_MODELS": "1,1,1"})
            served = sim.stats()
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 600)
        self.assertEqual(rq["ok"], 600)
        self.assertEqual(served["grpc_infer_ok"], rq["ok"])
        self.assertEqual(served["grpc_infer_invalid"], 0)
        self.assertEqual(set(served["grpc_seldon_model"]), {"add100", "echo0", "synth0"})
        self.assertEqual(served["grpc_with_raw_contents"], 0)

    def test_raw_contents_for_every_type(self):
        types = ["tfsimple", "tfsimple_string", "iris", "pytorch_cifar10", "tfmnist", "tfresnet152", "onnx_gpt2",
                 "mlflow_wine", "add10", "sentiment", "echo", "synth"]
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, _, err, s = run(sim.grpc, "-u", "4", "-i", "360", "--grpc-raw-contents",
                                  env={"MODEL_TYPE": ",".join(types), "MAX_NUM_MODELS": ",".join(["1"] * 12),
                                       "INFER_BATCH_SIZE": ",".join(["2"] * 12)})
            served = sim.stats()
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 360)
        self.assertEqual(rq["ok"], 360)
        self.assertEqual(served["grpc_infer_ok"], rq["ok"])
        self.assertEqual(served["grpc_infer_invalid"], 0)
        self.assertEqual(served["grpc_with_raw_contents"], rq["ok"])
        # 360 uniform picks among 12 types miss one with a chance of about 3e-13.
        self.assertEqual(set(served["grpc_seldon_model"]), {t + "0" for t in types})

    def test_server_killed_mid_run_gives_counted_failures(self):
        sim = Sim(SCV2_SIM, "--grpc-port", "0", "--latency", "1ms")
        proc = subprocess.Popen(
            [INFERLOAD, "run", "--io", IO, "-u", "8", "-d", "3s", "-q", "--summary-export", "/dev/stdout"],
            env=dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ITERATIONS="0", INFER_GRPC_ENDPOINT=sim.grpc, MODEL_TYPE="iris",
                     INFER_HTTP_ENDPOINT="http://127.0.0.1:1"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        sim.kill()
        sim.proc.stdout.close()
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        s = json.loads(out[out.index("{\n"):])
        rq = s["inferload"]["requests"]
        self.assertEqual(rq["issued"], rq["ok"] + rq["failed"] + rq["timed_out"] + rq["interrupted"])
        self.assertGreater(rq["ok"], 100)
        self.assertGreater(rq["failed"], 0)
        self.assertIn("UNAVAILABLE", s["inferload"]["grpc"]["statuses"])


class Nghttpd:
    """nghttpd (apt nghttp2-server) echoing each request body back, with grpc-status 0 as a
    trailer. It sends no content-type, so each call ends as a completed stream that fails the
    check for its content-type: the bytes, not the check, are what is tested against it."""

    def __init__(self, *args):
        binary = shutil.which("nghttpd") or "/usr/sbin/nghttpd"
        self.dir = tempfile.mkdtemp(prefix="inferload-nghttpd-")
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "--no-tls", "--echo-upload", "--trailer=grpc-status: 0", "-d", self.dir,
                                      "-a", "127.0.0.1", *args, str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port)
        self.endpoint = f"127.0.0.1:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(shutil.which("nghttpd") or os.path.exists("/usr/sbin/nghttpd"), "nghttpd is not installed")
class AgainstNghttpd(unittest.TestCase, Reconciles):
    def test_flow_control_in_both_directions(self):
        # Server windows of 4 KiB per stream and 64 KiB per connection hold our 600 KB uploads
        # back until its WINDOW_UPDATEs come; our windows of 64 KiB make its 600 KB echoes wait
        # for ours; its padding counts against both.
        with Nghttpd("-w", "12", "-W", "16", "-b", "33") as server:
            code, out, err, s = run(server.endpoint, "-u", "3", "-i", "12", "--grpc-timeout", "20s",
                                    "--http2-stream-window", "65535", "--http2-connection-window", "65535",
                                    env={"MODEL_TYPE": "tfresnet152", "MAX_NUM_MODELS": "1"})
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 12)
        self.assertEqual(rq["timed_out"], 0, s["inferload"]["failures"])
        kinds = {f["error"]: f["count"] for f in s["inferload"]["failures"]}
        self.assertEqual(kinds, {"grpc UNKNOWN: bad content-type": 12})
        self.assertGreater(s["metrics"]["data_sent"]["count"], 12 * 600_000)
        self.assertGreater(s["metrics"]["data_received"]["count"], 12 * 600_000)

    def test_many_streams_on_one_connection(self):
        with Nghttpd("-m", "10") as server:
            code, _, err, s = run(server.endpoint, "-u", "30", "-i", "600", "--workers", "1")
        self.assertEqual(code, 0, err)
        rq = self.assert_accounted(s, 600)
        self.assertEqual(rq["timed_out"], 0)
        self.assertEqual(s["inferload"]["grpc"]["connections_opened"], 1)


class BadConfig(unittest.TestCase):
    def test_unreachable_grpc_endpoint_is_one_line(self):
        port = free_port()
        code, out, err, _ = run(f"127.0.0.1:{port}", "-u", "1", "-i", "1")
        self.assertEqual(code, 107, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("INFER_GRPC_ENDPOINT", lines[0])
        self.assertIn("unreachable", lines[0])

    def test_malformed_grpc_endpoint_is_named(self):
        for bad in ["http://127.0.0.1:9000", "127.0.0.1:9000/x", "127.0.0.1:notaport"]:
            code, _, err, _ = run(bad, "-u", "1", "-i", "1")
            self.assertEqual(code, 104, (bad, err))
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn("INFER_GRPC_ENDPOINT", err)

    def test_an_unknown_type_is_refused_naming_model_type(self):
        code, _, err, _ = run("127.0.0.1:1", "-u", "1", "-i", "1", "--grpc-raw-contents",
                              env={"MODEL_TYPE": "echo,resnet", "MAX_NUM_MODELS": "1,1"})
        self.assertEqual(code, 104, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("MODEL_TYPE", err)
        self.assertIn("resnet", err)

    def test_help_lists_the_raw_contents_flag(self):
        p = subprocess.run([INFERLOAD, "run", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--grpc-raw-contents", p.stdout)
        self.assertIn("raw_input_contents", p.stdout)

    def test_bad_grpc_flags_are_named(self):
        for args, flag in [(["--grpc-connection=sometimes"], "--grpc-connection"),
                           (["--grpc-connections", "0"], "--grpc-connections"),
                           (["--grpc-timeout", "0s"], "--grpc-timeout"),
                           (["--grpc-connection=per-iteration", "--grpc-connections", "2"], "--grpc-connections"),
                           (["--http2-stream-window", "100"], "--http2-stream-window")]:
            code, _, err, _ = run("127.0.0.1:1", "-u", "1", "-i", "1", *args)
            self.assertNotEqual(code, 0, args)
            self.assertIn(flag, err, args)
            self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
