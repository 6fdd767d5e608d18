#!/usr/bin/env python3
"""inferload's Kafka direct mode against a minimal librdkafka client, both loading scv2-sim's mock
Kafka cluster and simulated model gateway at constant arrival rates. Prints one table.

scv2-sim --kafka (librdkafka's mock cluster, one broker, and the simulated model gateway that
answers every record of SCv2's model inputs topic on its outputs topic) runs on --server-cpu, the
driver on --driver-cpu. At each rate (--rates, default 1,000 and 10,000 req/s) each driver runs
alone for --seconds, --runs times, the drivers taking turns within each run so that noise from the
shared machine spreads over both; the table shows medians.

Every measured run has a simulator of its own, started for it: librdkafka's mock broker finds the
records a fetch asks for by walking the partition's log from its start (no index; it keeps up to
100,000 record batches or 5 MB per partition), so every fetch costs more the longer the log, and
a simulator reused across runs answered more slowly run after run (at 10,000/s, p50 from 70 ms to
500 ms within four 2 s runs). Within a run the log still grows, alike for both drivers. Before the
measured run, the raw client sends 50 requests at 100/s, so that the topics exist and the
simulated gateway (which looks for new topics every 100 ms) reads them when the clock starts.

Drivers:

- inferload: `inferload run infer_constant_rate --workers 1 --io uring --rate R -d Ds
  --pre-allocated-vus 1000 --max-vus 1000 --timeout 10s --kafka-bootstrap B
  --kafka-config fetch.wait.max.ms=10 --summary-trend-stats avg,min,med,max,p(90),p(99)
  --summary-export F` with INFER_TYPE=KAFKA, INFER_KAFKA_ITERATIONS=1, INFER_HTTP_ITERATIONS=0,
  INFER_GRPC_ITERATIONS=0, MODEL_TYPE=tfsimple, MAX_NUM_MODELS=1, SKIP_LOAD_MODEL=1: model
  tfsimple0's topics. Completed = the check "model kafka prediction success"'s passes, failed =
  its fails; dropped = dropped_iterations; latencies = kafka_req_duration (produce to the
  matching reply) and kafka_produce_duration (produce to the delivery report) from the export.
- raw: build/bench/kafka_raw_client, librdkafka's C API and one thread of its own (ppoll on a
  pipe librdkafka writes to when a queue fills), the same rate, window (1,000 in flight, then
  drops), timeout and --kafka-config. It sends the same topic, key form, headers and
  value as inferload: before the runs, a 1 s inferload run (--capture-rate) produces to the topic
  and the raw client captures a record's value (--capture-value); the key and headers it saw are
  checked against the raw client's. It prints its own counts and latencies. It is the floor of what a
  driver built on librdkafka costs.

Figures:
- req/CPU-s: completed requests per driver CPU-second, the user + system CPU of the whole driver
  process (os.wait4's rusage: start-up, topic set-up and teardown included, alike for both), which
  does not depend on how fast the simulator is; `vs raw` is inferload's over the raw client's.
- CPU shares: the CPU time of each of the driver's threads, sampled every --sample-ms from
  /proc/PID/task/*/schedstat (its on-CPU nanoseconds, user + system; utime + stime from
  .../stat, in clock ticks, where the kernel has no schedstat), each thread's last reading kept
  (so threads that end before the process count up to their last sample), grouped by the name
  in .../stat: `rdk` = librdkafka's threads (rdk:main,
  rdk:broker..., ...), `driver` = inferload's workers (inferload-w*) or the raw client's own
  thread, `client` = the Kafka client's delivery-report and consumer threads (inferload-kdr,
  inferload-krx), `main` = inferload's main thread (and any other). Shares are of the sampled total; `sampled` is that
  total over the rusage total (what ran after the last sample, teardown mostly, is missing).
- Each run is checked against the simulator: /sim/stats must show no error record and at least
  as many answers (kafka_infer) as the driver completed.

Usage: bench/e2e/kafka_mock.py [--build build] [--rates 1000,10000] [--seconds 5] [--runs 3]
       [--drivers inferload,raw] [--io uring] [--kafka-config fetch.wait.max.ms=10]
       [--timeout 10] [--window 1000] [--server-cpu 1] [--driver-cpu 0] [--sample-ms 100]
"""
import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import json

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
from peers import Sim  # noqa: E402

