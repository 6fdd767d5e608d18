#!/usr/bin/env python3
"""inferload against wrk and a raw io_uring client on the same nginx, HTTP/1.1 keep-alive, the
same request bytes, for several connection counts. Prints one table.

nginx runs on one CPU and the driver on another; each driver runs alone, for the same duration
and connection count, several times, the drivers taking turns within each run so that noise from
the shared machine spreads over all of them. The figure that compares drivers is completed
requests per driver CPU-second (user + system CPU of the driver process), which does not depend
on how fast the server is. `raw io_uring` (build/bench/raw_uring_client) does nothing but send the
request and find the end of the response: it is what this kernel allows, the floor under any
driver's cost.

Two further columns, at --callgrind-connections only (they are slow to get):
- instr/req: user-space instructions per request, counted by `valgrind --tool=callgrind`
  (exact, unaffected by other load on the machine). Each driver runs twice, for N1 and N2
  requests, and the figure is (Ir(N2) - Ir(N1)) / (R2 - R1): start-up, connecting and the
  end-of-run report cancel out. inferload runs `-u C -i N`, the raw client `--requests N`.
  wrk has no request count (counting in a Lua response() hook would make wrk hand every
  response to Lua, which is not what wrk costs), so it runs for two durations chosen from a
  calibration run and R1, R2 are the requests it reports. Kernel instructions are not counted.
- syscalls/req: system calls per request (perf's raw_syscalls:sys_enter tracepoint, counted in
  the kernel, every thread of the driver), marginal between a run of D and one of 2D seconds at
  full speed, the same way. On io_uring, work the kernel does for submitted SQEs is not a
  syscall: compare this column only together with req/CPU-s.

With --https every driver but the raw client (which speaks no TLS) talks to the same nginx over
TLS 1.3 on kept-alive connections: what TLS's record layer costs each driver.

With --handshakes, nginx closes every connection after one request, so that each request is a
new connection and a TLS handshake: the figure is handshakes per driver CPU-second, inferload
resuming its VUs' sessions (its default) against inferload with --no-tls-resumption (a full
handshake every time) and wrk (which resumes too: it ends a connection with SSL_shutdown and
SSL_clear, which keep the session for the next SSL_connect).

Usage: bench/e2e/http1_vs_wrk.py [--build build] [--connections 1,8,64,512,4000] [--duration 5]
       [--runs 3] [--drivers wrk,uring,epoll,raw] [--no-callgrind] [--no-syscalls]
       [--callgrind-connections 64] [--callgrind-requests 20000,40000] [--https | --handshakes]
"""
import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "integration"))
from peers import Nginx  # noqa: E402

MODEL = "tfsimple0"
DRIVERS = {"wrk": "wrk", "uring": "inferload io_uring", "epoll": "inferload epoll", "raw": "raw io_uring",
           "uring-full": "inferload io_uring, no resumption"}


def inferload_path(args):
    return os.path.join(args.build, "bin", "inferload")


