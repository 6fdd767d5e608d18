"""The image's entrypoint (tools/image/entrypoint.sh) run directly on the host against scv2-sim,
with the args SCv2's Job passes to k6wrapper.sh: results/metadata.txt written (the pod's name,
namespace and labels in it, secrets redacted), inferload's own exit code out unchanged (0, 99 of a
failed threshold, 105 of a SIGTERM sent to the entrypoint as Kubernetes sends it to the pod), the
upload command run after the test with the results in place, and its failure reported without
hiding the test's exit code.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend, wait_for  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")
ENTRYPOINT = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "image", "entrypoint.sh")

# The Job's args (suite section 2.2) on a small budget; `run` is the image's ENTRYPOINT's.
JOB_ARGS = ["run", "--io", IO, "--no-teardown", "--summary-export", "results/base.json", "--out",
            "csv=results/base.gz", "-u", "5", "-i", "300", "-d", "120m", "scenarios/infer_constant_vu.js"]
LABELS = 'app="inferload"\nbatch.kubernetes.io/controller-uid="5f0c3a9e-1b2d-4c8e-9f7a-0d6e2b1c4a33"\n' \
         'job-name="envoy-inferload"\n'
JOB_ID = "5f0c3a9e-1b2d-4c8e-9f7a-0d6e2b1c4a33"
# Stands in for gsutil: copies results/ to the "bucket" under the run's name, and records what
# the upload command was given.
UPLOAD = 'cp -r "$RESULTS_DIR" "$BUCKET/$RESULTS_RUN_NAME" && env > "$BUCKET/upload-env"'


class Pod:
    """A pod's working directory (results/ is relative to it), its downward API labels file, a
    directory standing in for the bucket, and the environment of the Job's container."""

    def __init__(self, sim, **extra_env):
        self.dir = tempfile.mkdtemp(prefix="inferload-pod-")
        self.bucket = os.path.join(self.dir, "bucket")
        os.mkdir(self.bucket)
        self.labels = os.path.join(self.dir, "labels")
        with open(self.labels, "w") as f:
            f.write(LABELS)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC",
                    "INFERLOAD": INFERLOAD, "PODINFO_LABELS": self.labels, "BUCKET": self.bucket,
                    "INFER_HTTP_ENDPOINT": sim.url, "INFER_GRPC_ENDPOINT": sim.grpc,
                    "SCHEDULER_ENDPOINT": sim.scheduler, "USE_KUBE_CONTROL_PLANE": "false",
                    "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "4", "WARMUP": "false",
                    "TEST_METADATA": "envoy_test", "NAMESPACE": "seldon-mesh",
                    "POD_NAME": "envoy-inferload-x7k2p", "GS_SECRET_TOKEN": "s3cr3t"}
        self.env.update(extra_env)

    def start(self, *args):
        return subprocess.Popen(["bash", ENTRYPOINT, *args], cwd=self.dir, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args):
        p = self.start(*args)
        out, err = p.communicate(timeout=120)
        return p.returncode, out, err

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def metadata(self, name="results/metadata.txt"):
        with open(self.path(name)) as f:
            return [tuple(line.split(":", 1)) for line in f.read().splitlines()]

    def export(self, name="results/base.json"):
        with open(self.path(name)) as f:
            return json.load(f)

    def uploaded(self):
        """The run names the upload command copied results/ to."""
        return sorted(n for n in os.listdir(self.bucket) if n != "upload-env")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def job_sim():
    return Sim(SCV2_SIM, "--grpc-port", "0", "--scheduler-port", "0", "--models", "registry")