MODEL = "tfsimple0"
DRIVERS = {"inferload": "inferload", "raw": "raw librdkafka"}
CHECK = "model kafka prediction success"
TREND_STATS = "avg,min,med,max,p(90),p(99)"
GROUPS = ("rdk", "driver", "client", "main")
RAW_HEADERS = ["x-request-id", "pipeline", "seldon-infer-type"]
KEY = re.compile(r"^(\d+)\.([^.]+)\.[0-9a-f]{32}$")
PRIME_RATE, PRIME_SECONDS = 100, 0.5


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def thread_group(driver, pid, tid, comm):
    """Where a thread of the driver's process belongs in the CPU shares."""
    if comm.startswith("rdk:"):
        return "rdk"
    if driver == "raw" or comm.startswith("inferload-w"):
        return "driver"  # the raw client has one thread of its own, its main thread
    if comm.startswith("inferload-k"):
        return "client"  # inferload's Kafka client: inferload-kdr (delivery reports), inferload-krx (consumer)
    # The main thread, and any other (none runs without --out or --prometheus).
    return "main"


class ThreadSampler:
    """Every `interval` s, each thread's name and CPU time so far: sum_exec_runtime from
    /proc/PID/task/*/schedstat (nanoseconds), or where the kernel has no schedstat, utime + stime
    from .../stat (clock ticks, truncated per thread). Keeps each thread's last reading."""

    def __init__(self, driver, pid, interval):
        self.driver, self.pid, self.interval = driver, pid, interval
        self.threads = {}  # tid -> (comm, CPU-seconds)
        self.hz = os.sysconf("SC_CLK_TCK")
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def read(self, task):
        with open(f"{task}/stat") as f:
            text = f.read()
        # The name is between the first '(' and the last ')': it may hold either.
        comm = text[text.index("(") + 1:text.rindex(")")]
        try:
            with open(f"{task}/schedstat") as f:
                return comm, int(f.read().split()[0]) / 1e9
        except OSError:
            fields = text[text.rindex(")") + 2:].split()
            return comm, (int(fields[11]) + int(fields[12])) / self.hz

    def sample(self):
        base = f"/proc/{self.pid}/task"
        try:
            tids = os.listdir(base)
        except OSError:
            return
        for tid in tids:
            try:
                comm, cpu = self.read(f"{base}/{tid}")
            except (OSError, ValueError, IndexError):
                continue  # the thread ended meanwhile
            old = self.threads.get(int(tid))
            if old is None or cpu >= old[1]:
                self.threads[int(tid)] = (comm, cpu)

    def run(self):
        while not self.done.wait(self.interval):
            self.sample()

    def stop(self):
        """Call once the process has ended; returns {group: CPU-seconds} and the thread names."""
        self.done.set()
        self.thread.join()
        groups = dict.fromkeys(GROUPS, 0.0)
        names = {}
        for tid, (comm, cpu) in self.threads.items():
            groups[thread_group(self.driver, self.pid, tid, comm)] += cpu
            names[comm] = names.get(comm, 0) + 1
        return groups, names


