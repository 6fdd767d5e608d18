"""--prometheus end to end against scv2-sim: the endpoint scraped during the run and checked as
Prometheus's text format (a parser of our own, and promtool's), the final numbers kept up after
the run until the next scrape, and a real Prometheus (Debian's package) scraping the run every
second, whose query API must then give exactly the run's http_reqs from --summary-export.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll). Without the
prometheus binary the file exits 77 (SKIPPED) after the tests that do not need it.
"""
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from peers import SKIPPED, Sim, free_port, stop_process, wait_for  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")

MODEL_TYPES = {"iris", "tfsimple"}
STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "error", "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                  "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                  "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
                  "DATA_LOSS", "UNAUTHENTICATED"}
REQUEST_LABELS = {"scenario", "protocol", "model_type"}

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def env_for(sim, **extra):
    e = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=sim.url, MODEL_TYPE="iris,tfsimple",
             INFER_GRPC_ITERATIONS="0")
    if sim.grpc:
        e["INFER_GRPC_ENDPOINT"] = sim.grpc
    e.update(extra)
    return e


def parse_labels(text):
    labels, at = {}, 0
    while at < len(text):
        m = LABEL.match(text, at)
        if not m:
            raise AssertionError(f"bad label set {text!r} at {at}")
        if m.group(1) in labels:
            raise AssertionError(f"label {m.group(1)} twice in {text!r}")
        labels[m.group(1)] = m.group(2)
        at = m.end()
        if at < len(text):
            if text[at] != ",":
                raise AssertionError(f"bad label set {text!r}")
            at += 1
    return labels


def parse_exposition(text):
    """Text format 0.0.4, strictly: returns {family: type} and [(name, family, labels, value)]."""
    assert text.endswith("\n"), "the text ends with a newline"
    types, helps, samples = {}, set(), []
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line[7:].split(" ", 1)[0]
            assert name not in helps, f"HELP twice for {name}"
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"TYPE twice for {name}"
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, value = m.group(1), parse_labels(m.group(2) or ""), float(m.group(3))
        family = name
        if name not in types:
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and types.get(name[:-len(suffix)]) in ("histogram", "summary"):
                    family = name[:-len(suffix)]
        assert family in types, f"{name}: no TYPE line before it"
        samples.append((name, family, labels, value))
    return types, samples


def check_exposition(test, text):
    """Everything a scrape must be, whatever the load: returns {series: value}."""
    types, samples = parse_exposition(text)
    for name in ("inferload_requests_total", "inferload_iterations_total", "inferload_dropped_iterations_total",
                 "inferload_sample_rows_lost_total"):
        test.assertEqual(types[name], "counter", name)
    for name in ("inferload_request_duration_seconds", "inferload_schedule_lateness_seconds"):
        test.assertEqual(types[name], "histogram", name)
    for name in ("inferload_request_duration_run_seconds", "inferload_schedule_lateness_run_seconds"):
        test.assertEqual(types[name], "summary", name)
    test.assertEqual(types["inferload_vus"], "gauge")
    test.assertEqual(types["inferload_vus_max"], "gauge")
    values = {}
    buckets = {}  # (family, labels without le) -> [(le, count)]
    counts = {}
    for name, family, labels, value in samples:
        key = (name, tuple(sorted(labels.items())))
        test.assertNotIn(key, values, "a series twice")
        values[key] = value
        test.assertFalse(math.isnan(value), name)
        if family == "inferload_requests_total":
            test.assertEqual(set(labels), REQUEST_LABELS | {"status_class"})
            test.assertIn(labels["status_class"], STATUS_CLASSES)
        if family.startswith("inferload_request_duration"):
            test.assertEqual(set(labels) - {"le", "quantile"}, REQUEST_LABELS, name)
        if family in ("inferload_requests_total", "inferload_request_duration_seconds",
                      "inferload_request_duration_run_seconds"):
            test.assertIn(labels["protocol"], ("rest", "grpc"))
            test.assertIn(labels["model_type"], MODEL_TYPES, "a model type, never a model's name")
        if name.endswith("_bucket"):
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            buckets.setdefault((family, rest), []).append((float(labels["le"]), value))
        if name.endswith("_count"):
            counts[(family, tuple(sorted(labels.items())))] = value
    test.assertTrue(buckets or not any(f == "inferload_request_duration_seconds" for _, f, _, _ in samples))
    for (family, rest), series in buckets.items():
        les = [le for le, _ in series]
        test.assertEqual(les, sorted(les), "le ascending")
        test.assertEqual(les[-1], math.inf, 'the last bucket is le="+Inf"')
        cumulative = [c for _, c in series]
        test.assertEqual(cumulative, sorted(cumulative), "buckets are cumulative")
        test.assertEqual(cumulative[-1], counts[(family, rest)], "+Inf = _count")
    return values


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.headers["Content-Type"], r.read().decode()