def raw_path(args):
    return os.path.join(args.build, "bench", "raw_uring_client")


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.inferload = inferload_path(args)
        self.raw = raw_path(args)
        self.request_file = os.path.join(tmp, "request.bin")
        self.wrk_script = os.path.join(tmp, "request.lua")
        self.url = None

    def pinned(self, cmd):
        return ["taskset", "-c", str(self.args.driver_cpu), *cmd]

    def inferload_env(self, url):
        return dict(os.environ, SKIP_LOAD_MODEL="1", INFER_HTTP_ENDPOINT=url, MODEL_TYPE="tfsimple", MAX_NUM_MODELS="1",
                    INFER_GRPC_ITERATIONS="0")

    def tls_flags(self, driver):
        if not self.url.startswith("https://"):
            return []
        return ["--tls-ca", self.args.pki.ca] + (["--no-tls-resumption"] if driver == "uring-full" else [])

    def capture_request(self):
        """Records the bytes of one request inferload sends, so that wrk and the raw client send
        exactly those bytes too."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        got = {}

        def serve():
            # inferload's reachability probe connects and closes first: skip empty connections.
            while True:
                conn, _ = listener.accept()
                with conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if b"\r\n\r\n" in data:
                        respond(conn, data)
                        return

        def respond(conn, data):
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
            while len(body) < length:
                body += conn.recv(65536)
            got["request"] = head + b"\r\n\r\n" + body
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        subprocess.run([self.inferload, "run", "--workers", "1", "-u", "1", "-i", "1", "-q", "--no-summary"],
                       env=self.inferload_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30, check=True)
        t.join(timeout=10)
        listener.close()
        if "request" not in got:
            raise RuntimeError("inferload sent no request to the capture listener")
        with open(self.request_file, "wb") as f:
            f.write(got["request"])
        # wrk builds its request once per thread with wrk.format(); returning the captured
        # bytes from it keeps the request static, so wrk does no Lua work per request.
        lua = got["request"].decode("latin-1").replace("\\", "\\\\").replace('"', '\\"')
        lua = lua.replace("\r", "\\r").replace("\n", "\\n")
        with open(self.wrk_script, "w") as f:
            f.write(f'local request = "{lua}"\nwrk.format = function() return request end\n')
        return got["request"]

    # ---- one driver run: returns (completed requests, seconds the driver measured itself or None)
    def command(self, driver, connections, duration=None, requests=None):
        c = str(connections)
        if driver == "wrk":
            cmd = ["wrk", "-t1", f"-c{c}", f"-d{duration}s", "--timeout", "30s", "-s", self.wrk_script,
                   self.url + f"/v2/models/{MODEL}/infer"]
        elif driver in ("uring", "epoll", "uring-full"):
            export = os.path.join(self.tmp, "summary.json")
            cmd = [self.inferload, "run", "--workers", "1", "--io", driver.split("-")[0], "-u", c, "-q",
                   "--summary-export", export, "--no-color", *self.tls_flags(driver)]
            cmd += ["-i", str(requests)] if requests else ["-d", f"{duration}s"]
        else:
            cmd = [self.raw, "--port", str(self.url.rsplit(":", 1)[1]), "--request-file", self.request_file,
                   "-c", c] + (["--requests", str(requests)] if requests else ["--duration", str(duration)])
        return cmd

    def completed(self, driver, stdout):
        if driver == "wrk":
            m = re.search(r"(\d+) requests in", stdout)
            if not m:
                raise RuntimeError("cannot read wrk's request count:\n" + stdout)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
            return int(m.group(1)) - (int(errors.group(1)) if errors else 0)
        if driver in ("uring", "epoll", "uring-full"):
            with open(os.path.join(self.tmp, "summary.json")) as f:
                return json.load(f)["inferload"]["requests"]["ok"]
        m = re.search(r"completed (\d+)", stdout)
        if not m:
            raise RuntimeError("cannot read the raw client's request count:\n" + stdout)
        return int(m.group(1))

    def run(self, driver, cmd, wrapper=()):
        """Runs one driver to completion; returns (its stdout, stderr, CPU seconds, wall seconds)."""
        env = self.inferload_env(self.url) if driver in ("uring", "epoll", "uring-full") else None
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = os.times().elapsed
        out = subprocess.run(self.pinned([*wrapper, *cmd]), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wall = os.times().elapsed - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} ... exited {out.returncode}: {out.stderr.strip()[-800:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return out.stdout, out.stderr, cpu, wall

    def throughput(self, driver, connections):
        stdout, _, cpu, wall = self.run(driver, self.command(driver, connections, duration=self.args.duration))
        return self.completed(driver, stdout), cpu, wall

    # ---- callgrind: user-space instructions per request
    def callgrind_once(self, driver, connections, duration=None, requests=None):
        out_file = os.path.join(self.tmp, "callgrind.out")
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]
        stdout, _, _, _ = self.run(driver, self.command(driver, connections, duration, requests), wrapper)
        done = self.completed(driver, stdout)
        with open(out_file) as f:
            m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
        os.unlink(out_file)
        if not m:
            raise RuntimeError("no instruction total in the callgrind output")
        return done, int(m.group(1))

    def instructions_per_request(self, driver, connections):
        n1, n2 = self.args.callgrind_requests
        if driver == "wrk":
            # A short calibration run gives wrk's rate under callgrind; two durations are then
            # chosen to land near N1 and N2 requests.
            done, _ = self.callgrind_once(driver, connections, duration=2)
            rate = max(done / 2, 1)
            d1 = max(1, round(n1 / rate))
            d2 = max(d1 + 1, round(n2 / rate))
            (r1, i1), (r2, i2) = (self.callgrind_once(driver, connections, duration=d) for d in (d1, d2))
        else:
            (r1, i1), (r2, i2) = (self.callgrind_once(driver, connections, requests=n) for n in (n1, n2))
        return (i2 - i1) / (r2 - r1), (r1, r2)

    # ---- perf: system calls per request
    def syscalls_once(self, driver, connections, duration):
        wrapper = ["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--"]
        stdout, stderr, _, _ = self.run(driver, self.command(driver, connections, duration=duration), wrapper)
        m = re.search(r"^(\d+),[^,]*,raw_syscalls:sys_enter", stderr, re.M)
        if not m:
            raise RuntimeError("perf printed no syscall count:\n" + stderr[-500:])
        return self.completed(driver, stdout), int(m.group(1))

    def syscalls_per_request(self, driver, connections):
        d = self.args.syscall_duration
        (r1, s1), (r2, s2) = (self.syscalls_once(driver, connections, x) for x in (d, 2 * d))
        return (s2 - s1) / (r2 - r1)


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--connections", type=int_list, default=[1, 8, 64, 512, 4000],
                   help="comma list of connection counts (default 1,8,64,512,4000)")
    p.add_argument("--duration", type=int, default=5, help="seconds per throughput run (default 5)")
    p.add_argument("--runs", type=int, default=3, help="throughput runs per cell; the table shows medians")
    p.add_argument("--drivers", default="wrk,uring,epoll,raw", help="comma list of wrk, uring, epoll, raw")
    p.add_argument("--no-callgrind", dest="callgrind", action="store_false", help="skip the instr/req column")
    p.add_argument("--callgrind-connections", type=int_list, default=[64])
    p.add_argument("--callgrind-requests", type=int_list, default=[20000, 40000], help="N1,N2")
    p.add_argument("--no-syscalls", dest="syscalls", action="store_false", help="skip the syscalls/req column")
    p.add_argument("--syscall-duration", type=int, default=2, help="D: the runs last D and 2D seconds")
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--driver-cpu", type=int, default=0)
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--https", action="store_true", help="over TLS 1.3, kept-alive connections")
    tls.add_argument("--handshakes", action="store_true",
                     help="over TLS 1.3, a new connection (and handshake) per request")
    args = p.parse_args()
    if args.handshakes and "--drivers" not in sys.argv:
        args.drivers = "wrk,uring,uring-full"
    drivers = [d for d in args.drivers.split(",") if d]
    if (args.https or args.handshakes) and "raw" in drivers:
        sys.exit("the raw client speaks no TLS: leave it out of --drivers with --https or --handshakes")
    if "uring-full" in drivers and not (args.https or args.handshakes):
        sys.exit("uring-full (no TLS resumption) needs --https or --handshakes")
    args.pki = None
    if args.https or args.handshakes:
        from tls_pki import Pki
        args.pki = Pki()
    for d in drivers:
        if d not in DRIVERS:
            sys.exit(f"unknown driver {d!r}: choose among {', '.join(DRIVERS)}")
    if len(args.callgrind_requests) != 2 or args.callgrind_requests[0] >= args.callgrind_requests[1]:
        sys.exit("--callgrind-requests takes N1,N2 with N1 < N2")
    if (args.callgrind or args.syscalls) and not set(args.callgrind_connections) <= set(args.connections):
        sys.exit("--callgrind-connections must be among --connections")
    needs = [inferload_path(args)] + ([raw_path(args)] if "raw" in drivers else [])
    for path in needs:
        if not os.path.exists(path):
            sys.exit(f"{path} not found: build first (make build)")
    tools = (["wrk"] if "wrk" in drivers else []) + (["valgrind"] if args.callgrind else []) + \
        (["perf"] if args.syscalls else [])
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: run tools/install-deps.sh, or leave out what needs it")
    # Every connection is a descriptor in the driver and another in nginx.
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if 2 * max(args.connections) + 64 > soft:
        sys.exit(f"{max(args.connections)} connections need more than the open-file limit {soft}")

    tmp = tempfile.mkdtemp(prefix="inferload-bench-")
    bench = Bench(args, tmp)
    try:
        request = bench.capture_request()
        cells = {}  # (connections, driver) -> dict of lists / figures
        # nginx starts closing idle keep-alive connections once fewer than 1/16 of its connections
        # are free, and the previous driver's connections may not all be closed yet: twice the
        # connections keeps both away.
        tls = {"tls_cert": args.pki.server_cert, "tls_key": args.pki.server_key, "tls_protocols": "TLSv1.3"} \
            if args.pki else {}
        with Nginx(count=False, keepalive_requests=1 if args.handshakes else 100000000, cpu=args.server_cpu,
                   worker_connections=max(4096, 2 * max(args.connections) + 64), **tls) as nginx:
            bench.url = nginx.url
            for c in args.connections:
                for r in range(args.runs):
                    for d in drivers:
                        done, cpu, wall = bench.throughput(d, c)
                        cells.setdefault((c, d), {"runs": []})["runs"].append((done, cpu, wall))
                        print(f"c={c:<5d} run {r + 1}/{args.runs} {DRIVERS[d]:20s} {done:9d} requests "
                              f"{done / wall:9.0f} req/s {cpu:6.2f} CPU-s {done / cpu:9.0f} req/CPU-s",
                              flush=True)
            if args.syscalls:
                for c in args.callgrind_connections:
                    for d in drivers:
                        cells.setdefault((c, d), {"runs": []})["syscalls"] = bench.syscalls_per_request(d, c)
                        print(f"c={c:<5d} {DRIVERS[d]:20s} {cells[(c, d)]['syscalls']:.3f} syscalls/req",
                              flush=True)
            if args.callgrind:
                for c in args.callgrind_connections:
                    for d in drivers:
                        ir, counts = bench.instructions_per_request(d, c)
                        cells.setdefault((c, d), {"runs": []})["ir"] = ir
                        print(f"c={c:<5d} {DRIVERS[d]:20s} {ir:.0f} instr/req (between {counts[0]} and {counts[1]} "
                              "requests)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    mode = " over TLS 1.3, kept-alive connections" if args.https else \
        " over TLS 1.3, one request (and one handshake) per connection" if args.handshakes else ""
    print(f"\nnginx on CPU {args.server_cpu}, driver on CPU {args.driver_cpu} (one thread){mode}, {args.runs} x "
          f"{args.duration} s per cell, medians; request {len(request)} bytes, kernel {os.uname().release}")
    print("CPU: driver CPU-seconds per wall second; spread: (max - min) / median of req/CPU-s over the runs; "
          "vs wrk: req/CPU-s over wrk's")
    if args.callgrind:
        n1, n2 = args.callgrind_requests
        print(f"instr/req: callgrind, user space, marginal between ~{n1} and ~{n2} requests")
    if args.syscalls:
        print(f"syscalls/req: perf raw_syscalls:sys_enter, marginal between {args.syscall_duration} s and "
              f"{2 * args.syscall_duration} s runs")
    header = f"{'conns':>6s}  {'driver':20s} {'req/s':>9s} {'CPU':>6s} {'req/CPU-s':>10s} {'spread':>7s} {'vs wrk':>7s}"
    header += f" {'instr/req':>10s}" if args.callgrind else ""
    header += f" {'syscalls/req':>13s}" if args.syscalls else ""
    print(header)
    for c in args.connections:
        per_cpu = {}
        for d in drivers:
            runs = cells[(c, d)]["runs"]
            per_cpu[d] = statistics.median(done / cpu for done, cpu, _ in runs)
        for d in drivers:
            cell = cells[(c, d)]
            runs = cell["runs"]
            rate = statistics.median(done / wall for done, _, wall in runs)
            load = statistics.median(cpu / wall for _, cpu, wall in runs)
            ratio = f"{per_cpu[d] / per_cpu['wrk']:7.2f}" if "wrk" in per_cpu else f"{'-':>7s}"
            values = [done / cpu for done, cpu, _ in runs]
            spread = (max(values) - min(values)) / per_cpu[d]
            line = (f"{c:6d}  {DRIVERS[d]:20s} {rate:9.0f} {load * 100:5.0f}% {per_cpu[d]:10.0f} {spread * 100:6.0f}%"
                    f" {ratio}")
            if args.callgrind:
                line += f" {cell['ir']:10.0f}" if "ir" in cell else f" {'':10s}"
            if args.syscalls:
                line += f" {cell['syscalls']:13.3f}" if "syscalls" in cell else f" {'':13s}"
            print(line)


if __name__ == "__main__":
    main()
