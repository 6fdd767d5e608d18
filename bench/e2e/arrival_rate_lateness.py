#!/usr/bin/env python3
"""inferload's open-loop pacing: the constant-arrival-rate executor (`--rate R -d D`) against
nginx, at several rates, with and without `--precise-timing`. Prints one table.

nginx (one worker process, the same config as bench/e2e/http1_vs_wrk.py: 200 with a small V2
body to every POST /v2/models/.../infer) runs on --server-cpu, inferload (one worker, io_uring,
and with --backends also epoll) on --driver-cpu:

    taskset -c 0 inferload run --io uring --workers 1 --rate R -d Ds --pre-allocated-vus 2000
        --max-vus 2000 --preconnect -q --summary-export FILE [--precise-timing]

Columns, each the median over --runs runs:
- achieved: iterations (metrics.iterations.count of the k6 summary export) / D, the requested
  duration; a constant-arrival-rate schedule starts exactly R x D iterations in D seconds, so
  `error` = (achieved - R) / R is how far the schedule fell short (or overshot).
- dropped: metrics.dropped_iterations.count (absent: 0), iterations due while all --max-vus
  VUs were busy.
- lateness p50/p99/p99.9: metrics.schedule_lateness (med, p(99), p(99.9); ms in the export,
  shown in microseconds): how long after its scheduled time each iteration started.
- max: the largest lateness, in microseconds; http p99: http_req_duration p(99), microseconds.
- CPU: user + system CPU of the inferload process (os.wait4's rusage) per wall second.

A max lateness of 20-40 ms in some runs comes from this shared VM, not the pacing: `perf sched
record -C 0` over such a run shows the driver's CPU idle while runnable kernel threads waited
21-25 ms to be scheduled, that is the whole vCPU stopped by the host. The iterations due
meanwhile (1,000-1,500 at 50,000/s) start late, all at once, and are measured so; each needs a
VU of its own. Hence --preconnect and 2,000 pre-allocated VUs: those VUs' connections are open
before the clock starts, so the burst costs one send and one receive per iteration. With
connections opened lazily (--lazy-connections --pre-allocated-vus 64), every VU of the burst
paid a handshake on both sides first, the burst outlasted the VUs, and 0.2-0.9 % of the
iterations were dropped; a larger --max-vus made it worse (10,000 VUs: thousands of handshakes
that overloaded nginx and the driver for the rest of the run). --driver-stalls N:MS makes such
stalls on purpose (SIGSTOP/SIGCONT of the driver) to compare the two.

The goal the project measures itself against: at 50,000 req/s lateness p99 <= 50 us and the
achieved rate within 0.1 % of the requested one; the last line says whether each measured
mode at 50k meets it.

Peer: wrk2 (Gil Tene's constant-throughput wrk) would be the one; the script asks apt whether
Debian packages it and says so when it does not. Plain wrk is closed-loop (no rate to hold), so
there is nothing to compare it with here.

Usage: bench/e2e/arrival_rate_lateness.py [--build build] [--seconds 10] [--rates 10000,50000,100000]
       [--runs 1] [--backends uring,epoll] [--pre-allocated-vus 2000] [--max-vus 2000]
       [--lazy-connections] [--driver-stalls N:MS] [--server-cpu 1] [--driver-cpu 0]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
from peers import Nginx  # noqa: E402

BACKENDS = ("uring", "epoll")
GOAL_RATE = 50000
GOAL_P99_US = 50.0
GOAL_ERROR_PCT = 0.1


def inferload_path(args):
    return os.path.join(args.build, "bin", "inferload")


def stall_spec(text):
    n, _, ms = text.partition(":")
    try:
        spec = int(n), int(ms)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--driver-stalls {text!r}: expected N:MS, e.g. 3:30")
    if spec[0] <= 0 or spec[1] <= 0:
        raise argparse.ArgumentTypeError(f"--driver-stalls {text!r}: N and MS must be positive")
    return spec


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def wrk2_status():
    """One line on wrk2: whether Debian packages it (apt-cache), and whether it is installed."""
    found = shutil.which("wrk2")
    candidate = None
    if shutil.which("apt-cache"):
        policy = subprocess.run(["apt-cache", "policy", "wrk2"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True).stdout
        for line in policy.splitlines():
            if line.strip().startswith("Candidate:"):
                value = line.split(":", 1)[1].strip()
                candidate = None if value == "(none)" else value
    if found:
        return f"wrk2 is installed ({found}) but this script does not drive it yet: no peer measured"
    if candidate:
        return f"wrk2 {candidate} is packaged but not installed (apt-get install wrk2): no peer measured"
    return "wrk2 is not packaged for Debian 12: no peer measured"


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.inferload = inferload_path(args)
        self.url = None

    def env(self):
        return dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=self.url, INFER_GRPC_ITERATIONS="0", MODEL_TYPE="iris")

    def stall_driver(self, proc):
        """--driver-stalls N:MS: stops the driver's process N times for MS milliseconds, spread
        over the middle of the run, as the host stopping its vCPU does (without waiting for one)."""
        n, ms = self.args.driver_stalls

        def go():
            gap = self.args.seconds / (n + 1)
            for _ in range(n):
                time.sleep(gap)
                try:
                    os.kill(proc.pid, signal.SIGSTOP)
                    time.sleep(ms / 1000)
                    os.kill(proc.pid, signal.SIGCONT)
                except ProcessLookupError:
                    return
        t = threading.Thread(target=go)
        t.start()
        return t

    def once(self, rate, backend, precise):
        """One run; returns a dict of its figures."""
        export = os.path.join(self.tmp, "summary.json")
        if os.path.exists(export):
            os.unlink(export)
        cmd = ["taskset", "-c", str(self.args.driver_cpu), self.inferload, "run", "--io", backend,
               "--workers", "1", "--rate", str(rate), "-d", f"{self.args.seconds}s",
               "--pre-allocated-vus", str(self.args.pre_allocated), "--max-vus", str(self.args.max_vus),
               "-q", "--no-color", "--summary-export", export]
        if self.args.preconnect:
            cmd.append("--preconnect")
        if precise:
            cmd.append("--precise-timing")
        err_file = os.path.join(self.tmp, "stderr.txt")
        with open(err_file, "w") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, env=self.env(), stdout=subprocess.DEVNULL, stderr=err)
            stalls = self.stall_driver(proc) if self.args.driver_stalls else None
            _, status, usage = os.wait4(proc.pid, 0)
            if stalls:
                stalls.join()
            wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            with open(err_file) as f:
                raise RuntimeError(f"inferload --rate {rate} --io {backend} exited {proc.returncode}: "
                                   f"{f.read().strip()[-800:]}")
        with open(export) as f:
            metrics = json.load(f)["metrics"]
        lateness = metrics.get("schedule_lateness")
        if not lateness:
            raise RuntimeError("the summary export has no metrics.schedule_lateness")
        iterations = metrics.get("iterations", {}).get("count", 0)
        dropped = (metrics.get("dropped_iterations") or {}).get("count", 0)
        achieved = iterations / self.args.seconds
        http = metrics.get("http_req_duration") or {}
        return {
            "achieved": achieved,
            "error": (achieved - rate) / rate * 100,
            "dropped": dropped,
            "p50": lateness["med"] * 1000,
            "p99": lateness["p(99)"] * 1000,
            "p999": lateness["p(99.9)"] * 1000,
            "max": lateness["max"] * 1000,
            "http_p99": http.get("p(99)", float("nan")) * 1000,
            "cpu": (usage.ru_utime + usage.ru_stime) / wall * 100,
        }


def mode_name(backend, precise):
    return backend + (" precise" if precise else "")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--seconds", type=int, default=10, help="duration of each run, -d (default 10)")
    p.add_argument("--rates", type=int_list, default=[10000, 50000, 100000],
                   help="comma list of requested rates per second (default 10000,50000,100000)")
    p.add_argument("--runs", type=int, default=1, help="runs per cell; the table shows medians (default 1)")
    p.add_argument("--backends", default="uring", help="comma list of uring, epoll (default uring)")
    p.add_argument("--pre-allocated-vus", dest="pre_allocated", type=int, default=2000)
    p.add_argument("--max-vus", dest="max_vus", type=int, default=2000)
    p.add_argument("--lazy-connections", dest="preconnect", action="store_false",
                   help="leave out --preconnect: each VU connects on its first iteration, as k6's do")
    p.add_argument("--driver-stalls", type=stall_spec, default=None, metavar="N:MS",
                   help="stop the driver N times for MS ms in each run (SIGSTOP/SIGCONT), to see how it "
                        "recovers from a host stall: the iterations due meanwhile start late, all at once")
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--driver-cpu", type=int, default=0)
    args = p.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    for b in backends:
        if b not in BACKENDS:
            sys.exit(f"unknown backend {b!r}: choose among {', '.join(BACKENDS)}")
    if args.seconds <= 0 or args.runs <= 0 or not args.rates or min(args.rates) <= 0:
        sys.exit("--seconds, --runs and every rate must be positive")
    if not os.path.exists(inferload_path(args)):
        sys.exit(f"{inferload_path(args)} not found: build first (make build)")
    peer = wrk2_status()

    modes = [(b, precise) for b in backends for precise in (False, True)]
    tmp = tempfile.mkdtemp(prefix="inferload-rate-bench-")
    bench = Bench(args, tmp)
    cells = {}  # (rate, backend, precise) -> list of run figures
    try:
        with Nginx(count=False, keepalive_requests=100000000, cpu=args.server_cpu, worker_connections=4096) as nginx:
            bench.url = nginx.url
            # The modes take turns within each run, so that noise from the shared machine
            # spreads over all of them.
            for r in range(args.runs):
                for rate in args.rates:
                    for backend, precise in modes:
                        fig = bench.once(rate, backend, precise)
                        cells.setdefault((rate, backend, precise), []).append(fig)
                        print(f"rate={rate:<7d} run {r + 1}/{args.runs} {mode_name(backend, precise):14s} "
                              f"{fig['achieved']:9.0f}/s dropped {fig['dropped']:6d} lateness p99 "
                              f"{fig['p99']:8.1f} us CPU {fig['cpu']:4.0f}%", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nnginx (1 worker) on CPU {args.server_cpu}, inferload (--workers 1) on CPU {args.driver_cpu}, "
          f"{args.runs} x {args.seconds} s per cell, medians; kernel {os.uname().release}")
    print(f"--pre-allocated-vus {args.pre_allocated} --max-vus {args.max_vus}"
          f"{' --preconnect' if args.preconnect else ' (connections opened lazily)'}"
          + (f"; the driver stopped {args.driver_stalls[0]} x {args.driver_stalls[1]} ms per run"
             if args.driver_stalls else ""))
    print("achieved: iterations / duration; error: vs the requested rate; lateness: schedule_lateness "
          "(start - scheduled time), us; CPU: driver CPU-s per wall second")
    header = (f"{'rate':>7s}  {'mode':14s} {'achieved':>9s} {'error':>8s} {'dropped':>8s} {'p50':>8s} "
              f"{'p99':>8s} {'p99.9':>8s} {'max':>8s} {'http p99':>9s} {'CPU':>5s}")
    print(header)
    med = {}
    for rate in args.rates:
        for backend, precise in modes:
            runs = cells[(rate, backend, precise)]
            m = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            med[(rate, backend, precise)] = m
            print(f"{rate:7d}  {mode_name(backend, precise):14s} {m['achieved']:9.0f} {m['error']:+7.3f}% "
                  f"{m['dropped']:8.0f} {m['p50']:8.1f} {m['p99']:8.1f} {m['p999']:8.1f} {m['max']:8.0f} "
                  f"{m['http_p99']:9.1f} {m['cpu']:4.0f}%")
    print(peer)
    if GOAL_RATE in args.rates:
        verdicts = []
        for backend, precise in modes:
            m = med[(GOAL_RATE, backend, precise)]
            ok = m["p99"] <= GOAL_P99_US and abs(m["error"]) <= GOAL_ERROR_PCT
            verdicts.append(f"{mode_name(backend, precise)} {'met' if ok else 'NOT met'} "
                            f"(p99 {m['p99']:.1f} us, error {m['error']:+.3f}%)")
        print(f"goal at {GOAL_RATE} req/s (lateness p99 <= {GOAL_P99_US:.0f} us, achieved within "
              f"{GOAL_ERROR_PCT} %): " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
