#!/usr/bin/env python3
"""inferload with many gRPC VUs (default 100,000) against scv2-sim: memory per VU and the time
until every VU has sent its first request. gRPC only (INFER_HTTP_ITERATIONS=0,
INFER_GRPC_ITERATIONS=1), closed loop (`inferload run -u VUS -d D`).

Connections: the script first reads the SETTINGS frame the simulator's grpc++ server sends and
takes its MAX_CONCURRENT_STREAMS (absent = unlimited); inferload opens at most 1024 streams per
connection (http2 Settings::max_streams), so streams per connection L = min(server's, 1024) and
each worker gets --grpc-connections ceil(VUS / L / WORKERS).

Memory: peak RSS of the inferload process (ru_maxrss of the rusage os.wait4 returns for it) of the
VUS run, minus the same of a 1-VU run (1 connection, same workers), divided by VUS. It charges the
VUs with everything that grows with them: VU coroutines, per-stream HTTP/2 state, request and
response buffers, the connections.

Time to first request of every VU: the simulator answers each call after a fixed delay
(--latency, default 10 s) and counts it (/sim/stats grpc_infer) when it answers. While the delay
is longer than the ramp, no VU can have had an answer, so none can have sent a second request,
before every VU has sent its first: the first VUS answers are the first requests, each answered
LATENCY after it arrived. The script polls /sim/stats every 20 ms from the moment it starts
inferload; when grpc_infer reaches VUS at time t_all, the last first request arrived at
t_all - LATENCY (to within the poll interval and the server's timer slack). The figure counts from
the process start: start-up, connecting and the ramp are all in it. The script checks that the
first answer came no earlier than LATENCY (no VU was answered before the ramp ended) and that
t_all - LATENCY < LATENCY; if not it says the figure is not valid and to raise --latency.

The ramp is the server's as much as the driver's: the script also prints the CPU seconds inferload
and scv2-sim used from the start until every first request had arrived (/proc/PID/stat, sampled
with grpc_infer), which shows which side the ramp waited for.

inferload sizes its HTTP/2 stream table for 128 streams and grows it only when the server
advertises SETTINGS_MAX_CONCURRENT_STREAMS; grpc++ advertises none by default, and a connection
with more than 256 streams open then never returns from inserting the 257th (the worker spins, and
answers no signal). Until that is fixed, run with --sim-max-streams 1024 (the simulator then
advertises 1024, and inferload grows the table), or with --streams-per-connection 256.

Usage: bench/e2e/grpc_scale.py [--build build] [--vus 100000] [--workers 1] [--duration 20]
       [--latency 10] [--sim-max-streams 0] [--streams-per-connection 0] [--server-cpu 1]
       [--driver-cpu 0] [--no-pin]
"""
import argparse
import json
import math
import os
import resource
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grpc_vs_h2load import GrpcSim, inferload_env, run_measured  # noqa: E402

INFERLOAD_STREAM_CAP = 1024  # include/inferload/http2/connection.hpp: Settings::max_streams


