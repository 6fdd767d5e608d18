#!/usr/bin/env python3
"""inferload's gRPC (unary inference.GRPCInferenceService/ModelInfer over its own HTTP/2) against
h2load and a grpc++ client on the same scv2-sim gRPC server, the same request, for several shapes
(connections x streams in flight per connection). Prints one table.

scv2-sim (grpc++ callback API) runs on one CPU and the driver on another; each driver runs alone,
for the same duration and shape, several times, the drivers taking turns within each run so that
noise from the shared machine spreads over all of them. The figure that compares drivers is
completed requests per driver CPU-second (user + system CPU of the driver process, from the
rusage os.wait4 returns for it), which does not depend on how fast the server is.

Drivers:
- uring, epoll: `inferload run -u C*S -d T --workers 1 --grpc-connections C --io uring|epoll`,
  gRPC only (INFER_HTTP_ITERATIONS=0, INFER_GRPC_ITERATIONS=1); completed = the export's
  requests.ok.
- h2load: `h2load -D T -c C -m S -t 1` POSTing the length-prefixed ModelInferRequest that
  grpc_client --write-request writes, with content-type application/grpc, te: trailers,
  seldon-model and inferload's grpc-timeout (so that the server arms the same deadline for every
  driver; grpc_client sets the same 2-minute deadline); completed = its "succeeded" (HTTP 200: h2load never reads grpc-status).
- grpc: build/bench/grpc_client, grpc++'s async CompletionQueue API as perf_analyzer uses it,
  C channels (distinct channel arguments, so C TCP connections) with S calls in flight on each;
  completed = calls that ended with status OK and an output.
Every run is checked against the simulator: after it, /sim/stats must show no invalid or failed
call, and at least as many OK calls as the driver counted (h2load's successes included).

Optional column, at --callgrind-shape only: instr/req, user-space instructions per request counted
by `valgrind --tool=callgrind` (every thread), marginal between runs of N1 and N2 requests:
(Ir(N2) - Ir(N1)) / (N2 - N1), so start-up, connecting and the report cancel out. inferload runs
`-u C*S -i N`, h2load `-n N`, grpc_client `--requests N`. Kernel instructions are not counted.

Usage: bench/e2e/grpc_vs_h2load.py [--build build] [--shapes 1x64,4x64] [--seconds 10] [--runs 3]
       [--drivers uring,epoll,h2load,grpc] [--callgrind] [--callgrind-shape 1x64]
       [--callgrind-requests 20000,40000]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.request

MODEL = "tfsimple0"
PATH = "/inference.GRPCInferenceService/ModelInfer"
DRIVERS = {"uring": "inferload io_uring", "epoll": "inferload epoll", "h2load": "h2load",
           "grpc": "grpc++ client"}


class GrpcSim:
    """scv2-sim with its gRPC listener, in a child process (optionally pinned to one CPU)."""

    def __init__(self, binary, *args, cpu=None):
        cmd = [binary, "--http-port", "0", "--grpc-port", "0", *args]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        lines = [self.proc.stdout.readline().strip() for _ in range(2)]
        if not lines[0].startswith("http ") or not lines[1].startswith("grpc "):
            self.stop()
            raise RuntimeError(f"scv2-sim printed {lines!r} instead of its two listener lines")
        self.url = "http://" + lines[0].split()[1]
        self.grpc = lines[1].split()[1]
        self.grpc_port = int(self.grpc.rsplit(":", 1)[1])

    def stats(self):
        with urllib.request.urlopen(self.url + "/sim/stats", timeout=5) as r:
            return json.loads(r.read())

    def reset(self):
        req = urllib.request.Request(self.url + "/sim/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            r.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_measured(cmd, env=None, timeout=600, on_start=None):
    """Runs cmd to completion; returns (returncode, stdout, stderr, rusage, wall seconds). The
    rusage is the child's own (os.wait4), so nothing else this script started is in it."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = os.times().elapsed
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            if on_start:
                on_start(proc, t0)
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = os.times().elapsed - t0
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), rusage, wall


def cpu_of(rusage):
    return rusage.ru_utime + rusage.ru_stime


def inferload_env(sim):
    return dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=sim.url, INFER_GRPC_ENDPOINT=sim.grpc, MODEL_TYPE="tfsimple",
                MAX_NUM_MODELS="1", INFER_HTTP_ITERATIONS="0", INFER_GRPC_ITERATIONS="1")


