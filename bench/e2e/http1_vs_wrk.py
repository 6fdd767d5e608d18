#!/usr/bin/env python3
"""inferload against wrk on the same nginx, HTTP/1.1 keep-alive, the same request bytes.

nginx runs on one CPU and the load generator on another; each load generator runs alone, for
the same duration and connection count, several times. The figure that compares them is
completed requests per driver CPU-second (user + system CPU of the driver process), which does
not depend on how fast the server is. Prints a table and the ratio inferload / wrk.

Usage: bench/e2e/http1_vs_wrk.py [--build build] [--duration 10] [--connections 64] [--runs 3]
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
from peers import Nginx  # noqa: E402

MODEL = "tfsimple0"
BODY = ('{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},'
        '{"name":"INPUT1","shape":[1,16],"datatype":"INT32","data":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}]}')


def run_measured(cmd, env=None):
    """Runs cmd to completion; returns (stdout, CPU seconds it used)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {out.returncode}: {out.stderr.strip()[:500]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stdout, cpu


def wrk_run(url, args, script):
    cmd = ["taskset", "-c", str(args.driver_cpu), "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s",
           "-s", script, url + f"/v2/models/{MODEL}/infer"]
    out, cpu = run_measured(cmd)
    m = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not m:
        raise RuntimeError("cannot read wrk's request count:\n" + out)
    return int(m.group(1)) - (int(errors.group(1)) if errors else 0), cpu


def inferload_run(binary, url, args, tmp, io):
    export = os.path.join(tmp, "summary.json")
    env = dict(os.environ, INFER_HTTP_ENDPOINT=url, MODEL_TYPE="tfsimple", MAX_NUM_MODELS="1",
               INFER_GRPC_ITERATIONS="0")
    cmd = ["taskset", "-c", str(args.driver_cpu), binary, "run", "--workers", "1", "--io", io,
           "-u", str(args.connections), "-d", f"{args.duration}s", "-q", "--summary-export", export]
    _, cpu = run_measured(cmd, env)
    with open(export) as f:
        summary = json.load(f)
    ok = summary["inferload"]["requests"]["ok"]
    return ok, cpu


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--driver-cpu", type=int, default=0)
    args = p.parse_args()
    binary = os.path.join(args.build, "bin", "inferload")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: build first (make build)")
    if not shutil.which("wrk"):
        sys.exit("wrk not found: run tools/install-deps.sh")

    tmp = tempfile.mkdtemp(prefix="inferload-bench-")
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        # The same request inferload sends, so both drivers move the same bytes.
        f.write('wrk.method = "POST"\n')
        f.write(f"wrk.body = '{BODY}'\n")
        for k, v in [("Host", MODEL), ("User-Agent", "inferload/0.1.0"), ("Content-Type", "application/json"),
                     ("seldon-model", MODEL), ("Accept-Encoding", "entity")]:
            f.write(f'wrk.headers["{k}"] = "{v}"\n')

    results = {"wrk": [], "inferload io_uring": [], "inferload epoll": []}
    with Nginx(count=False, keepalive_requests=100000000, cpu=args.server_cpu) as nginx:
        for r in range(args.runs):
            for name in results:
                if name == "wrk":
                    done, cpu = wrk_run(nginx.url, args, script)
                else:
                    done, cpu = inferload_run(binary, nginx.url, args, tmp, name.split()[-1].replace("io_uring", "uring"))
                results[name].append((done, cpu))
                print(f"run {r + 1}/{args.runs} {name:20s} {done:10d} requests  {done / args.duration:10.0f} req/s  "
                      f"{cpu:6.2f} CPU-s  {done / cpu:10.0f} req/CPU-s", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nnginx on CPU {args.server_cpu}, driver on CPU {args.driver_cpu}, {args.connections} connections, "
          f"{args.duration}s x {args.runs} runs, kernel {os.uname().release}")
    print(f"{'driver':20s} {'req/s (median)':>15s} {'req per driver CPU-s (median)':>30s}")
    med = {}
    for name, rs in results.items():
        med[name] = statistics.median(d / c for d, c in rs)
        print(f"{name:20s} {statistics.median(d / args.duration for d, _ in rs):15.0f} {med[name]:30.0f}")
    for name in ("inferload io_uring", "inferload epoll"):
        print(f"ratio {name} / wrk: {med[name] / med['wrk']:.2f}")


if __name__ == "__main__":
    main()