def server_max_streams(host, port):
    """The SETTINGS_MAX_CONCURRENT_STREAMS the server advertises in its first SETTINGS frame, or
    None when it sends none (unlimited)."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + struct.pack(">I", 0)[1:] + b"\x04\x00" + b"\x00\x00\x00\x00")
        buf = b""
        while True:
            while len(buf) < 9:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("the server closed before its SETTINGS")
                buf += chunk
            length = int.from_bytes(buf[:3], "big")
            ftype, flags = buf[3], buf[4]
            while len(buf) < 9 + length:
                buf += s.recv(65536)
            payload, buf = buf[9:9 + length], buf[9 + length:]
            if ftype == 4 and not flags & 1:
                for i in range(0, len(payload), 6):
                    ident, value = struct.unpack(">HI", payload[i:i + 6])
                    if ident == 3:
                        return value
                return None


def cpu_ticks(pid):
    """utime + stime of a process so far, in seconds (/proc/PID/stat), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_inferload(args, sim, vus, connections, duration, export, poll=None):
    cmd = [os.path.join(args.build, "bin", "inferload"), "run", "--workers", str(args.workers), "-u", str(vus),
           "-d", f"{duration}s", "--grpc-connections", str(connections), "--quiet", "--no-color",
           "--summary-export", export]
    if args.pin:
        cmd = ["taskset", "-c", args.driver_cpu, *cmd]
    sim.reset()
    limit = duration + 2 * args.latency + 60
    rc, out, err, rusage, wall = run_measured(cmd, env=inferload_env(sim), timeout=limit, on_start=poll)
    if rc == -9:
        raise RuntimeError(f"inferload -u {vus} --grpc-connections {connections} did not end within {limit:g} s "
                           f"and was killed (it answers no signal: a worker thread spins)")
    if rc != 0:
        raise RuntimeError(f"inferload -u {vus} exited {rc}: {err.strip()[-1500:]}\n{out[-500:]}")
    with open(export) as f:
        info = json.load(f)["inferload"]
    return info, rusage, wall


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--vus", type=int, default=100000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--duration", type=int, default=20, help="seconds of the VUS run (default 20)")
    p.add_argument("--baseline-duration", type=int, default=5, help="seconds of the 1-VU run (default 5)")
    p.add_argument("--latency", type=float, default=10.0, help="the simulator's delay per call, seconds")
    p.add_argument("--sim-max-streams", type=int, default=0,
                   help="scv2-sim --grpc-max-streams N: the server advertises N (default: grpc's own, none sent)")
    p.add_argument("--streams-per-connection", type=int, default=0,
                   help="override L, the streams per connection the connection count is chosen for")
    p.add_argument("--server-cpu", default="1")
    p.add_argument("--driver-cpu", default="0", help="taskset CPU list for inferload (default 0)")
    p.add_argument("--no-pin", dest="pin", action="store_false", help="pin neither process")
    args = p.parse_args()
    for path in ("bin/inferload", "bin/scv2-sim"):
        if not os.path.exists(os.path.join(args.build, path)):
            sys.exit(f"{os.path.join(args.build, path)} not found: build first")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

    tmp = tempfile.mkdtemp(prefix="inferload-grpc-scale-")
    export = os.path.join(tmp, "summary.json")
    try:
        # The 1-VU run has a simulator of its own, without the delay: a call of it still held by a
        # delaying simulator would be answered, and counted, during the VUS run.
        with GrpcSim(os.path.join(args.build, "bin", "scv2-sim"), cpu=args.server_cpu if args.pin else None) as sim:
            base_info, base_ru, _ = run_inferload(args, sim, 1, 1, args.baseline_duration, export)
        base_rss = base_ru.ru_maxrss  # KiB
        print(f"1 VU: peak RSS {base_rss} KiB, {base_info['requests']['ok']} ok", flush=True)

        sim_args = ["--latency", f"{args.latency}s"]
        if args.sim_max_streams:
            sim_args += ["--grpc-max-streams", str(args.sim_max_streams)]
        with GrpcSim(os.path.join(args.build, "bin", "scv2-sim"), *sim_args,
                     cpu=args.server_cpu if args.pin else None) as sim:
            host, port = sim.grpc.rsplit(":", 1)
            advertised = server_max_streams(host, int(port))
            per_conn = min(advertised or INFERLOAD_STREAM_CAP, INFERLOAD_STREAM_CAP)
            if args.streams_per_connection:
                per_conn = args.streams_per_connection
            conns = math.ceil(args.vus / per_conn / args.workers)
            print(f"server MAX_CONCURRENT_STREAMS: {advertised if advertised is not None else 'not sent (unlimited)'}; "
                  f"streams per connection <= {per_conn}; --grpc-connections {conns} per worker x {args.workers} "
                  f"worker(s); open-file limit {soft}/{hard}", flush=True)


            samples = []  # (seconds since start, grpc_infer, inferload CPU-s, sim CPU-s)
            stop = threading.Event()

            def poll(proc, t0):
                def loop():
                    while not stop.is_set():
                        try:
                            n = sim.stats().get("grpc_infer", 0)
                        except OSError:
                            n = None
                        if n is not None:
                            samples.append((os.times().elapsed - t0, n, cpu_ticks(proc.pid), cpu_ticks(sim.proc.pid)))
                        stop.wait(0.02)
                threading.Thread(target=loop, daemon=True).start()

            try:
                info, ru, wall = run_inferload(args, sim, args.vus, conns, args.duration, export, poll=poll)
            finally:
                stop.set()
            stats = sim.stats()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rss = ru.ru_maxrss
    per_vu = (rss - base_rss) * 1024 / args.vus
    first = next((x[0] for x in samples if x[1] >= 1), None)
    at_all = next((x for x in samples if x[1] >= args.vus), None)
    t_all = at_all[0] if at_all else None
    rq = info["requests"]
    print(f"\n{args.vus} VUs, gRPC only, {args.workers} worker(s) x {conns} connection(s), -d {args.duration}s, "
          f"sim latency {args.latency:g} s, {'pinned: sim CPU ' + args.server_cpu + ', inferload CPU ' + args.driver_cpu if args.pin else 'not pinned'}")
    print(f"{'peak RSS (VUS run)':34s} {rss / 1024:10.1f} MiB")
    print(f"{'peak RSS (1-VU run)':34s} {base_rss / 1024:10.1f} MiB")
    print(f"{'RSS per VU':34s} {per_vu:10.0f} B   ({per_vu / 1024:.2f} KiB; goal <= 2 KiB)")
    print(f"{'requests issued / ok':34s} {rq.get('issued')} / {rq.get('ok')}   (sim answered {stats.get('grpc_infer')}, "
          f"ok {stats.get('grpc_infer_ok')})")
    print(f"{'driver CPU (rusage)':34s} {ru.ru_utime + ru.ru_stime:10.2f} s over {wall:.1f} s wall; "
          f"export driver_cpu_seconds {info.get('driver_cpu_seconds')}")
    if first is not None:
        print(f"{'first answer seen':34s} {first:10.2f} s after start")
    if t_all is None:
        print(f"grpc_infer never reached {args.vus} (max {max((x[1] for x in samples), default=0)}): "
              "not every VU got its first request answered within the run")
        return 1
    ramp = t_all - args.latency
    valid = first is not None and first >= args.latency * 0.95 and ramp < args.latency
    print(f"{'grpc_infer reached VUS':34s} {t_all:10.2f} s after start")
    print(f"{'every VU sent its first request':34s} {ramp:10.2f} s after start (= t_all - latency)"
          + ("" if valid else "   NOT VALID: the ramp is not shorter than --latency; raise it"))
    s0 = samples[0]
    at_ramp = next((x for x in samples if x[0] >= ramp), None)
    if at_ramp and None not in (at_ramp[2], at_ramp[3], s0[2], s0[3]):
        span = at_ramp[0] - s0[0]
        print(f"{'CPU-s during the ramp':34s} inferload {at_ramp[2] - s0[2]:.2f}, scv2-sim {at_ramp[3] - s0[3]:.2f} "
              f"over {span:.2f} s wall (which side the ramp waits for)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
