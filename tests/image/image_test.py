"""make image-test: builds the top-level Dockerfile with podman (from a Debian base made here
with debootstrap, or BASE_IMAGE and BUILD_IMAGE when a registry is reachable) and runs the image
with host networking against scv2-sim started on the host, with the args of SCv2's Job:

- under podman's default seccomp profile, which refuses io_uring_setup as many clusters'
  RuntimeDefault does, inferload falls back to epoll by itself and says so;
- with seccomp=unconfined it uses io_uring;
- in both, its counts equal the simulator's, results/ holds the export and metadata.txt, and
  the process ran as the image's non-root user;
- a SIGTERM to the container (what Kubernetes sends to stop a pod) comes out as inferload's 105.

Skips, saying why, without podman, buildah, runc or debootstrap (tools/install-deps.sh installs
them) or without root. Everything podman keeps (images, containers, configuration) lives in a
temporary directory removed at the end.

usage: image_test.py --build BUILD_DIR
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from peers import Sim, wait_for  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = "localhost/inferload:image-test"
IMAGE_UID = 10001
LABELS = 'app="inferload"\ncontroller-uid="0d6e2b1c-4a33-4c8e-9f7a-5f0c3a9e1b2d"\n'

# runc: crun refuses hosts whose cgroups are in hybrid mode. The ulimits must not exceed the
# machine's own (podman's default asks for more open files than some hosts allow).
CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile={nofile}:{nofile}", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""
STORAGE_CONF = """[storage]
driver = "overlay"
runroot = "{dir}/run"
graphroot = "{dir}/storage"
"""


def missing_tools():
    missing = [t for t in ("podman", "buildah", "runc", "debootstrap") if shutil.which(t) is None]
    if missing:
        return "no " + ", ".join(missing) + " (tools/install-deps.sh installs them)"
    if os.geteuid() != 0:
        return "not root (debootstrap and podman's overlay storage here need root)"
    return None


class Podman:
    """podman with its configuration and storage in `dir`."""

    def __init__(self, dir):
        self.dir = dir
        os.makedirs(os.path.join(dir, "tmp"))
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        with open(os.path.join(dir, "containers.conf"), "w") as f:
            f.write(CONTAINERS_CONF.format(nofile=min(nofile, 1048576)))
        with open(os.path.join(dir, "storage.conf"), "w") as f:
            f.write(STORAGE_CONF.format(dir=dir))
        self.env = {**os.environ, "CONTAINERS_CONF": os.path.join(dir, "containers.conf"),
                    "CONTAINERS_STORAGE_CONF": os.path.join(dir, "storage.conf"),
                    "TMPDIR": os.path.join(dir, "tmp")}

    def step(self, what, cmd, env=None):
        """Runs a long step with its output in a log file, shown in full when it fails."""
        log = os.path.join(self.dir, what.replace(" ", "-") + ".log")
        started = time.monotonic()
        with open(log, "w") as f:
            p = subprocess.run(cmd, cwd=ROOT, env={**self.env, **(env or {})}, stdout=f, stderr=subprocess.STDOUT)
        took = time.monotonic() - started
        if p.returncode != 0:
            with open(log) as f:
                sys.stdout.write(f.read()[-20000:])
            raise SystemExit(f"image-test: {what} failed (exit {p.returncode})")
        print(f"image-test: {what}: {took:.0f} s", flush=True)
        return took

    def cleanup(self):
        subprocess.run(["buildah", "rm", "--all"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["podman", "system", "reset", "--force"], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


class Container:
    """One run of the image as SCv2's Job runs it: results/ and the labels file mounted from the
    host, the suite's variables pointing at the simulator."""

    def __init__(self, podman, sim, name, *options):
        self.podman = podman
        self.name = name
        self.host_dir = tempfile.mkdtemp(prefix="pod-", dir=podman.dir)
        self.results = os.path.join(self.host_dir, "results")
        os.mkdir(self.results)
        os.chmod(self.results, 0o777)  # written by the image's user
        labels = os.path.join(self.host_dir, "labels")
        with open(labels, "w") as f:
            f.write(LABELS)
        env = {"INFER_HTTP_ENDPOINT": sim.url, "INFER_GRPC_ENDPOINT": sim.grpc,
               "SCHEDULER_ENDPOINT": sim.scheduler, "USE_KUBE_CONTROL_PLANE": "false",
               "MODEL_TYPE": "iris", "MAX_NUM_MODELS": "4", "WARMUP": "false", "TEST_METADATA": "image_test",
               "POD_NAME": name, "NAMESPACE": "image-test"}
        self.cmd = ["podman", "run", "--rm", "--name", name, "--network", "host", *options,
                    "-v", f"{self.results}:/home/inferload/results", "-v", f"{labels}:/info/labels:ro"]
        for k, v in env.items():
            self.cmd += ["-e", f"{k}={v}"]
        self.cmd.append(IMAGE)

    def start(self, *args):
        return subprocess.Popen([*self.cmd, *args], env=self.podman.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(self, *args):
        p = self.start(*args)
        out, err = p.communicate(timeout=300)
        return p.returncode, out, err

    def export(self):
        with open(os.path.join(self.results, "base.json")) as f:
            return json.load(f)

    def metadata(self):
        with open(os.path.join(self.results, "metadata.txt")) as f:
            return dict(line.split(":", 1) for line in f.read().splitlines())


# The base Job's args (suite section 2.2) on a small budget.
JOB_ARGS = ["--no-teardown", "--summary-export", "results/base.json", "--out", "csv=results/base.gz",
            "-u", "5", "-i", "2000", "-d", "120m", "scenarios/infer_constant_vu.js"]


def job_sim(build):
    return Sim(os.path.join(build, "bin", "scv2-sim"), "--grpc-port", "0", "--scheduler-port", "0",
               "--models", "registry")


class Image(unittest.TestCase):
    podman = None
    build = None

    def run_job(self, name, *options):
        with job_sim(self.build) as sim:
            c = Container(self.podman, sim, name, *options)
            code, out, err = c.run(*JOB_ARGS)
            stats = sim.stats()
        self.assertEqual(code, 0, out + err)
        s = c.export()
        self.assertEqual(s["metrics"]["iterations"]["count"], 2000)
        self.assertEqual(s["inferload"]["requests"]["ok"], 2000)
        self.assertEqual(stats["rest_infer"] + stats["grpc_infer"], 2000)
        self.assertGreater(stats["rest_infer"], 0)
        self.assertGreater(stats["grpc_infer"], 0)
        self.assertEqual(stats["loaded_models"], 4)
        # Every file the run wrote belongs to the image's user: the process was not root.
        written = sorted(os.listdir(c.results))
        self.assertEqual(written, ["base.gz", "base.json", "metadata.txt"])
        for f in written:
            self.assertEqual(os.stat(os.path.join(c.results, f)).st_uid, IMAGE_UID, f)
        m = c.metadata()
        self.assertEqual(m["pod"], name)
        self.assertEqual(m["namespace"], "image-test")
        self.assertEqual(m["labels"], " ".join(LABELS.splitlines()))
        # The header says which backend the run got, as the metadata file does.
        header = re.search(r"\n     inferload: [^,]+, (.+), \d+ workers?\n", out)
        self.assertIsNotNone(header, out)
        self.assertEqual(header.group(1), m["io_backend"])
        self.assertIn(f"inferload-entrypoint: I/O backend: {m['io_backend']}\n", err)
        return m["io_backend"]

    def test_default_seccomp_refuses_io_uring_and_the_run_falls_back_to_epoll(self):
        backend = self.run_job("inferload-default-seccomp")
        self.assertRegex(backend, r"^epoll \(io_uring unavailable: io_uring_setup: .+\)$")

    def test_unconfined_seccomp_gets_io_uring(self):
        backend = self.run_job("inferload-unconfined", "--security-opt", "seccomp=unconfined")
        self.assertTrue(backend.startswith("io_uring ("), backend)

    def test_a_sigterm_to_the_container_is_inferloads_105(self):
        with job_sim(self.build) as sim:
            c = Container(self.podman, sim, "inferload-sigterm")
            p = c.start("--no-teardown", "--summary-export", "results/base.json", "-u", "5", "-i", "100000000",
                        "-d", "120m", "scenarios/infer_constant_vu.js")
            try:
                wait_for("requests served", lambda: sim.stats()["rest_infer"] > 100, timeout=60)
                subprocess.run(["podman", "kill", "--signal", "TERM", c.name], env=self.podman.env, check=True,
                               stdout=subprocess.DEVNULL)
                out, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            stats = sim.stats()
        self.assertEqual(p.returncode, 105, out + err)
        requests = c.export()["inferload"]["requests"]
        # Requests in flight at the signal were sent but may not have been answered.
        served = stats["rest_infer"] + stats["grpc_infer"]
        self.assertLessEqual(requests["ok"], served)
        self.assertLessEqual(served, requests["issued"])
        self.assertEqual(list(c.metadata())[-1], "labels")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, help="the build directory with bin/scv2-sim")
    args = parser.parse_args()
    why = missing_tools()
    if why:
        print(f"image-test: SKIPPED: {why}")
        return 0
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="inferload-image-test-", dir="/var/tmp")
    podman = Podman(work)
    try:
        base_env = {}
        if os.environ.get("BASE_IMAGE") and os.environ.get("BUILD_IMAGE"):
            base_env = {"BASE_IMAGE": os.environ["BASE_IMAGE"], "BUILD_IMAGE": os.environ["BUILD_IMAGE"]}
        else:
            base_env = {"BASE_IMAGE": "localhost/debian:bookworm-slim", "BUILD_IMAGE": "localhost/debian:bookworm"}
            podman.step("base image (debootstrap)", [os.path.join(ROOT, "tools", "image", "debian-base.sh"),
                                                     base_env["BASE_IMAGE"], base_env["BUILD_IMAGE"]])
        podman.step("image build", [os.path.join(ROOT, "tools", "image", "build.sh"), IMAGE],
                    {**base_env, "INFERLOAD_IMAGE_BUILDER": "podman"})
        Image.podman = podman
        Image.build = os.path.abspath(args.build)
        runs_started = time.monotonic()
        result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
        print(f"image-test: runs: {time.monotonic() - runs_started:.0f} s")
    finally:
        podman.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    print(f"image-test: {time.monotonic() - started:.0f} s in all")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