class Entrypoint(unittest.TestCase):
    def setUp(self):
        self.sim = job_sim()
        self.addCleanup(self.sim.stop)
        self.pod = Pod(self.sim, RESULTS_UPLOAD_COMMAND=UPLOAD)
        self.addCleanup(self.pod.close)

    def test_a_run_writes_the_metadata_and_uploads_the_results(self):
        code, out, err = self.pod.run(*JOB_ARGS)
        self.assertEqual(code, 0, err)
        stats = self.sim.stats()
        s = self.pod.export()
        self.assertEqual(s["metrics"]["iterations"]["count"], 300)
        self.assertEqual(stats["rest_infer"] + stats["grpc_infer"], 300)
        self.assertEqual(stats["loaded_models"], 4)
        # The backend the run got, in the log as in the file.
        backend = "io_uring (" if IO == "uring" else "epoll ("
        self.assertIn(backend, out)
        lines = self.pod.metadata()
        self.assertEqual([k for k, _ in lines], ["start", "end", "args", "envs", "metadata", "pod", "namespace",
                                                 "inferload", "io_backend", "labels"])
        v = dict(lines)
        self.assertEqual(v["args"], " ".join(JOB_ARGS))
        self.assertEqual(v["metadata"], "envoy_test")
        self.assertEqual(v["pod"], "envoy-inferload-x7k2p")
        self.assertEqual(v["namespace"], "seldon-mesh")
        self.assertTrue(v["io_backend"].startswith(backend), v["io_backend"])
        self.assertIn(f"inferload-entrypoint: I/O backend: {v['io_backend']}\n", err)
        self.assertEqual(v["labels"], " ".join(LABELS.splitlines()))
        self.assertIn("GS_SECRET_TOKEN=<redacted>", v["envs"])
        self.assertIn("RESULTS_UPLOAD_COMMAND=", v["envs"])
        with open(self.pod.path("results", "metadata.txt")) as f:
            self.assertNotIn("s3cr3t", f.read())
        # The upload ran after the run, on the finished files, under the wrapper's folder name.
        [run] = self.pod.uploaded()
        self.assertRegex(run, rf"^envoy_test_{JOB_ID}_\d{{4}}(_\d\d){{5}}_[0-9a-f-]{{36}}$")
        with open(os.path.join(self.pod.bucket, run, "base.json")) as f:
            self.assertEqual(json.load(f), s)
        with open(os.path.join(self.pod.bucket, run, "metadata.txt")) as f:
            self.assertEqual(f.read().splitlines()[-1], "labels:" + v["labels"])
        with open(os.path.join(self.pod.bucket, "upload-env")) as f:
            upload_env = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        self.assertEqual(upload_env["JOB_ID"], JOB_ID)
        self.assertEqual(upload_env["RESULTS_DIR"], "results")
        self.assertIn("uploading results with RESULTS_UPLOAD_COMMAND", err)

    def test_a_failed_threshold_exits_99_after_the_upload(self):
        code, _, err = self.pod.run(*JOB_ARGS[:-1], "--threshold", "http_req_duration: max<0", JOB_ARGS[-1])
        self.assertEqual(code, 99, err)
        self.assertEqual(self.pod.export()["metrics"]["http_req_duration"]["thresholds"], {"max<0": True})
        [run] = self.pod.uploaded()
        self.assertTrue(os.path.exists(os.path.join(self.pod.bucket, run, "base.gz")))

    def test_a_failed_upload_is_reported_and_the_tests_exit_code_kept(self):
        for threshold, expected in (("max>=0", 0), ("max<0", 99)):
            with self.subTest(threshold=threshold):
                self.pod.env["RESULTS_UPLOAD_COMMAND"] = 'echo "bucket not found" >&2; exit 3'
                code, _, err = self.pod.run(*JOB_ARGS[:-1], "--threshold", f"http_req_duration: {threshold}",
                                            JOB_ARGS[-1])
                self.assertEqual(code, expected, err)
                self.assertIn("bucket not found", err)
                self.assertIn("inferload-entrypoint: RESULTS_UPLOAD_COMMAND failed with exit code 3; the results stay "
                              f"in results; exiting with inferload's exit code {expected}", err)

    def test_sigterm_is_passed_on_and_105_comes_out_after_the_upload(self):
        args = ["run", "--io", IO, "--no-teardown", "--summary-export", "results/base.json", "-u", "5",
                "-i", "100000000", "-d", "120m", "scenarios/infer_constant_vu.js"]
        self.pod.env["INFERLOAD_EXIT_FILE"] = "results/segment-0.exit"
        p = self.pod.start(*args)
        try:
            wait_for("requests served", lambda: self.sim.stats()["rest_infer"] > 100, timeout=30)
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 105, err)
        self.assertIn("'terminated' signal", err)
        requests = self.pod.export()["inferload"]["requests"]
        stats = self.sim.stats()
        # Requests in flight at the signal were sent but may not have been answered.
        served = stats["rest_infer"] + stats["grpc_infer"]
        self.assertLessEqual(requests["ok"], served)
        self.assertLessEqual(served, requests["issued"])
        self.assertEqual([k for k, _ in self.pod.metadata()][-1], "labels")
        with open(self.pod.path("results", "segment-0.exit")) as f:
            self.assertEqual(f.read(), "105\n")
        [run] = self.pod.uploaded()
        self.assertTrue(os.path.exists(os.path.join(self.pod.bucket, run, "segment-0.exit")))

    def test_the_metadata_flag_names_the_file_the_labels_go_to(self):
        del self.pod.env["RESULTS_UPLOAD_COMMAND"]
        self.pod.env["INFERLOAD_EXIT_FILE"] = "results/done"
        code, _, err = self.pod.run(*JOB_ARGS[:-1], "--metadata", "results/meta-1.txt", JOB_ARGS[-1])
        self.assertEqual(code, 0, err)
        self.assertEqual([k for k, _ in self.pod.metadata("results/meta-1.txt")][-1], "labels")
        self.assertIn("inferload-entrypoint: I/O backend: " + ("io_uring (" if IO == "uring" else "epoll ("), err)
        self.assertFalse(os.path.exists(self.pod.path("results", "metadata.txt")))
        self.assertEqual(self.pod.uploaded(), [])
        with open(self.pod.path("results", "done")) as f:
            self.assertEqual(f.read(), "0\n")

    def test_a_bad_flag_is_inferloads_error_and_exit_code(self):
        code, _, err = self.pod.run("run", "--io", IO, "--vus", "many")
        self.assertEqual(code, 255, err)
        self.assertIn("--vus", err)
        self.assertEqual(self.sim.stats()["rest_infer"], 0)


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
