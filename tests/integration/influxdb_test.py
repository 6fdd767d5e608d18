"""--out influxdb=URL end to end: a real influxd 1.x on 127.0.0.1 (its own config, data in a
temporary directory) receives every sample of a run against scv2-sim, and what InfluxQL reads
back agrees with the summary export: counts, tags, the url field, the trend's mean. The K6_INFLUXDB_*
variables and the URL's parameters change what is written; SIGTERM still delivers the last batch;
https is checked against the certificate unless insecure=true; a dead InfluxDB costs points,
counted on stderr, never the run; bad settings stop the run before any load.

Environment: INFERLOAD and SCV2_SIM (binaries), INFERLOAD_IO (uring or epoll). Without influxd
(apt-get install influxdb) the file prints SKIPPED and exits 77.
"""
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

sys.path.insert(0, os.path.dirname(__file__))
from peers import INFLUXD, SKIPPED, InfluxD, Sim, free_port, main_for_backend, run_with_export  # noqa: E402

INFERLOAD = os.environ["INFERLOAD"]
SCV2_SIM = os.environ["SCV2_SIM"]
IO = os.environ.get("INFERLOAD_IO", "uring")

def env_for(sim, **extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("K6_")}
    e.update(SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ITERATIONS="0")
    e.update(extra)
    return e


class InfluxdbOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.influx = InfluxD()

    @classmethod
    def tearDownClass(cls):
        cls.influx.stop()

    def test_every_sample_reaches_influxdb_as_k6_writes_it(self):
        influx = self.influx
        with Sim(SCV2_SIM) as sim:
            started = time.time()
            code, out, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "--rate", "50", "-d", "3s", "--pre-allocated-vus", "5",
                 "--out", f"influxdb={influx.url}/k6db"], env_for(sim))
            ended = time.time()
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        self.assertIn(f"output: InfluxDBv1 ({influx.url})", out)
        self.assertNotIn("not written", err)
        samples = export["inferload"]["samples"]
        self.assertEqual(samples["errors"], [])
        m = export["metrics"]

        # Every point, per measurement and in all: one per sample.
        self.assertEqual(influx.count("k6db", "http_reqs"), m["http_reqs"]["count"], err)
        self.assertEqual(m["http_reqs"]["count"], served)
        self.assertEqual(influx.count("k6db", "iterations"), m["iterations"]["count"], err)
        self.assertEqual(sum(influx.counts("k6db").values()), samples["rows_written"], err)
        # A trend's points are its samples: their mean is the export's (a histogram of 3 digits).
        mean = influx.query("k6db", "SELECT mean(value) FROM http_req_duration")[0]["values"][0][1]
        self.assertAlmostEqual(mean, m["http_req_duration"]["avg"], delta=max(1e-3, m["http_req_duration"]["avg"] * 0.002))

        # Tags are the rows' tags without empty ones and without url, which is a string field.
        tag_keys = {v[0] for v in influx.query("k6db", "SHOW TAG KEYS FROM http_reqs")[0]["values"]}
        self.assertEqual(tag_keys, {"expected_response", "method", "name", "proto", "scenario", "status"})
        fields = dict(map(tuple, influx.query("k6db", "SHOW FIELD KEYS FROM http_reqs")[0]["values"]))
        self.assertEqual(fields, {"url": "string", "value": "float"})
        for key, value in (("scenario", "default"), ("status", "200"), ("method", "POST"), ("proto", "HTTP/1.1")):
            values = {v[1] for v in influx.query("k6db", f'SHOW TAG VALUES FROM http_reqs WITH KEY = "{key}"')[0]["values"]}
            self.assertEqual(values, {value}, key)
        rows = influx.query("k6db", "SELECT url, value, \"name\" FROM http_reqs", epoch="ns")[0]
        cols = rows["columns"]
        for row in rows["values"]:
            point = dict(zip(cols, row))
            self.assertRegex(point["url"], r"^%s/v2/models/\w+/infer$" % re.escape(sim.url))
            self.assertEqual(point["name"], point["url"])
            self.assertEqual(point["value"], 1)
            # Nanosecond timestamps of the run's own time.
            self.assertTrue(started - 1 <= point["time"] / 1e9 <= ended + 1, point)
        # Gauges come without tags; the group tag, always empty here, is nowhere.
        self.assertEqual(influx.query("k6db", "SHOW TAG KEYS FROM vus"), [])
        self.assertNotIn("group", {v[0] for s in influx.query("k6db", "SHOW TAG KEYS") for v in s["values"]})

    def test_a_closed_loop_as_fast_as_it_goes_loses_no_point(self):
        # Requests that end in one event-loop wake-up share its time: InfluxDB would keep one
        # point per series and time, unless each moves to a nanosecond of its own.
        influx = self.influx
        with Sim(SCV2_SIM) as sim:
            code, _, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "-u", "8", "-i", "2000", "--out", f"influxdb={influx.url}/closedloop"],
                env_for(sim, MODEL_TYPE="iris"))
        self.assertEqual(code, 0, err)
        self.assertEqual(export["metrics"]["http_reqs"]["count"], 2000)
        self.assertEqual(influx.count("closedloop", "http_reqs"), 2000, err)
        self.assertEqual(influx.count("closedloop", "iterations"), 2000, err)
        self.assertEqual(influx.count("closedloop", "data_received"), 2000, err)
        self.assertEqual(sum(influx.counts("closedloop").values()), export["inferload"]["samples"]["rows_written"], err)

    def test_variables_and_url_parameters_change_what_is_written(self):
        influx = self.influx
        with Sim(SCV2_SIM) as sim:
            code, out, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "--rate", "20", "-d", "2s", "--pre-allocated-vus", "2",
                 "--out", f"influxdb={influx.url}?precision=ms&tagsAsFields=url&tagsAsFields=status:int"],
                env_for(sim, K6_INFLUXDB_DB="from-env", K6_INFLUXDB_PUSH_INTERVAL="200ms",
                        K6_INFLUXDB_ADDR="http://127.0.0.1:1"))
        self.assertEqual(code, 0, err)
        self.assertNotIn("not written", err)
        # The URL's host beats K6_INFLUXDB_ADDR; with no path, the database is K6_INFLUXDB_DB's,
        # a name InfluxQL wants quoted.
        fields = dict(map(tuple, influx.query("from-env", "SHOW FIELD KEYS FROM http_reqs")[0]["values"]))
        self.assertEqual(fields, {"status": "integer", "url": "string", "value": "float"})
        times = [row[0] for row in influx.query("from-env", "SELECT value FROM http_req_duration", epoch="ns")[0]["values"]]
        self.assertGreater(len(times), 0)
        self.assertTrue(all(t % 1_000_000 == 0 for t in times), "millisecond precision")
        self.assertGreater(influx.count("from-env", "iterations"), 0, err)

    def test_sigterm_sends_the_last_batch_before_exit(self):
        influx = self.influx
        export_path = tempfile.mktemp(suffix=".json")
        with Sim(SCV2_SIM, "--latency", "2ms") as sim:
            proc = subprocess.Popen(
                [INFERLOAD, "run", "--io", IO, "-u", "4", "-d", "30s", "--summary-export", export_path,
                 "--out", f"influxdb={influx.url}/stopped?pushInterval=10s"],
                env=env_for(sim), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - t0
        self.assertEqual(proc.returncode, 105, err)
        self.assertLess(took, 5.0)
        with open(export_path) as f:
            export = json.load(f)
        os.unlink(export_path)
        # Nothing was due before the signal (a 10 s interval): every point came with the last batch.
        self.assertGreater(export["metrics"]["http_reqs"]["count"], 100)
        self.assertEqual(influx.count("stopped", "http_reqs"), export["metrics"]["http_reqs"]["count"], err)
        self.assertEqual(sum(influx.counts("stopped").values()), export["inferload"]["samples"]["rows_written"], err)

    def test_a_dead_influxdb_costs_points_never_the_run(self):
        port = free_port()  # nothing listens there
        with Sim(SCV2_SIM) as sim:
            t0 = time.monotonic()
            # Shared iterations, so that the count does not hang on how busy the machine is.
            code, out, err, export = run_with_export(
                [INFERLOAD, "run", "--io", IO, "-u", "2", "-i", "100",
                 "--out", f"influxdb=http://127.0.0.1:{port}/k6db"], env_for(sim))
            took = time.monotonic() - t0
            served = sim.stats()["rest_infer"]
        self.assertEqual(code, 0, err)
        m = export["metrics"]
        # The load is what it would have been: every iteration ran and succeeded, promptly, and
        # the output thread kept up (no sample rows lost).
        self.assertEqual(m["iterations"]["count"], 100, err)
        self.assertEqual(m["http_reqs"]["count"], served)
        self.assertEqual(served, 100)
        self.assertEqual(m["checks"]["passes"], 100)
        self.assertEqual(export["inferload"]["samples"]["rows_lost"], 0)
        self.assertLess(took, 5, err)
        rows = export["inferload"]["samples"]["rows_written"]
        line = (f"inferload: --out: influxdb: {rows} of {rows} points not written: {rows} in failed writes "
                f"(connect to 127.0.0.1:{port}: Connection refused)")
        self.assertIn(line, err.splitlines())
        self.assertEqual(export["inferload"]["samples"]["errors"], [line[len("inferload: --out: "):]])
        # The first failure of its kind is told as it happens, once.
        self.assertEqual(err.count("couldn't write"), 1, err)
        self.assertIn("points not written", out)

    def test_bad_settings_are_one_line_errors_before_any_load(self):
        with Sim(SCV2_SIM) as sim:
            for args, extra, needle in [
                (["--out", "influxdb=http://127.0.0.1:1/db?bogus=1"], {}, "--out influxdb: unknown query parameter: bogus"),
                (["--out", "influxdb=udp://127.0.0.1:8089"], {}, "--out influxdb: influxdb over UDP"),
                (["--out", "influxdb=http://127.0.0.1:1/db?precision=us"], {}, "invalid precision \"us\""),
                (["--out", "influxdb"], {"K6_INFLUXDB_PUSH_INTERVAL": "soon"}, "K6_INFLUXDB_PUSH_INTERVAL: "),
                (["--out", "influxdb"], {"K6_INFLUXDB_CONCURRENT_WRITES": "0"}, "K6_INFLUXDB_CONCURRENT_WRITES: "),
                ([], {"K6_OUT": "influxdb=http://127.0.0.1:1/db?tagsAsFields=vu:long"}, "K6_OUT influxdb (tagsAsFields): "),
            ]:
                p = subprocess.run([INFERLOAD, "run", "--io", IO, "-i", "1", *args], env=env_for(sim, **extra),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
                self.assertEqual(p.returncode, 255, (args, p.stderr))
                self.assertIn(needle, p.stderr, args)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertEqual(sim.stats()["rest_infer"], 0, "no load was sent")


class InfluxdbOverHttps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl to make a certificate with")
        cls.influx = InfluxD(tls=True)

    @classmethod
    def tearDownClass(cls):
        cls.influx.stop()

    def run_into(self, sim, db, query="", **env):
        code, _, err, export = run_with_export(
            [INFERLOAD, "run", "--io", IO, "-u", "1", "-i", "20", "--out", f"influxdb={self.influx.url}/{db}{query}"],
            env_for(sim, **env))
        self.assertEqual(code, 0, err)
        return err, export

    def test_the_certificate_is_checked_unless_insecure(self):
        with Sim(SCV2_SIM) as sim:
            # Trusted through SSL_CERT_FILE, for the address the certificate names.
            err, export = self.run_into(sim, "trusted", SSL_CERT_FILE=self.influx.cert)
            self.assertNotIn("not written", err)
            self.assertEqual(self.influx.count("trusted", "http_reqs"), export["metrics"]["http_reqs"]["count"], err)
            # insecure=true: any certificate, as in k6.
            err, export = self.run_into(sim, "insecure", "?insecure=true")
            self.assertNotIn("not written", err)
            self.assertEqual(self.influx.count("insecure", "http_reqs"), export["metrics"]["http_reqs"]["count"], err)
            # Otherwise a self-signed certificate fails every write: counted, told, and the run goes on.
            err, export = self.run_into(sim, "untrusted")
        rows = export["inferload"]["samples"]["rows_written"]
        self.assertIn(f"influxdb: {rows} of {rows} points not written: {rows} in failed writes (TLS handshake with "
                      f"127.0.0.1:{self.influx.port}: certificate verify failed: self-signed certificate)", err)
        self.assertEqual(export["metrics"]["http_reqs"]["count"], 20)


if __name__ == "__main__":
    if not INFLUXD:
        print("SKIPPED: influxd is not installed (apt-get install influxdb)")
        sys.exit(SKIPPED)
    main_for_backend(INFERLOAD, IO)
