"""k6's sample outputs (--out csv=..., --out json=...) end to end against scv2-sim: every row read
back (gzip through the gzip module and through zcat), its columns and formats as k6 writes them,
and its counts reconciled with the summary export, per metric; the same after a SIGTERM.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll).
"""
import collections
import csv
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from peers import Sim, main_for_backend, run_with_export  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

HEADER = ("metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,"
          "scenario,service,status,subproto,tls_version,url,extra_tags,metadata")
HTTP_ROWS = ("http_reqs", "http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
             "http_req_sending", "http_req_waiting", "http_req_receiving", "http_req_failed")
TRENDS = ("http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_sending", "http_req_waiting",
          "http_req_receiving", "iteration_duration", "grpc_req_duration", "schedule_lateness",
          "http_req_duration_intended")


def env_for(sim, **extra):
    e = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=sim.url, MODEL_TYPE="iris,tfsimple")
    if sim.grpc:
        e["INFER_GRPC_ENDPOINT"] = sim.grpc
    e.update(extra)
    return e


def read_csv(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    return lines[0], list(csv.DictReader(io.StringIO(text)))


def by_metric(rows):
    out = collections.defaultdict(list)
    for r in rows:
        out[r["metric_name"]].append(r)
    return out


class Outputs(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="inferload-outputs-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def reconcile(self, rows, export):
        """Every metric of the export that the rows carry: counts, sums and extremes agree."""
        metrics = export["metrics"]
        rows = by_metric(rows)
        self.assertEqual(len(rows["iterations"]), metrics["iterations"]["count"])
        for name in ("http_reqs", "dropped_iterations"):
            if name in metrics:
                self.assertEqual(len(rows[name]), metrics[name]["count"], name)
        for name in TRENDS:
            if name not in metrics or not rows.get(name):
                continue
            values = [float(r["metric_value"]) for r in rows[name]]
            m = metrics[name]
            # The export's trends come from histograms of 3 significant digits; the rows are exact.
            self.assertAlmostEqual(max(values), m["max"], delta=max(1e-3, m["max"] * 0.002), msg=name)
            self.assertAlmostEqual(min(values), m["min"], delta=max(1e-3, m["min"] * 0.002), msg=name)
            self.assertAlmostEqual(sum(values) / len(values), m["avg"], delta=max(1e-3, m["avg"] * 0.002), msg=name)
        checks = rows["checks"]
        passed = sum(1 for r in checks if r["metric_value"] == "1.000000")
        self.assertEqual(passed, metrics["checks"]["passes"])
        self.assertEqual(len(checks) - passed, metrics["checks"]["fails"])
        if "http_req_failed" in metrics:
            failed = sum(1 for r in rows["http_req_failed"] if r["metric_value"] == "1.000000")
            self.assertEqual(failed, metrics["http_req_failed"]["passes"])

    def test_csv_gz_and_json_hold_every_sample_of_a_rest_run(self):
        csv_path = os.path.join(self.dir, "results", "base.gz")
        json_path = os.path.join(self.dir, "results", "out.json")
        with Sim(SCV2_SIM, "--error-rate", "0.2") as sim:
            started = time.time()
            code, out, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "--rate", "100", "-d", "2s", "--pre-allocated-vus", "20",
                 "--out", f"csv={csv_path}", "--out", f"json={json_path}"],
                env_for(sim, INFER_GRPC_ITERATIONS="0"))
            ended = time.time()
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        self.assertIn(f"output: csv ({csv_path}), json ({json_path})", out)
        # zcat reads the stream to its trailer: the gzip file is whole.
        z = subprocess.run(["zcat", csv_path], stdout=subprocess.PIPE, text=True)
        self.assertEqual(z.returncode, 0)
        header, rows = read_csv(csv_path)
        self.assertEqual(header, HEADER)
        self.assertEqual(z.stdout.split("\n")[0], HEADER)
        self.assertEqual(z.stdout.count("\n"), len(rows) + 1)
        self.reconcile(rows, export)
        grouped = by_metric(rows)
        self.assertEqual(len(grouped["http_reqs"]), served)
        iterations = export["metrics"]["iterations"]["count"]
        self.assertGreater(iterations, 150)
        self.assertEqual(len(grouped["iterations"]), iterations)
        self.assertEqual(len(grouped["schedule_lateness"]), iterations)
        self.assertEqual(sum(float(r["metric_value"]) for r in grouped["data_sent"]), export["metrics"]["data_sent"]["count"])
        self.assertEqual(sum(float(r["metric_value"]) for r in grouped["data_received"]),
                         export["metrics"]["data_received"]["count"])
        # k6's order for one request, its columns and value format.
        first = next(i for i, r in enumerate(rows) if r["metric_name"] == "http_reqs")
        self.assertEqual([r["metric_name"] for r in rows[first:first + 9]], list(HTTP_ROWS))
        for r in rows:
            self.assertRegex(r["metric_value"], r"^-?\d+\.\d{6}$")
            self.assertRegex(r["timestamp"], r"^\d{10}$")
            self.assertTrue(int(started) - 1 <= int(r["timestamp"]) <= int(ended) + 1, r)
        ok = next(r for r in grouped["http_reqs"] if r["status"] == "200")
        self.assertRegex(ok["url"], r"^%s/v2/models/(iris|tfsimple)\d+/infer$" % re.escape(sim.url))
        self.assertEqual(ok["name"], ok["url"])
        self.assertEqual((ok["method"], ok["proto"], ok["scenario"], ok["expected_response"], ok["group"]),
                         ("POST", "HTTP/1.1", "default", "true", ""))
        self.assertEqual((ok["error"], ok["error_code"]), ("", ""))
        bad = [r for r in grouped["http_req_failed"] if r["status"] == "500"]
        self.assertGreater(len(bad), 0)
        self.assertEqual({(r["metric_value"], r["error_code"], r["expected_response"]) for r in bad},
                         {("1.000000", "1500", "false")})
        self.assertEqual({r["check"] for r in grouped["checks"]}, {"model http prediction success"})
        self.assertTrue(all(r["metadata"] == "" and r["extra_tags"] == "" for r in rows))

        # The JSON lines: a Metric line before each metric's first Point, tags sorted, the same samples.
        seen, points = set(), collections.Counter()
        with open(json_path) as f:
            for line in f:
                o = json.loads(line)
                if o["type"] == "Metric":
                    self.assertNotIn(o["metric"], seen)
                    seen.add(o["metric"])
                    self.assertEqual(list(o), ["type", "data", "metric"])
                    self.assertEqual(list(o["data"]), ["name", "type", "contains", "thresholds", "submetrics"])
                    continue
                self.assertEqual(o["type"], "Point")
                self.assertIn(o["metric"], seen, "its Metric line came first")
                self.assertEqual(list(o), ["metric", "type", "data"])
                tags = list(o["data"]["tags"])
                self.assertEqual(tags, sorted(tags))
                self.assertRegex(o["data"]["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
                points[o["metric"]] += 1
        self.assertEqual(points, collections.Counter({k: len(v) for k, v in grouped.items()}))

    def test_grpc_rows_carry_k6s_grpc_tags(self):
        path = os.path.join(self.dir, "grpc.csv")
        with Sim(SCV2_SIM, "--grpc-port", "0") as sim:
            code, out, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "-u", "2", "-i", "30", "--out", f"csv={path}"],
                env_for(sim, INFER_HTTP_ITERATIONS="0", INFER_GRPC_ITERATIONS="1"))
        self.assertEqual(code, 0, err)
        _, rows = read_csv(path)
        self.reconcile(rows, export)
        grpc = by_metric(rows)["grpc_req_duration"]
        self.assertEqual(len(grpc), 30)
        self.assertEqual({(r["method"], r["name"], r["service"], r["status"], r["url"], r["scenario"]) for r in grpc},
                         {("ModelInfer", "/inference.GRPCInferenceService/ModelInfer", "inference.GRPCInferenceService",
                           "0", sim.grpc + "/inference.GRPCInferenceService/ModelInfer", "default")})
        self.assertEqual({r["check"] for r in by_metric(rows)["checks"]}, {"model grpc prediction success"})
        # The shared connection's bytes, HTTP/2 frames and all, add up to the summary's.
        for name in ("data_sent", "data_received"):
            self.assertEqual(sum(float(r["metric_value"]) for r in by_metric(rows)[name]), export["metrics"][name]["count"])

    def test_time_formats(self):
        cases = {"unix_milli": r"^\d{13}$", "unix_micro": r"^\d{16}$", "unix_nano": r"^\d{19}$",
                 "rfc3339": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$",
                 "rfc3339_nano": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$"}
        with Sim(SCV2_SIM) as sim:
            for i, (fmt, pattern) in enumerate(cases.items()):
                path = os.path.join(self.dir, f"t{i}.csv")
                # Three ways to ask: the flag, the --out argument's timeFormat, K6_CSV_TIME_FORMAT.
                how = [(["--csv-time-format", fmt, "--out", f"csv={path}"], {}),
                       (["--out", f"csv=fileName={path},timeFormat={fmt}"], {}),
                       (["--out", f"csv={path}"], {"K6_CSV_TIME_FORMAT": fmt})][i % 3]
                code, _, err, _ = run_with_export([INFERLOAD, "run", "--io", IO, "-i", "3", *how[0]],
                                                  env_for(sim, INFER_GRPC_ITERATIONS="0", **how[1]))
                self.assertEqual(code, 0, err)
                _, rows = read_csv(path)
                self.assertGreater(len(rows), 0)
                for r in rows:
                    self.assertRegex(r["timestamp"], pattern, fmt)
        now_ms = time.time() * 1000
        self.assertLess(abs(int(read_csv(os.path.join(self.dir, "t0.csv"))[1][0]["timestamp"]) - now_ms), 60000)

    def test_sigterm_leaves_every_output_whole_and_consistent(self):
        csv_path = os.path.join(self.dir, "base.gz")
        json_path = os.path.join(self.dir, "out.json.gz")
        export_path = os.path.join(self.dir, "base.json")
        report_path = os.path.join(self.dir, "report.html")
        metadata_path = os.path.join(self.dir, "metadata.txt")
        with Sim(SCV2_SIM, "--latency", "2ms") as sim:
            proc = subprocess.Popen(
                [INFERLOAD, "run", "--io", IO, "-u", "8", "-d", "30s", "--out", f"csv={csv_path}",
                 "--out", f"json={json_path}", "--summary-export", export_path, "--report", report_path,
                 "--metadata", metadata_path],
                env=env_for(sim, INFER_GRPC_ITERATIONS="0"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True)
            time.sleep(1.5)
            proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - t0
        self.assertEqual(proc.returncode, 105, err)
        self.assertLess(took, 2.0, "every output written within 2 s of the signal")
        with open(export_path) as f:
            export = json.load(f)
        _, rows = read_csv(csv_path)
        self.assertGreater(len(rows), 100)
        self.reconcile(rows, export)
        with gzip.open(json_path, "rt") as f:
            points = sum(1 for line in f if json.loads(line)["type"] == "Point")
        self.assertEqual(points, len(rows))
        with open(report_path) as f:
            report = f.read()
        self.assertIn('id="summary"', report)
        self.assertIn("<code>http_reqs</code><td>%d " % export["metrics"]["http_reqs"]["count"],
                      report.replace("</code></td>", "</code>"))
        with open(metadata_path) as f:
            keys = [line.split(":", 1)[0] for line in f.read().splitlines()]
        self.assertEqual(keys[:2], ["start", "end"])

    def test_a_second_signal_exits_at_once_with_the_files_written_to_their_last_save(self):
        csv_path = os.path.join(self.dir, "base.gz")
        with Sim(SCV2_SIM, "--latency", "2ms") as sim:
            proc = subprocess.Popen(
                [INFERLOAD, "run", "--io", IO, "-u", "8", "-d", "30s", "--out", f"csv={csv_path}"],
                env=env_for(sim, INFER_GRPC_ITERATIONS="0"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True)
            time.sleep(2.5)
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - t0
        self.assertEqual(proc.returncode, 105, err)
        self.assertLess(took, 1.0)
        # The gzip stream is flushed at every saveInterval: whatever a second signal cuts off, what
        # is there decompresses into whole rows (a stream without its trailer).
        with open(csv_path, "rb") as f:
            text = zlib.decompressobj(wbits=31).decompress(f.read()).decode()
        lines = text.split("\n")
        self.assertEqual(lines[0], HEADER)
        self.assertGreater(len(lines), 100)
        self.assertEqual(lines[-1], "", "no row cut in the middle")
        for line in lines[1:-1]:
            self.assertEqual(line.count(","), HEADER.count(","), line)

    def test_rows_the_output_thread_could_not_take_are_counted_exactly(self):
        # Two records of room per worker and a closed loop as fast as the sim answers: the
        # workers outrun the output thread's 20 ms rounds, and never wait for it.
        path = os.path.join(self.dir, "lossy.csv")
        with Sim(SCV2_SIM) as sim:
            code, out, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "-u", "4", "-d", "2s", "--sample-buffer", "2", "--out", f"csv={path}"],
                env_for(sim, INFER_GRPC_ITERATIONS="0"))
        self.assertEqual(code, 0, err)
        _, rows = read_csv(path)
        samples = export["inferload"]["samples"]
        self.assertGreater(samples["rows_lost"], 0)
        self.assertEqual(samples["rows_written"], len(rows))
        m = export["metrics"]
        gauges = len(by_metric(rows)["vus"]) + len(by_metric(rows)["vus_max"])
        # A closed loop: 10 rows per request, 4 per iteration, none lost of the once-a-second
        # gauges, and at the end each worker's bytes no iteration carried (2 rows, or none).
        rest = len(rows) + samples["rows_lost"] - (10 * m["http_reqs"]["count"] + 4 * m["iterations"]["count"] + gauges)
        self.assertIn(rest, range(0, 2 * 2 * os.cpu_count() + 1, 2))
        self.assertIn("sample rows (of", err)
        self.assertIn("were not written: the output thread fell behind the workers", err)
        self.assertRegex(out, r"samples\.+: %d rows to csv \(%s\), %d lost" % (len(rows), re.escape(path), samples["rows_lost"]))

    def test_aggregate_csv_has_a_row_per_metric_and_tag_set_each_interval(self):
        path = os.path.join(self.dir, "agg.csv.gz")
        with Sim(SCV2_SIM, "--error-rate", "0.2") as sim:
            code, _, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "--rate", "200", "-d", "3s", "--pre-allocated-vus", "20", "--out",
                 f"csv=fileName={path},aggregate=1s"], env_for(sim, INFER_GRPC_ITERATIONS="0", MODEL_TYPE="iris"))
        self.assertEqual(code, 0, err)
        header, rows = read_csv(path)
        self.assertTrue(header.startswith("metric_name,timestamp,interval_s,count,sum,min,max,avg,med,p(90),p(95),p(99),"
                                          "check,error,error_code,"), header)
        grouped = by_metric(rows)
        m = export["metrics"]
        # A busy machine may drop an iteration or two; the rows add up to what the summary says.
        for name, total in (("http_reqs", m["http_reqs"]["count"]), ("iterations", m["iterations"]["count"]),
                            ("http_req_duration", m["http_reqs"]["count"]),
                            ("checks", m["checks"]["passes"] + m["checks"]["fails"]),
                            ("schedule_lateness", m["iterations"]["count"])):
            self.assertEqual(sum(int(r["count"]) for r in grouped[name]), total, name)
        self.assertEqual(sum(int(r["count"]) for r in grouped["http_reqs"]), m["http_reqs"]["count"])
        self.assertEqual(sum(float(r["sum"]) for r in grouped["data_sent"]), m["data_sent"]["count"])
        # Successes and failures are separate tag sets: status 200 and status 500 rows.
        self.assertEqual({r["status"] for r in grouped["http_reqs"]}, {"200", "500"})
        failed = sum(int(r["count"]) for r in grouped["http_reqs"] if r["status"] == "500")
        self.assertEqual(failed, m["http_req_failed"]["passes"])
        durations = grouped["http_req_duration"]
        self.assertAlmostEqual(max(float(r["max"]) for r in durations), m["http_req_duration"]["max"],
                               delta=m["http_req_duration"]["max"] * 0.002 + 1e-3)
        for r in durations:
            self.assertLessEqual(float(r["min"]), float(r["med"]) + 1e-3)
            self.assertLessEqual(float(r["p(90)"]), float(r["p(99)"]) + 1e-9)
        self.assertGreaterEqual(len({r["timestamp"] for r in rows}), 3, "a row set per second")
        self.assertLess(len(rows), 200, "rows per interval and tag set, not per sample")

    def test_bad_outputs_are_one_line_errors_before_any_load(self):
        with Sim(SCV2_SIM) as sim:
            for args, needle in [
                (["--out", "csv=/proc/no/such/dir/x.csv"], "--out: /proc/no/such/dir/x.csv"),
                (["--out", "csv=fileName=a.csv,bogus=1"], "unknown csv option 'bogus'"),
                (["--out", "csv=a.csv", "--csv-time-format", "weekly"], "--csv-time-format: unknown time format 'weekly'"),
                (["--out", "statsd"], "invalid output type 'statsd'"),
            ]:
                p = subprocess.run([INFERLOAD, "run", "--io", IO, "-i", "1", *args], env=env_for(sim, INFER_GRPC_ITERATIONS="0"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, cwd=self.dir)
                self.assertNotEqual(p.returncode, 0, args)
                self.assertIn(needle, p.stderr, args)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertEqual(sim.stats()["rest_infer"], 0, "no load was sent")


class TerminalProgress(unittest.TestCase):
    def run_on_pty(self, args, env):
        """Runs inferload with a pseudo-terminal as stdout (120 columns); returns all it wrote there."""
        import fcntl
        import pty
        import struct
        import termios
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        proc = subprocess.Popen([INFERLOAD, "run", "--io", IO, *args], env=dict(env, TERM="xterm"), stdin=slave,
                                stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(master)
        self.assertEqual(proc.returncode, 0, proc.stderr.read())
        return b"".join(chunks).decode()

    def test_a_terminal_gets_bars_redrawn_in_place_with_rate_and_p95(self):
        with Sim(SCV2_SIM) as sim:
            text = self.run_on_pty(["--rate", "200", "-d", "2s", "-u", "5"], env_for(sim, INFER_GRPC_ITERATIONS="0"))
        # Redrawn ten times a second: cursor up over the last block, then erase below.
        redraws = re.findall(r"\x1b\[(\d+)F\x1b\[J", text)
        self.assertGreater(len(redraws), 10)
        self.assertEqual(set(redraws), {"3"}, "the block is three lines: status, one scenario, inferload's")
        self.assertRegex(text, r"default   \[=*>-*\] \d+/5 VUs")
        self.assertRegex(text, r"inferload: \d+ requests, \d+/s, p95 [\d.e+-]+ms, 0 failed")
        # The last block comes after the summary, finished, with a full bar.
        summary_end = text.rindex("INFERLOAD")
        self.assertRegex(text[summary_end:], r"default ✓ \[={38}\]")
        self.assertNotIn("\x1b[", text[summary_end:])

    def test_logs_get_a_plain_block_each_second(self):
        with Sim(SCV2_SIM) as sim:
            code, out, err, _ = run_with_export([INFERLOAD, "run", "--io", IO, "--rate", "100", "-d", "2s", "-u", "2"],
                                                env_for(sim, INFER_GRPC_ITERATIONS="0"))
        self.assertEqual(code, 0, err)
        self.assertNotIn("\x1b[", out)
        # A block at 1 s (the run ends just before 2 s), and the last after the summary.
        self.assertEqual(out.count("running ("), 2)
        self.assertIn("running (", out[out.rindex("INFERLOAD"):])
        self.assertIn("[ 100% ]", out[out.rindex("INFERLOAD"):])


class HtmlReport(unittest.TestCase):
    def test_the_report_renders_offline_in_headless_chromium(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            self.skipTest("chromium is not installed (tools/install-deps.sh installs it): the report is not rendered")
        tmp = tempfile.mkdtemp(prefix="inferload-report-")
        self.addCleanup(shutil.rmtree, tmp, True)
        report = os.path.join(tmp, "out", "report.html")
        with Sim(SCV2_SIM, "--error-rate", "0.1") as sim:
            code, _, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "--rate", "200", "-d", "3s", "--report", report],
                env_for(sim, INFER_GRPC_ITERATIONS="0"))
        self.assertEqual(code, 0, err)
        with open(report) as f:
            html = f.read()
        # Self-contained: nothing to fetch.
        self.assertIsNone(re.search(r"<(script|link|img)[^>]+(src|href)=", html))
        self.assertLess(len(html), 100000, "charts from per-second snapshots, not from every request")
        # No network at all for the browser: every name unresolvable, every proxy dead.
        flags = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
                 "--virtual-time-budget=5000", "--window-size=1280,2200", f"--user-data-dir={tmp}/profile"]
        dom = subprocess.run([*flags, "--dump-dom", "file://" + report], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=120).stdout
        self.assertIn('data-rendered="1"', dom, "the page's script ran")
        for chart in ("throughput", "latency", "vus", "iterations", "lateness"):
            m = re.search(r'<canvas id="%s"[^>]*data-points="(\d+)"' % chart, dom)
            self.assertIsNotNone(m, chart)
            self.assertGreater(int(m.group(1)), 0, chart)
        summary = dom[dom.index('id="summary"'):]
        self.assertIn("<code>http_req_duration</code>", summary)
        self.assertIn("<code>iterations</code>", summary)
        errors = dom[dom.index('id="errors"'):dom.index('id="summary"')]
        failed = sum(int(n) for n in re.findall(r"<tr><td>(\d+)</td><td>1500</td>", errors))
        self.assertEqual(failed, export["metrics"]["http_req_failed"]["passes"])
        # The screenshot is kept for people to look at.
        shots = os.environ.get("TEST_ARTIFACTS", tmp)
        os.makedirs(shots, exist_ok=True)
        shot = os.path.join(shots, f"report-{IO}.png")
        subprocess.run([*flags, f"--screenshot={shot}", "file://" + report], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        self.assertGreater(os.path.getsize(shot), 20000, "a page with charts, not a blank one")


if __name__ == "__main__":
    main_for_backend(INFERLOAD, IO)
