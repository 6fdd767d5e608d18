#!/usr/bin/env python3
"""What the sample outputs cost: inferload at a constant 50,000 req/s against nginx, with no
output and with each of --out csv=F, csv=F.gz, json=F, json=F.gz (and every output at once).
nginx (one worker) runs on --server-cpu; the whole inferload process, its one worker and its
output thread, on --driver-cpu, so that the writer competes with the load as it would on a busy
node:

    taskset -c 0 inferload run --workers 1 --rate 50000 -d 10s --pre-allocated-vus 2000
        --preconnect -q --summary-export FILE [--out ...]

Columns (medians over --runs):
- achieved: iterations / duration, and dropped iterations (the driver could not keep the rate).
- CPU/req: the process's user + system CPU (os.wait4's rusage) per request, microseconds; `+`
  is the difference from the run with no output, the outputs' whole cost per request.
- rows/s: rows written per second of the run; lost: rows the output thread could not take
  (inferload.samples.rows_lost, counted, never silent).
- writer us/req: the output thread's CPU (inferload.samples.writer_cpu_seconds) per request:
  what the outputs cost apart from the load. The process's CPU/req says less here: at 50,000/s
  io_uring's worker polls for completions while it has CPU to spare (spin time, not load), so
  the process is near one CPU-second per second whatever the outputs take from it.
- writer rows/CPU-s: rows written per CPU-second of the output thread
  (inferload.samples.writer_cpu_seconds): the sample rate one core's writer sustains in that
  format, the figure to compare with a run's own rows/s.

Also: the aggregated CSV (aggregate=1s), --prometheus (nobody scraping: the sink's own cost) and
--out influxdb to an influxd started here (when installed; else that mode is left out).

Usage: bench/e2e/outputs_cost.py [--build build] [--seconds 10] [--rate 50000] [--runs 1]
       [--server-cpu 1] [--driver-cpu 0]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
from peers import INFLUXD, InfluxD, Nginx, free_port  # noqa: E402

MODES = [
    ("none", []),
    ("csv", ["--out", "csv={d}/base.csv"]),
    ("csv.gz", ["--out", "csv={d}/base.gz"]),
    ("json", ["--out", "json={d}/out.json"]),
    ("json.gz", ["--out", "json={d}/out.json.gz"]),
    ("csv.gz+json.gz", ["--out", "csv={d}/base.gz", "--out", "json={d}/out.json.gz"]),
    ("csv aggregate", ["--out", "csv=fileName={d}/agg.csv,aggregate=1s"]),
    ("prometheus", ["--prometheus", "127.0.0.1:{prom}"]),
    ("influxdb", ["--out", "influxdb={influx}/k6"]),
]


def once(args, url, tmp, mode_args):
    out_dir = tempfile.mkdtemp(dir=tmp)
    export = os.path.join(out_dir, "summary.json")
    cmd = ["taskset", "-c", str(args.driver_cpu), os.path.join(args.build, "bin", "inferload"), "run",
           "--workers", "1", "--rate", str(args.rate), "-d", f"{args.seconds}s", "--pre-allocated-vus", "2000",
           "--max-vus", "2000", "--preconnect", "-q", "--summary-export", export,
           *[a.format(d=out_dir, prom=free_port(), influx=args.influx_url) for a in mode_args]]
    env = dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=url, INFER_GRPC_ITERATIONS="0", MODEL_TYPE="iris")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}: {err[-800:]}")
    with open(export) as f:
        s = json.load(f)
    shutil.rmtree(out_dir, ignore_errors=True)
    m = s["metrics"]
    requests = m["http_reqs"]["count"]
    samples = s["inferload"].get("samples", {})
    writer = samples.get("writer_cpu_seconds", 0)
    return {
        "achieved": m["iterations"]["count"] / args.seconds,
        "dropped": (m.get("dropped_iterations") or {}).get("count", 0),
        "cpu_us": (usage.ru_utime + usage.ru_stime) / requests * 1e6,
        "rows_s": samples.get("rows_written", 0) / args.seconds,
        "lost": samples.get("rows_lost", 0),
        "writer": samples.get("rows_written", 0) / writer if writer > 0 else 0,
        "writer_us": writer / requests * 1e6,
        "wall": wall,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--rate", type=int, default=50000)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--driver-cpu", type=int, default=0)
    args = p.parse_args()
    if not os.path.exists(os.path.join(args.build, "bin", "inferload")):
        sys.exit(f"{args.build}/bin/inferload not found: build first (make build)")
    tmp = tempfile.mkdtemp(prefix="inferload-outputs-bench-")
    cells = {}
    influx = None
    modes = MODES
    if INFLUXD:
        influx = InfluxD()
        args.influx_url = influx.url
    else:
        print("influxd is not installed: the influxdb mode is left out")
        modes = [m for m in MODES if m[0] != "influxdb"]
    try:
        with Nginx(count=False, keepalive_requests=100000000, cpu=args.server_cpu, worker_connections=4096) as nginx:
            for r in range(args.runs):
                for name, mode_args in modes:
                    fig = once(args, nginx.url, tmp, mode_args)
                    cells.setdefault(name, []).append(fig)
                    print(f"run {r + 1}/{args.runs} {name:15s} {fig['achieved']:8.0f}/s CPU/req {fig['cpu_us']:6.2f} us "
                          f"rows/s {fig['rows_s']:9.0f} lost {fig['lost']}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if influx:
            influx.stop()
    print(f"\nnginx (1 worker) on CPU {args.server_cpu}, inferload (--workers 1 and its output thread) on CPU "
          f"{args.driver_cpu}, {args.rate} req/s, {args.runs} x {args.seconds} s per mode, medians")
    print(f"{'output':15s} {'achieved':>9s} {'dropped':>8s} {'CPU/req us':>10s} {'+':>7s} {'writer us/req':>13s} "
          f"{'rows/s':>9s} {'lost':>9s} {'writer rows/CPU-s':>18s}")
    base = statistics.median(f["cpu_us"] for f in cells["none"])
    for name, _ in modes:
        runs = cells[name]
        med = {k: statistics.median(f[k] for f in runs) for k in runs[0]}
        print(f"{name:15s} {med['achieved']:9.0f} {med['dropped']:8.0f} {med['cpu_us']:10.2f} "
              f"{med['cpu_us'] - base:+7.2f} {med['writer_us']:13.2f} {med['rows_s']:9.0f} {med['lost']:9.0f} "
              f"{med['writer']:18.0f}")


if __name__ == "__main__":
    main()