def parse_shape(text):
    c, s = text.lower().split("x")
    return int(c), int(s)


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.inferload = os.path.join(args.build, "bin", "inferload")
        self.sim_bin = os.path.join(args.build, "bin", "scv2-sim")
        self.grpc_client = os.path.join(args.build, "bench", "grpc_client")
        self.request_file = os.path.join(tmp, "request.bin")
        self.export = os.path.join(tmp, "summary.json")
        self.sim = None

    def write_request(self):
        subprocess.run([self.grpc_client, "--write-request", self.request_file, "--model", MODEL],
                       check=True, stdout=subprocess.DEVNULL)
        return os.path.getsize(self.request_file)

    def command(self, driver, shape, seconds=None, requests=None):
        c, s = shape
        if driver in ("uring", "epoll"):
            cmd = [self.inferload, "run", "--workers", "1", "--io", driver, "-u", str(c * s),
                   "--grpc-connections", str(c), "--quiet", "--no-color", "--summary-export", self.export]
            return cmd + (["-i", str(requests)] if requests else ["-d", f"{seconds}s"])
        if driver == "h2load":
            cmd = ["h2load", "-t", "1", "-c", str(c), "-m", str(s), f"--data={self.request_file}",
                   "-H", "content-type: application/grpc", "-H", "te: trailers",
                   # inferload's grpc-timeout (k6's 2 minutes): the server's work per call is the same.
                   "-H", "grpc-timeout: 120000m",
                   "-H", f"seldon-model: {MODEL}", f"http://{self.sim.grpc}{PATH}"]
            return cmd + (["-n", str(requests)] if requests else ["-D", str(seconds)])
        cmd = [self.grpc_client, "--target", self.sim.grpc, "--connections", str(c), "--concurrency", str(s),
               "--model", MODEL]
        return cmd + (["--requests", str(requests)] if requests else ["--duration", str(seconds)])

    def completed(self, driver, stdout):
        if driver in ("uring", "epoll"):
            with open(self.export) as f:
                info = json.load(f)["inferload"]
            return info["requests"]["ok"], info.get("driver_cpu_seconds")
        if driver == "h2load":
            m = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", stdout)
            if not m:
                raise RuntimeError("cannot read h2load's request count:\n" + stdout[-1500:])
            return int(m.group(1)), None
        m = re.search(r"completed (\d+) ok (\d+)", stdout)
        if not m:
            raise RuntimeError("cannot read grpc_client's counts:\n" + stdout)
        return int(m.group(2)), None

    def run(self, driver, cmd, wrapper=()):
        env = inferload_env(self.sim) if driver in ("uring", "epoll") else None
        if os.path.exists(self.export):
            os.unlink(self.export)
        self.sim.reset()
        rc, out, err, rusage, wall = run_measured(
            ["taskset", "-c", str(self.args.driver_cpu), *wrapper, *cmd], env=env)
        if rc != 0:
            raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {rc}: {err.strip()[-800:]}\n{out[-800:]}")
        done, self_cpu = self.completed(driver, out)
        st = self.sim.stats()
        bad = st.get("grpc_infer_invalid", 0) + st.get("grpc_infer_error", 0)
        if bad or st.get("grpc_infer_ok", 0) < done or done == 0:
            raise RuntimeError(f"{DRIVERS[driver]} counted {done} OK calls, but the simulator answered "
                               f"{st.get('grpc_infer_ok')} OK and {bad} invalid or failed")
        return done, cpu_of(rusage), wall, self_cpu, st["grpc_infer_ok"]

    def throughput(self, driver, shape):
        return self.run(driver, self.command(driver, shape, seconds=self.args.seconds))

    def callgrind_once(self, driver, shape, requests):
        out_file = os.path.join(self.tmp, "callgrind.out")
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]
        done, _, _, _, _ = self.run(driver, self.command(driver, shape, requests=requests), wrapper)
        with open(out_file) as f:
            m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
        os.unlink(out_file)
        if not m:
            raise RuntimeError("no instruction total in the callgrind output")
        return done, int(m.group(1))

    def instructions_per_request(self, driver, shape):
        n1, n2 = self.args.callgrind_requests
        (r1, i1), (r2, i2) = (self.callgrind_once(driver, shape, n) for n in (n1, n2))
        return (i2 - i1) / (r2 - r1), (r1, r2)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--shapes", default="1x64,4x64", help="comma list of CONNECTIONSxSTREAMS (default 1x64,4x64)")
    p.add_argument("--seconds", type=int, default=10, help="seconds per throughput run (default 10)")
    p.add_argument("--runs", type=int, default=3, help="throughput runs per cell; the table shows medians")
    p.add_argument("--drivers", default="uring,epoll,h2load,grpc", help="comma list of uring, epoll, h2load, grpc")
    p.add_argument("--callgrind", action="store_true", help="add the instr/req column (slow)")
    p.add_argument("--callgrind-shape", default="1x64")
    p.add_argument("--callgrind-requests", default="20000,40000", help="N1,N2")
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--driver-cpu", type=int, default=0)
    args = p.parse_args()
    shapes = [parse_shape(x) for x in args.shapes.split(",") if x]
    drivers = [d for d in args.drivers.split(",") if d]
    for d in drivers:
        if d not in DRIVERS:
            sys.exit(f"unknown driver {d!r}: choose among {', '.join(DRIVERS)}")
    args.callgrind_requests = [int(x) for x in args.callgrind_requests.split(",")]
    cg_shape = parse_shape(args.callgrind_shape)
    if len(args.callgrind_requests) != 2 or args.callgrind_requests[0] >= args.callgrind_requests[1]:
        sys.exit("--callgrind-requests takes N1,N2 with N1 < N2")
    if args.callgrind and cg_shape not in shapes:
        sys.exit("--callgrind-shape must be among --shapes")
    for path in ("bin/inferload", "bin/scv2-sim", "bench/grpc_client"):
        if not os.path.exists(os.path.join(args.build, path)):
            sys.exit(f"{os.path.join(args.build, path)} not found: build inferload, scv2-sim and grpc_client first")
    for tool in ["taskset"] + (["h2load"] if "h2load" in drivers else []) + (["valgrind"] if args.callgrind else []):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: run tools/install-deps.sh, or leave out what needs it")

    tmp = tempfile.mkdtemp(prefix="inferload-grpc-bench-")
    bench = Bench(args, tmp)
    cells = {}  # (shape, driver) -> {"runs": [(done, cpu, wall, self_cpu, sim_ok)], "ir": ...}
    try:
        size = bench.write_request()
        with GrpcSim(bench.sim_bin, cpu=args.server_cpu) as sim:
            bench.sim = sim
            for shape in shapes:
                for r in range(args.runs):
                    for d in drivers:
                        done, cpu, wall, self_cpu, sim_ok = bench.throughput(d, shape)
                        cells.setdefault((shape, d), {"runs": []})["runs"].append((done, cpu, wall, self_cpu, sim_ok))
                        own = f" (own {self_cpu:.2f})" if self_cpu is not None else ""
                        print(f"{shape[0]}x{shape[1]:<4d} run {r + 1}/{args.runs} {DRIVERS[d]:18s} {done:9d} ok "
                              f"(sim {sim_ok}) {done / wall:8.0f} req/s {cpu:6.2f} CPU-s{own} "
                              f"{done / cpu:9.0f} req/CPU-s", flush=True)
            if args.callgrind:
                for d in drivers:
                    ir, counts = bench.instructions_per_request(d, cg_shape)
                    cells[(cg_shape, d)]["ir"] = ir
                    print(f"{cg_shape[0]}x{cg_shape[1]} {DRIVERS[d]:18s} {ir:.0f} instr/req (between {counts[0]} "
                          f"and {counts[1]} requests)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nscv2-sim (grpc++ callback) on CPU {args.server_cpu}, driver on CPU {args.driver_cpu}, {args.runs} x "
          f"{args.seconds} s per cell, medians; request message {size} bytes, kernel {os.uname().release}")
    print("shape: connections x streams in flight per connection; CPU: driver CPU-seconds per wall second "
          "(os.wait4 rusage); spread: (max - min) / median of req/CPU-s; vs X: req/CPU-s over X's")
    if args.callgrind:
        n1, n2 = args.callgrind_requests
        print(f"instr/req: callgrind, user space, all threads, marginal between {n1} and {n2} requests, "
              f"shape {cg_shape[0]}x{cg_shape[1]}")
    header = (f"{'shape':>6s}  {'driver':18s} {'req/s':>8s} {'CPU':>5s} {'req/CPU-s':>10s} {'spread':>7s} "
              f"{'vs h2load':>9s} {'vs grpc++':>9s}")
    header += f" {'instr/req':>10s}" if args.callgrind else ""
    print(header)
    for shape in shapes:
        per_cpu = {d: statistics.median(x[0] / x[1] for x in cells[(shape, d)]["runs"]) for d in drivers}
        for d in drivers:
            runs = cells[(shape, d)]["runs"]
            rate = statistics.median(x[0] / x[2] for x in runs)
            load = statistics.median(x[1] / x[2] for x in runs)
            values = [x[0] / x[1] for x in runs]
            spread = (max(values) - min(values)) / per_cpu[d]
            vs = [f"{per_cpu[d] / per_cpu[o]:9.2f}" if o in per_cpu else f"{'-':>9s}" for o in ("h2load", "grpc")]
            line = (f"{shape[0]:>2d}x{shape[1]:<3d}  {DRIVERS[d]:18s} {rate:8.0f} {load * 100:4.0f}% {per_cpu[d]:10.0f} "
                    f"{spread * 100:6.0f}% {vs[0]} {vs[1]}")
            if args.callgrind:
                ir = cells[(shape, d)].get("ir")
                line += f" {ir:10.0f}" if ir is not None else f" {'':10s}"
            print(line)


if __name__ == "__main__":
    main()