def total(values, family, **match):
    return sum(v for (name, labels), v in values.items()
               if name == family and all(dict(labels).get(k) == w for k, w in match.items()))


def promtool_check(test, text):
    if not PROMTOOL:
        return
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    test.assertEqual(p.returncode, 0, "promtool check metrics: " + p.stdout)


class Run:
    """inferload in a child process, its stdout read line by line as it comes."""

    def __init__(self, args, env, export):
        self.proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, "--summary-export", export, *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out, self.err, self.lock = [], [], threading.Lock()
        self.readers = [threading.Thread(target=self._read, args=(f, into), daemon=True)
                        for f, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for r in self.readers:
            r.start()

    def _read(self, f, into):
        for line in f:
            with self.lock:
                into.append(line)

    def stdout(self):
        with self.lock:
            return "".join(self.out)

    def wait(self, timeout=60):
        self.proc.wait(timeout=timeout)
        for r in self.readers:
            r.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        with self.lock:
            return self.proc.returncode, "".join(self.out), "".join(self.err)


class PrometheusServer:
    """Debian's prometheus on 127.0.0.1, scraping one target every second."""

    def __init__(self, target_port):
        self.dir = tempfile.mkdtemp(prefix="inferload-prometheus-")
        self.port = free_port()
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: inferload\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen([PROMETHEUS, f"--config.file={conf}", f"--storage.tsdb.path={self.dir}/data",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        try:
            wait_for("prometheus ready", self._ready, timeout=60)
            # Prometheus applies discovered targets every 5 s: until it has tried the target once,
            # a short run could pass unscraped.
            wait_for("prometheus scraping the target", self._target_tried, timeout=60)
        except AssertionError:
            self.stop()
            raise

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("prometheus exited: " + self.log_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            return False

    def _target_tried(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/targets", timeout=5) as r:
            targets = json.loads(r.read())["data"]["activeTargets"]
        return any(not t["lastScrape"].startswith("0001-") for t in targets)

    def query(self, promql, at=None):
        """The instant vector's values, by their labels; at `at` (Unix seconds) when given."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return {tuple(sorted(x["metric"].items())): float(x["value"][1]) for x in body["data"]["result"]}

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.dir, "prometheus.log")) as f:
            return f.read()[-3000:]

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrometheusEndpoint(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="inferload-prom-")
        self.export = os.path.join(self.dir, "summary.json")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def read_export(self):
        with open(self.export) as f:
            return json.load(f)

    def test_scraped_during_the_run_and_the_final_numbers_stay_up_for_the_next_scrape(self):
        # --out prometheus=ADDR, gRPC and REST together, 20 % of REST answered 500.
        port = free_port()
        with Sim(SCV2_SIM, "--grpc-port", "0", "--error-rate", "0.2") as sim:
            run = Run(["-u", "4", "-d", "3s", "--out", f"prometheus=127.0.0.1:{port}"],
                      env_for(sim, INFER_GRPC_ITERATIONS="1"), self.export)
            try:
                wait_for("the endpoint", lambda: run.proc.poll() is not None or "output: prometheus" in run.stdout())
                self.assertIn(f"output: prometheus (http://127.0.0.1:{port}/metrics)", run.stdout())
                time.sleep(1.0)
                content_type, first = scrape(port)
                self.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
                early = check_exposition(self, first)
                promtool_check(self, first)
                self.assertGreater(total(early, "inferload_requests_total"), 0, "counted while the run goes on")
                time.sleep(1.0)
                later = check_exposition(self, scrape(port)[1])
                self.assertEqual(total(later, "inferload_vus"), 4, "k6's vus, sampled each second")
                for key, v in early.items():
                    if key[0].endswith("_total"):
                        self.assertGreaterEqual(later.get(key, 0), v, f"{key} never goes down")
                # The summary is printed once every record is in: from then on a scrape is final, and
                # the endpoint waits for it (two scrapes seen 1 s apart: up to 2 s).
                wait_for("the summary", lambda: run.proc.poll() is not None or "samples..." in run.stdout(), timeout=30)
                self.assertIsNone(run.proc.poll(), "the endpoint stays up until the next scrape")
                final_text = scrape(port)[1]
                scraped_at = time.monotonic()
                code, out, err = run.wait()
                self.assertLess(time.monotonic() - scraped_at, 2.0, "and closes once it had it")
            finally:
                stop_process(run.proc)
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        final = check_exposition(self, final_text)
        promtool_check(self, final_text)
        m = self.read_export()["metrics"]
        self.assertEqual(total(final, "inferload_requests_total", protocol="rest"), m["http_reqs"]["count"])
        self.assertEqual(total(final, "inferload_requests_total", protocol="rest"), served)
        self.assertEqual(total(final, "inferload_requests_total", protocol="rest", status_class="5xx"),
                         m["http_req_failed"]["passes"])
        self.assertGreater(m["http_req_failed"]["passes"], 0)
        info = self.read_export()["inferload"]
        self.assertEqual(total(final, "inferload_requests_total", protocol="grpc", status_class="OK"),
                         info["grpc"]["statuses"]["OK"])
        self.assertGreater(info["grpc"]["statuses"]["OK"], 0)
        # Every request the summary accounts for, but those a hard stop cut off (no sample, as in k6).
        requests = info["requests"]["issued"] - info["requests"]["interrupted"]
        self.assertEqual(total(final, "inferload_requests_total"), requests)
        self.assertEqual(total(final, "inferload_request_duration_seconds_count"), requests)
        self.assertEqual(total(final, "inferload_iterations_total", scenario="default"), m["iterations"]["count"])
        self.assertEqual(total(final, "inferload_sample_rows_lost_total"), 0)
        # The run's quantiles agree with the summary's (both from 3-significant-digit histograms,
        # one per model type here).
        p95 = [v for (name, labels), v in final.items()
               if name == "inferload_request_duration_run_seconds" and ("quantile", "0.95") in labels
               and ("protocol", "rest") in labels]
        self.assertEqual(len(p95), 2)
        self.assertTrue(min(p95) * 1000 <= m["http_req_duration"]["p(95)"] * 1.01 + 0.01, (p95, m["http_req_duration"]))
        self.assertTrue(max(p95) * 1000 >= m["http_req_duration"]["p(95)"] * 0.99 - 0.01, (p95, m["http_req_duration"]))
        self.assertEqual({dict(labels)["model_type"] for (name, labels) in final if name == "inferload_requests_total"},
                         MODEL_TYPES)

    def test_an_open_loop_run_has_lateness_and_drops(self):
        port = free_port()
        with Sim(SCV2_SIM, "--latency", "50ms") as sim:
            run = Run(["--rate", "100", "-d", "2s", "--pre-allocated-vus", "2", "--max-vus", "2",
                       "--prometheus", f"127.0.0.1:{port}"], env_for(sim), self.export)
            try:
                wait_for("the endpoint", lambda: run.proc.poll() is not None or "output: prometheus" in run.stdout())
                # Scrapes every 0.3 s while the run goes on, then the final numbers, kept up for the next.
                while run.proc.poll() is None and "samples..." not in run.stdout():
                    check_exposition(self, scrape(port)[1])
                    time.sleep(0.3)
                text = scrape(port)[1]
                code, _, err = run.wait()
            finally:
                stop_process(run.proc)
        self.assertEqual(code, 0, err)
        values = check_exposition(self, text)
        m = self.read_export()["metrics"]
        self.assertGreater(m["dropped_iterations"]["count"], 0)
        self.assertEqual(total(values, "inferload_dropped_iterations_total", scenario="default"),
                         m["dropped_iterations"]["count"])
        self.assertEqual(total(values, "inferload_schedule_lateness_seconds_count", scenario="default"),
                         m["iterations"]["count"])
        self.assertEqual(total(values, "inferload_vus_max"), 2)

    def test_bad_addresses_are_one_line_errors_before_any_load(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        try:
            with Sim(SCV2_SIM) as sim:
                for args, needle in [
                    (["--prometheus", f"127.0.0.1:{busy}"], f"--prometheus: cannot listen on 127.0.0.1:{busy}: "
                                                             "Address already in use"),
                    (["--prometheus", "nonsense"], '--prometheus: "nonsense" is not HOST:PORT'),
                    (["--prometheus", "127.0.0.1:70000"], "--prometheus: "),
                    (["--out", f"prometheus=127.0.0.1:{busy}"], "--out prometheus: cannot listen on"),
                    (["--out", "prometheus"], "--out: prometheus needs the address"),
                    (["--prometheus", "127.0.0.1:0", "--out", "prometheus=127.0.0.1:0"], "--prometheus: --out prometheus="),
                ]:
                    p = subprocess.run([INFERLOAD, "run", "--io", IO, "-i", "1", *args], env=env_for(sim),
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                                       cwd=self.dir)
                    self.assertEqual(p.returncode, 255, (args, p.stderr))
                    self.assertIn(needle, p.stderr, args)
                    self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertEqual(sim.stats()["rest_infer"], 0, "no load was sent")
        finally:
            taken.close()

    @unittest.skipUnless(PROMETHEUS, "prometheus is not installed")
    def test_a_real_prometheus_scrapes_the_run_and_its_query_gives_the_runs_http_reqs(self):
        port = free_port()
        prom = PrometheusServer(port)
        try:
            with Sim(SCV2_SIM, "--error-rate", "0.1") as sim:
                run = Run(["--rate", "300", "-d", "4s", "--pre-allocated-vus", "4", "--prometheus", f"127.0.0.1:{port}"],
                          env_for(sim), self.export)
                try:
                    code, out, err = run.wait(timeout=60)
                    # Queries are evaluated at the exit: Prometheus's next scrape finds nobody and
                    # marks the series stale, after which a query of "now" has nothing.
                    at = time.time()
                finally:
                    stop_process(run.proc)
            self.assertEqual(code, 0, err)
            m = self.read_export()["metrics"]
            http_reqs = m["http_reqs"]["count"]
            self.assertGreater(http_reqs, 0)

            def settled():
                got = prom.query("sum(inferload_requests_total)", at)
                return got and list(got.values())[0] == http_reqs

            # inferload stayed up for Prometheus's next scrape after the run; its ingestion
            # follows the scrape by moments.
            try:
                wait_for("sum(inferload_requests_total) == http_reqs", settled, timeout=10)
            except AssertionError:
                self.fail(f"Prometheus has {prom.query('sum(inferload_requests_total)', at)}, the run {http_reqs} "
                          f"http_reqs; targets: {prom.query('up', at)}\n{prom.log_text()}")
            by_class = prom.query("sum by (status_class) (inferload_requests_total)", at)
            self.assertEqual(by_class.get((("status_class", "5xx"),), 0), m["http_req_failed"]["passes"])
            self.assertEqual(by_class.get((("status_class", "2xx"),), 0), http_reqs - m["http_req_failed"]["passes"])
            self.assertEqual(list(prom.query("sum(inferload_iterations_total)", at).values()), [m["iterations"]["count"]])
            self.assertEqual(list(prom.query("sum(inferload_request_duration_seconds_count)", at).values()), [http_reqs])
            # Several scrapes during the run: the counter rose over time, as a live output should.
            series = prom.query("count_over_time(inferload_iterations_total[5m])", at)
            self.assertGreaterEqual(list(series.values())[0], 3, "scraped every second during the run")
            by_type = prom.query("sum by (model_type, protocol) (inferload_requests_total)", at)
            self.assertEqual({dict(k)["model_type"] for k in by_type}, MODEL_TYPES)
            self.assertEqual({dict(k)["protocol"] for k in by_type}, {"rest"})
        finally:
            prom.stop()


def main():
    if IO == "uring":
        probe = subprocess.run([INFERLOAD, "version"], stdout=subprocess.PIPE, text=True).stdout
        if "io: io_uring" not in probe:
            print("SKIPPED: io_uring is not available here: " + probe.strip().replace("\n", "; "))
            sys.exit(SKIPPED)
    result = unittest.main(module="__main__", verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if not PROMETHEUS:
        print("SKIPPED: prometheus is not installed (tools/install-deps.sh installs it): the endpoint was checked, "
              "a real Prometheus's scrape was not")
        sys.exit(SKIPPED)


if __name__ == "__main__":
    main()