def run_sampled(driver, cmd, env, interval, timeout):
    """Runs cmd; returns (returncode, stdout, stderr, CPU-seconds from os.wait4, wall seconds,
    thread CPU groups, thread names)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = os.times().elapsed
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        sampler = ThreadSampler(driver, proc.pid, interval)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
            groups, names = sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = os.times().elapsed - t0
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read(), err.read(), usage.ru_utime + usage.ru_stime, wall, groups, names)


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.sim = None  # the simulator of the run at hand
        self.inferload = os.path.join(args.build, "bin", "inferload")
        self.raw = os.path.join(args.build, "bench", "kafka_raw_client")
        self.export = os.path.join(tmp, "summary.json")
        self.value_file = os.path.join(tmp, "value.bin")
        self.partitions = None  # of the inputs topic, as the raw client found it

    def env(self):
        return dict(os.environ, INFER_HTTP_ENDPOINT=self.sim.url, **kafka_settings(self.args))

    def inferload_cmd(self, rate, seconds):
        cmd = [self.inferload, "run", "infer_constant_rate", "--workers", "1", "--io", self.args.io,
               "--rate", str(rate), "-d", f"{seconds:g}s", "--pre-allocated-vus", str(self.args.window),
               "--max-vus", str(self.args.window), "--timeout", f"{self.args.timeout:g}s",
               "--kafka-bootstrap", self.sim.kafka, "-q", "--no-color", "--summary-export", self.export,
               "--summary-trend-stats", TREND_STATS]
        for kv in self.args.kafka_config:
            cmd += ["--kafka-config", kv]
        return cmd

    def raw_cmd(self, rate, seconds):
        cmd = [self.raw, "--bootstrap", self.sim.kafka, "--model", MODEL, "--namespace", self.args.namespace,
               "--value-file", self.value_file, "--rate", str(rate),
               "--duration", f"{seconds:g}", "--window", str(self.args.window), "--timeout", f"{self.args.timeout:g}"]
        for kv in self.args.kafka_config:
            cmd += ["--config", kv]
        return cmd

    def start_sim(self):
        self.sim = Sim(os.path.join(self.args.build, "bin", "scv2-sim"), "--kafka", cpu=self.args.server_cpu)
        return self.sim

    def capture_value(self):
        """A short inferload run, of which the raw client copies a record: the value it sends."""
        self.once("inferload", self.args.capture_rate, 1, check=False)
        p = subprocess.run([self.raw, "--bootstrap", self.sim.kafka, "--model", MODEL, "--namespace",
                            self.args.namespace, "--capture-value", self.value_file],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(f"kafka_raw_client --capture-value exited {p.returncode}: {p.stderr.strip()}")
        lines = p.stdout.splitlines()
        m = re.match(r"captured partition (\d+) key (\S+)$", lines[0]) if lines else None
        key = KEY.match(m.group(2)) if m else None
        if not key or key.group(2) != MODEL or int(key.group(1)) != int(m.group(1)):
            raise RuntimeError(f"inferload's record has a key unlike <partition>.{MODEL}.<32 hex digits> "
                               f"on its partition: {p.stdout.strip()!r}")
        headers = [line.split(" ", 1)[1].split("=", 1)[0] for line in lines[1:] if line.startswith("header ")]
        if headers != RAW_HEADERS:
            raise RuntimeError(f"inferload's record has headers {headers}, the raw client sends {RAW_HEADERS}")
        return os.path.getsize(self.value_file)

    def prime(self):
        """A few raw-client requests on a fresh simulator: the topics exist and the simulated gateway
        reads them (it looks for new topics every 100 ms) before the measured run starts."""
        p = subprocess.run(["taskset", "-c", str(self.args.driver_cpu), *self.raw_cmd(PRIME_RATE, PRIME_SECONDS)],
                           capture_output=True, text=True, timeout=60)
        fig = self.raw_figures(p.stdout) if p.returncode == 0 else None
        if not fig or fig["ok"] != int(PRIME_RATE * PRIME_SECONDS):
            raise RuntimeError(f"priming the simulator failed (exit {p.returncode}): {p.stderr.strip()[-800:]}\n{p.stdout}")

    def inferload_figures(self):
        with open(self.export) as f:
            s = json.load(f)
        m = s["metrics"]
        check = s["root_group"]["checks"].get(CHECK)
        if check is None or "kafka_req_duration" not in m:
            raise RuntimeError(f"the export has no check {CHECK!r} or no kafka_req_duration: is it Kafka mode?")
        req, produce = m["kafka_req_duration"], m.get("kafka_produce_duration", {})
        return {
            "ok": check["passes"], "failed": check["fails"],
            "dropped": (m.get("dropped_iterations") or {}).get("count", 0),
            "req_p50": req["med"], "req_p90": req["p(90)"], "req_p99": req["p(99)"],
            "produce_p50": produce.get("med", float("nan")), "produce_p99": produce.get("p(99)", float("nan")),
        }

    @staticmethod
    def raw_figures(stdout):
        counts = re.search(r"completed (\d+) ok (\d+) failed (\d+) dropped (\d+) timed_out (\d+)", stdout)
        req = re.search(r"req_duration_ms p50 (\S+) p90 (\S+) p99 (\S+)", stdout)
        produce = re.search(r"produce_duration_ms p50 (\S+) p99 (\S+)", stdout)
        partitions = re.search(r"^partitions (\d+)$", stdout, re.M)
        if not (counts and req and produce and partitions):
            raise RuntimeError("cannot read kafka_raw_client's figures:\n" + stdout)
        return {
            "ok": int(counts.group(2)), "failed": int(counts.group(3)) + int(counts.group(5)),
            "dropped": int(counts.group(4)),
            "req_p50": float(req.group(1)), "req_p90": float(req.group(2)), "req_p99": float(req.group(3)),
            "produce_p50": float(produce.group(1)), "produce_p99": float(produce.group(2)),
            "partitions": int(partitions.group(1)),
        }

    def once(self, driver, rate, seconds, check=True):
        if os.path.exists(self.export):
            os.unlink(self.export)
        self.sim.reset()
        cmd = self.inferload_cmd(rate, seconds) if driver == "inferload" else self.raw_cmd(rate, seconds)
        rc, out, err, cpu, wall, groups, names = run_sampled(
            driver, ["taskset", "-c", str(self.args.driver_cpu), *cmd], self.env(), self.args.sample_ms / 1000,
            timeout=seconds + self.args.timeout + 60)
        if rc != 0:
            raise RuntimeError(f"{DRIVERS[driver]} exited {rc}: {err.strip()[-800:]}\n{out[-800:]}")
        fig = self.inferload_figures() if driver == "inferload" else self.raw_figures(out)
        if driver == "raw":
            self.partitions = fig.pop("partitions")
        st = self.sim.stats()
        if check and (st.get("kafka_errors", 0) or st.get("kafka_infer", 0) < fig["ok"] or fig["ok"] == 0):
            raise RuntimeError(f"{DRIVERS[driver]} completed {fig['ok']} requests, but the simulator answered "
                               f"{st.get('kafka_infer')} and sent {st.get('kafka_errors')} error records")
        sampled = sum(groups.values())
        fig.update(cpu=cpu, wall=wall, per_cpu=fig["ok"] / cpu if cpu else 0, sim=st.get("kafka_infer", 0),
                   coverage=sampled / cpu if cpu else 0, names=names,
                   **{f"share_{g}": groups[g] / sampled if sampled else 0 for g in GROUPS})
        return fig


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--rates", type=int_list, default=[1000, 10000],
                   help="comma list of arrival rates, requests per second (default 1000,10000)")
    p.add_argument("--seconds", type=float, default=5, help="seconds of load per run (default 5)")
    p.add_argument("--runs", type=int, default=3, help="runs per cell; the table shows medians (default 3)")
    p.add_argument("--drivers", default="inferload,raw", help="comma list of inferload, raw")
    p.add_argument("--io", default="uring", choices=("uring", "epoll"), help="inferload's I/O backend")
    p.add_argument("--kafka-config", action="append", default=None, metavar="KEY=VALUE",
                   help="librdkafka property for both drivers, repeatable (default fetch.wait.max.ms=10, "
                        "inferload's own default, given to the raw client too: the mock answers a fetch that "
                        "finds no record only after it)")
    p.add_argument("--timeout", type=float, default=10, help="seconds a request may wait for its reply (default 10)")
    p.add_argument("--window", type=int, default=1000,
                   help="inferload's VUs (pre-allocated and max) and the raw client's requests in flight (default 1000)")
    p.add_argument("--namespace", default="default", help="NAMESPACE for the simulator and both drivers")
    p.add_argument("--capture-rate", type=int, default=200,
                   help="rate of the 1 s inferload run whose record the raw client copies (default 200)")
    p.add_argument("--sample-ms", type=int, default=100, help="thread CPU sampling interval (default 100)")
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--driver-cpu", type=int, default=0)
    args = p.parse_args()
    if args.kafka_config is None:
        args.kafka_config = ["fetch.wait.max.ms=10"]
    drivers = [d for d in args.drivers.split(",") if d]
    for d in drivers:
        if d not in DRIVERS:
            sys.exit(f"--drivers: unknown driver {d!r}: choose among {', '.join(DRIVERS)}")
    if args.seconds <= 0 or args.runs <= 0 or args.timeout <= 0 or args.window <= 0 or args.sample_ms <= 0:
        sys.exit("--seconds, --runs, --timeout, --window and --sample-ms must be positive")
    if not args.rates or min(args.rates) <= 0:
        sys.exit("--rates: every rate must be positive")
    for kv in args.kafka_config:
        if "=" not in kv or kv.startswith("="):
            sys.exit(f"--kafka-config {kv!r}: expected KEY=VALUE")
    for path in ("bin/inferload", "bin/scv2-sim", "bench/kafka_raw_client"):
        if not os.path.exists(os.path.join(args.build, path)):
            sys.exit(f"{os.path.join(args.build, path)} not found: build first (make build)")
    if not shutil.which("taskset"):
        sys.exit("taskset not found: install util-linux")

    # The simulator takes the topics' namespace from NAMESPACE, as the drivers do.
    os.environ["NAMESPACE"] = args.namespace
    tmp = tempfile.mkdtemp(prefix="inferload-kafka-bench-")
    cells = {}  # (rate, driver) -> list of run figures
    bench = Bench(args, tmp)
    try:
        with bench.start_sim():
            size = bench.capture_value()
        for r in range(args.runs):
            for rate in args.rates:
                for d in drivers:
                    # librdkafka's mock broker finds a fetch's offset by walking the partition's
                    # log from its start: the longer the log, the slower every fetch. A fresh
                    # simulator per run gives each the same empty log, whatever ran before.
                    with bench.start_sim():
                        bench.prime()
                        fig = bench.once(d, rate, args.seconds)
                    cells.setdefault((rate, d), []).append(fig)
                    print(f"rate={rate:<6d} run {r + 1}/{args.runs} {DRIVERS[d]:15s} {fig['ok']:7d} ok "
                          f"(sim {fig['sim']}) {fig['cpu']:5.2f} CPU-s {fig['per_cpu']:8.0f} req/CPU-s "
                          f"p99 {fig['req_p99']:7.2f} ms rdk {fig['share_rdk'] * 100:3.0f}% "
                          f"threads {dict(sorted(fig['names'].items()))}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nscv2-sim --kafka (librdkafka {rdkafka_version()} mock cluster, one broker) on CPU {args.server_cpu}, "
          f"driver on CPU {args.driver_cpu}; {args.runs} x {args.seconds:g} s per cell, medians; value "
          f"{size} bytes; inputs topic of {bench.partitions} partition(s); kernel {os.uname().release}")
    print("ok: requests answered; req/CPU-s: ok per driver CPU-second (os.wait4); req and produce: "
          "kafka_req_duration and kafka_produce_duration, ms; CPU shares: rdk = librdkafka's threads, "
          "driver = inferload's worker or the raw client's thread, client = inferload's Kafka client threads, "
          "main = inferload's main thread")
    header = (f"{'rate':>6s}  {'driver':15s} {'ok':>7s} {'req/CPU-s':>9s} {'vs raw':>6s} {'req p50':>7s} "
              f"{'p90':>7s} {'p99':>7s} {'prod p50':>8s} {'p99':>7s} {'dropped':>7s} {'failed':>6s} "
              f"{'rdk':>4s} {'driver':>6s} {'client':>6s} {'main':>4s} {'sampled':>7s}")
    print(header)
    for rate in args.rates:
        med = {d: {k: statistics.median(run[k] for run in cells[(rate, d)])
                   for k in cells[(rate, d)][0] if k != "names"} for d in drivers}
        for d in drivers:
            m = med[d]
            vs = f"{m['per_cpu'] / med['raw']['per_cpu']:6.2f}" if "raw" in med else f"{'-':>6s}"
            shares = " ".join(f"{m['share_' + g] * 100:{w}.0f}%" for g, w in zip(GROUPS, (3, 5, 5, 3)))
            print(f"{rate:6d}  {DRIVERS[d]:15s} {m['ok']:7.0f} {m['per_cpu']:9.0f} {vs} {m['req_p50']:7.2f} "
                  f"{m['req_p90']:7.2f} {m['req_p99']:7.2f} {m['produce_p50']:8.2f} {m['produce_p99']:7.2f} "
                  f"{m['dropped']:7.0f} {m['failed']:6.0f} {shares} {m['coverage'] * 100:6.0f}%")
    print("\nTo reproduce: " + " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]))
    print("One run of each by hand, B being the address on the `kafka` line that `scv2-sim --http-port 0 --kafka` "
          "prints, value.bin the record `kafka_raw_client --bootstrap $B --capture-value value.bin` captured:")
    print("  " + " ".join(f"{k}={v}" for k, v in kafka_settings(args).items()) + f" taskset -c {args.driver_cpu} "
          + by_hand(bench, bench.inferload_cmd(args.rates[0], args.seconds)))
    print(f"  taskset -c {args.driver_cpu} " + by_hand(bench, bench.raw_cmd(args.rates[0], args.seconds)))


def kafka_settings(args):
    """inferload's settings for Kafka direct mode on model tfsimple0, nothing loaded first."""
    return {"SKIP_LOAD_MODEL": "1", "MODEL_TYPE": "tfsimple", "MAX_NUM_MODELS": "1", "INFER_TYPE": "KAFKA",
            "INFER_KAFKA_ITERATIONS": "1", "INFER_HTTP_ITERATIONS": "0", "INFER_GRPC_ITERATIONS": "0",
            "NAMESPACE": args.namespace}


def rdkafka_version():
    """librdkafka's version as pkg-config knows it (the one the project was built with)."""
    p = subprocess.run(["pkg-config", "--modversion", "rdkafka"], capture_output=True, text=True)
    return p.stdout.strip() or "?"


def by_hand(bench, cmd):
    """cmd with the run's temporary names replaced by what a reader would use."""
    subst = {bench.sim.kafka: "$B", bench.export: "summary.json", bench.value_file: "value.bin"}
    return " ".join(shlex.quote(subst.get(a, a)).replace("'$B'", "$B") for a in cmd)


if __name__ == "__main__":
    main()
