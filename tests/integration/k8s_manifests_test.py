"""configs/k8s rendered by `kubectl kustomize` (kustomize v5 of a current kubectl, and v2.0.3 of
Debian's kubernetes-client when KUBECTL_V2 names it): every overlay of SCv2's suite is there,
and each rendered Job's args and env are the ones SCv2's overlay gives k6 (suite sections 2.2
and 2.3, written out below), with inferload's few documented differences; the distributed
overlay is an Indexed Job whose pods run their segment of one test into a shared volume, and a
merge Job over it. tools/k8s/render.sh fills the endpoints in.

Skips (exit 77) when kubectl is not installed.
Environment: KUBECTL (default: kubectl on PATH), KUBECTL_V2 (optional second kubectl).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import scv2_base_job  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OVERLAYS = os.path.join(ROOT, "configs", "k8s", "overlays")
RENDER = os.path.join(ROOT, "tools", "k8s", "render.sh")
SKIPPED = 77

# SCv2's base Job (tests/k6/configs/k8s/base/k6.yaml), section 2.2.
SCV2_BASE_ARGS = scv2_base_job.ARGS
SCV2_BASE_ENV = scv2_base_job.ENV
# inferload's differences from every SCv2 Job, as configs/k8s/base/job.yaml explains them.
INFERLOAD_ENV = {
    "USE_KUBE_CONTROL_PLANE": "false",
    "POD_NAME": {"fieldRef": {"fieldPath": "metadata.name"}},
}


def pipeline(script):
    return {"args": SCV2_BASE_ARGS[:7] + ["-i", "5000", "-d", "120m", "scenarios/" + script],
            "env": {"INFER_HTTP_ENDPOINT": "http://seldon-mesh:80"}}


# SCv2's overlays, section 2.3: what each changes in the base Job. The rproxy and server overlays
# are one directory each in SCv2, pointed at triton-0 or mlserver-0 by the Makefile's target;
# here each target is its own overlay, named by the Makefile's endpoint variable.
SCV2_OVERLAYS = {
    "envoy": {"job": "envoy", "env": {"TEST_METADATA": "envoy_test",
                                      "INFER_HTTP_ENDPOINT": "http://${ENVOY_ENDPOINT}:80",
                                      "INFER_GRPC_ENDPOINT": "${ENVOY_ENDPOINT}:80"}},
    "rproxy": {"job": "rproxy", "env": {"TEST_METADATA": "rproxy_test", "ENVOY": "false",
                                        "INFER_HTTP_ENDPOINT": "http://${RPROXY_TRITON_ENDPOINT}:9001",
                                        "INFER_GRPC_ENDPOINT": "${RPROXY_TRITON_ENDPOINT}:9501"}},
    "rproxy-mlserver": {"job": "rproxy-mlserver",
                        "env": {"TEST_METADATA": "rproxy_test", "ENVOY": "false",
                                "INFER_HTTP_ENDPOINT": "http://${RPROXY_MLSERVER_ENDPOINT}:9001",
                                "INFER_GRPC_ENDPOINT": "${RPROXY_MLSERVER_ENDPOINT}:9501"}},
    "server": {"job": "server", "env": {"TEST_METADATA": "server_test", "ENVOY": "false",
                                        "INFER_HTTP_ENDPOINT": "http://${RPROXY_TRITON_ENDPOINT}:9000",
                                        "INFER_GRPC_ENDPOINT": "${RPROXY_TRITON_ENDPOINT}:9500"}},
    "server-mlserver": {"job": "server-mlserver",
                        "env": {"TEST_METADATA": "server_test", "ENVOY": "false",
                                "INFER_HTTP_ENDPOINT": "http://${RPROXY_MLSERVER_ENDPOINT}:9000",
                                "INFER_GRPC_ENDPOINT": "${RPROXY_MLSERVER_ENDPOINT}:9500"}},
    "kmodel": {"job": "kafka-model", "env": {"TEST_METADATA": "kafka_model_test", "VIA_PIPELINE": "false",
                                             "INFER_HTTP_ENDPOINT": "http://${PIPELINE_ENDPOINT}:9010",
                                             "INFER_GRPC_ENDPOINT": "${PIPELINE_ENDPOINT}:9011"}},
    "kpipeline": {"job": "kafka-pipeline", "env": {"TEST_METADATA": "kafka_pipeline_test", "VIA_PIPELINE": "true",
                                                   "INFER_HTTP_ENDPOINT": "http://${PIPELINE_ENDPOINT}:9010",
                                                   "INFER_GRPC_ENDPOINT": "${PIPELINE_ENDPOINT}:9011"}},
    # SCv2's pipeline overlays name their Jobs with no dash before k6 (1-model-pipelinek6).
    "pipeline/1_model_pipeline": {"job": "1-model-pipeline", **pipeline("pipeline/1_model_pipeline.js")},
    "pipeline/scalability/1_model_pipeline_all_svcs_scaled": {
        "job": "1-model-pipeline-all-svcs-scaled",
        **pipeline("pipeline/scalability/1_model_pipeline_all_svcs_scaled.js")},
    "pipeline/scalability/5_model_double_pipeline": {
        "job": "5-model-double-pipeline", **pipeline("pipeline/scalability/5_model_double_pipelines.js")},
    "pipeline/scalability/parallel_pipeline": {
        "job": "parallel-pipeline", **pipeline("pipeline/scalability/parallel_pipeline.js")},
    "pipeline/scalability/scale_all_up_down_during_test": {
        "job": "scale-all-up-down-during-test", **pipeline("pipeline/scalability/scale_all_up_down_during_test.js")},
    "pipeline/scalability/scale_dataflow_engine_during_test": {
        "job": "scale-dataflow-engine-during-test",
        **pipeline("pipeline/scalability/scale_dataflow-engine_during_test.js")},
    "pipeline/scalability/scale_model_gw_during_test": {
        "job": "scale-model-gw-during-test", **pipeline("pipeline/scalability/scale_modelgw_during_test.js")},
    "pipeline/scalability/scale_pipeline_gw_during_test": {
        "job": "scale-pipeline-gw-during-test", **pipeline("pipeline/scalability/scale_pipelinegw_during_test.js")},
}

SEGMENTS = 3
DISTRIBUTED_ARGS = ["--no-teardown", "--summary-export", "results/segment-$(JOB_COMPLETION_INDEX).json",
                    "--out", "csv=results/segment-$(JOB_COMPLETION_INDEX).gz",
                    "-u", "5", "-i", "100000", "-d", "120m",
                    "--parallelism", "$(SEGMENTS)", "--start-at", "${START_AT}", "--ready-file", "results/setup.ready",
                    "scenarios/infer_constant_vu.js"]
DISTRIBUTED_ENV = {
    "JOB_COMPLETION_INDEX": {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}},
    "SEGMENTS": str(SEGMENTS),
    "INFERLOAD_METADATA": "results/metadata-$(JOB_COMPLETION_INDEX).txt",
    "INFERLOAD_EXIT_FILE": "results/segment-$(JOB_COMPLETION_INDEX).exit",
}


def kubectls():
    """The kubectl binaries to render with: KUBECTL (or kubectl on PATH), and KUBECTL_V2."""
    found = []
    for name in (os.environ.get("KUBECTL") or "kubectl", os.environ.get("KUBECTL_V2")):
        path = name and shutil.which(name)
        if path and path not in found:
            found.append(path)
    return found


class Renderer:
    """One kubectl, and configs/k8s rendered with it into lists of objects."""

    def __init__(self, kubectl):
        self.kubectl = kubectl
        # render.sh runs `kubectl` from PATH: this directory's is this one.
        self.bin = tempfile.mkdtemp(prefix="inferload-kubectl-")
        os.symlink(kubectl, os.path.join(self.bin, "kubectl"))

    def close(self):
        shutil.rmtree(self.bin, ignore_errors=True)

    def overlay(self, overlay):
        return self.objects(self.run([self.kubectl, "kustomize", os.path.join(OVERLAYS, overlay)]))

    def script(self, overlay, env):
        full_env = {**os.environ, **env, "PATH": self.bin + os.pathsep + os.environ.get("PATH", "")}
        text = self.run([RENDER, overlay], full_env)
        return text, self.objects(text)

    def run(self, cmd, env=None, stdin=None):
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                           timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
        return p.stdout

    def objects(self, yaml_text):
        """YAML read back by kubectl itself, as JSON: `label --local` needs no server (and the
        standard library has no YAML parser)."""
        text = self.run([self.kubectl, "label", "--local", "-f", "-", "-o", "json", "unused-label-"], stdin=yaml_text)
        decoder, objects, at = json.JSONDecoder(), [], 0
        while text[at:].strip():
            at = len(text) - len(text[at:].lstrip())
            obj, at = decoder.raw_decode(text, at)
            objects.append(obj)
        return objects


def jobs(objects):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "Job"}


def container(job):
    [c] = job["spec"]["template"]["spec"]["containers"]
    return c


def env_of(c):
    return {e["name"]: e["value"] if "value" in e else e["valueFrom"] for e in c.get("env", [])}


def volumes(job):
    return {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}


def overlay_dirs():
    found = set()
    for dirpath, _, files in os.walk(OVERLAYS):
        if "kustomization.yaml" in files:
            found.add(os.path.relpath(dirpath, OVERLAYS))
    return found


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.renderers = [Renderer(k) for k in kubectls()]

    @classmethod
    def tearDownClass(cls):
        for r in cls.renderers:
            r.close()

    def each(self):
        for r in self.renderers:
            with self.subTest(kubectl=r.kubectl):
                yield r

    def assert_scv2_job(self, job, expected_args, expected_env):
        c = container(job)
        self.assertEqual(c["args"], expected_args)
        self.assertEqual(env_of(c), expected_env)
        self.assertNotIn("command", c)  # the image's entrypoint runs `inferload run` with these args
        self.assertEqual(c["image"], "inferload:latest")
        self.assertEqual(c["imagePullPolicy"], "IfNotPresent")
        self.assertEqual(job["metadata"]["namespace"], "seldon-mesh")
        pod = job["spec"]["template"]["spec"]
        self.assertEqual(pod["restartPolicy"], "Never")
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(pod["securityContext"]["runAsUser"], 0)
        # Guaranteed QoS with whole CPUs: what lets the static CPU manager give the workers CPUs of their own.
        res = c["resources"]
        self.assertEqual(res["requests"], res["limits"])
        self.assertEqual(str(int(res["requests"]["cpu"])), res["requests"]["cpu"])
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        self.assertEqual(mounts["results"], "/home/inferload/results")
        self.assertEqual(mounts["podinfo"], "/info")
        self.assertEqual(volumes(job)["podinfo"]["downwardAPI"]["items"],
                         [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}])

    def test_every_overlay_of_the_suite_is_here_and_no_other(self):
        self.assertEqual(overlay_dirs(), set(SCV2_OVERLAYS) | {"distributed"})

    def test_each_overlay_renders_the_suites_args_and_env(self):
        for r in self.each():
            for overlay, want in SCV2_OVERLAYS.items():
                with self.subTest(overlay=overlay):
                    objects = r.overlay(overlay)
                    self.assertEqual([o["kind"] for o in objects], ["Job"])
                    job = objects[0]
                    self.assertEqual(job["metadata"]["name"], want["job"] + "-inferload")
                    self.assertEqual(job["spec"]["parallelism"], 1)
                    self.assertEqual(job["spec"]["completions"], 1)
                    self.assertEqual(volumes(job)["results"], {"name": "results", "emptyDir": {}})
                    self.assert_scv2_job(job, want.get("args", SCV2_BASE_ARGS),
                                         {**SCV2_BASE_ENV, **want["env"], **INFERLOAD_ENV})

    def test_the_distributed_overlay_splits_the_envoy_test_across_an_indexed_job(self):
        for r in self.each():
            objects = r.overlay("distributed")
            [claim] = [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
            self.assertEqual(claim["spec"]["accessModes"], ["ReadWriteMany"])
            all_jobs = jobs(objects)
            self.assertEqual(sorted(all_jobs), ["distributed-envoy-inferload", "distributed-inferload-merge"])
            job = all_jobs["distributed-envoy-inferload"]
            spec = job["spec"]
            self.assertEqual(spec["completionMode"], "Indexed")
            self.assertEqual(spec["parallelism"], SEGMENTS)
            self.assertEqual(spec["completions"], SEGMENTS)
            self.assertEqual(spec["backoffLimit"], 0)
            envoy = {**SCV2_BASE_ENV, **SCV2_OVERLAYS["envoy"]["env"], **INFERLOAD_ENV}
            self.assert_scv2_job(job, DISTRIBUTED_ARGS, {**envoy, **DISTRIBUTED_ENV})
            # Kubernetes expands $(VAR) only from variables defined before the one that uses it.
            names = [e["name"] for e in container(job)["env"]]
            self.assertLess(names.index("JOB_COMPLETION_INDEX"), names.index("INFERLOAD_METADATA"))
            self.assertLess(names.index("JOB_COMPLETION_INDEX"), names.index("INFERLOAD_EXIT_FILE"))
            self.assertEqual(volumes(job)["results"],
                             {"name": "results", "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}})

            merge = all_jobs["distributed-inferload-merge"]
            self.assertNotIn("completionMode", merge["spec"])
            c = container(merge)
            self.assertEqual(c["image"], "inferload:latest")
            self.assertEqual(c["command"], ["/bin/sh", "-c"])
            [script] = c["args"]
            self.assertIn('-ge "$SEGMENTS"', script)
            self.assertIn("results/segment-*.exit", script)
            self.assertTrue(script.strip().endswith(
                "exec inferload-entrypoint merge results/segment-*.json --summary-export results/merged.json"), script)
            self.assertEqual(env_of(c)["SEGMENTS"], str(SEGMENTS))
            self.assertEqual(merge["metadata"]["namespace"], "seldon-mesh")
            self.assertEqual({m["name"]: m["mountPath"] for m in c["volumeMounts"]}["results"],
                             "/home/inferload/results")
            self.assertEqual(volumes(merge)["results"],
                             {"name": "results", "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}})
            self.assertTrue(merge["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"])

    def test_both_kustomize_versions_render_the_same(self):
        if len(self.renderers) < 2:
            self.skipTest("one kubectl only (KUBECTL_V2 names a second, e.g. Debian's kubernetes-client)")
        first, second = self.renderers[:2]
        for overlay in sorted(overlay_dirs()):
            with self.subTest(overlay=overlay):
                key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
                self.assertEqual(sorted(first.overlay(overlay), key=key), sorted(second.overlay(overlay), key=key))

    def test_the_render_script_fills_every_placeholder_and_keeps_kubernetes_own_references(self):
        endpoints = {"SCHEDULER_ENDPOINT": "10.0.0.4", "ENVOY_ENDPOINT": "10.96.0.80",
                     "RPROXY_TRITON_ENDPOINT": "10.0.0.7", "RPROXY_MLSERVER_ENDPOINT": "10.0.0.8",
                     "PIPELINE_ENDPOINT": "10.0.0.9", "START_AT": "2031-05-01T12:00:00Z"}
        for r in self.each():
            for overlay in sorted(overlay_dirs()):
                with self.subTest(overlay=overlay):
                    text, objects = r.script(overlay, {**endpoints, "IMAGE": "registry.example:5000/perf/inferload:1.2",
                                                       "NAMESPACE": "perf"})
                    self.assertNotIn("${", text)
                    for job in jobs(objects).values():
                        self.assertEqual(job["metadata"]["namespace"], "perf")
                        c = container(job)
                        self.assertEqual(c["image"], "registry.example:5000/perf/inferload:1.2")
                        env = env_of(c)
                        if "SCHEDULER_ENDPOINT" in env:
                            self.assertEqual(env["SCHEDULER_ENDPOINT"], "10.0.0.4:9004")
                        want = SCV2_OVERLAYS.get(overlay, SCV2_OVERLAYS["envoy"])["env"]
                        if "INFER_GRPC_ENDPOINT" in want and c["name"] == "inferload":
                            expected = want["INFER_GRPC_ENDPOINT"]
                            for name, value in endpoints.items():
                                expected = expected.replace("${" + name + "}", value)
                            self.assertEqual(env["INFER_GRPC_ENDPOINT"], expected)
                    if overlay == "distributed":
                        args = container(jobs(objects)["distributed-envoy-inferload"])["args"]
                        self.assertEqual(args[args.index("--start-at") + 1], "2031-05-01T12:00:00Z")
                        self.assertIn("results/segment-$(JOB_COMPLETION_INDEX).json", args)

    def test_the_render_script_defaults_to_scv2s_service_names(self):
        for r in self.each():
            _, objects = r.script("envoy", {})
            env = env_of(container(objects[0]))
            self.assertEqual(env["INFER_HTTP_ENDPOINT"], "http://seldon-mesh:80")
            self.assertEqual(env["SCHEDULER_ENDPOINT"], "seldon-scheduler:9004")
            self.assertEqual(container(objects[0])["image"], "inferload:latest")


if __name__ == "__main__":
    if not kubectls():
        print("SKIPPED: no kubectl (Debian: apt-get install kubernetes-client) to render configs/k8s with")
        sys.exit(SKIPPED)
    unittest.main(verbosity=2)
