"""Real peers for inferload's integration tests and benchmarks, each on 127.0.0.1 with an
ephemeral port: the built-in scv2-sim, and nginx started with a config of our own."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import ssl
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Asks a child to stop with `sig`, and kills it if it has not after `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(what, check, timeout=10.0):
    """Polls check() every 50 ms until it returns something true, which it returns."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout} s")
        time.sleep(0.05)


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Sim:
    """scv2-sim in a child process; `url` is its INFER_HTTP_ENDPOINT."""

    def __init__(self, binary, *args, cpu=None):
        cmd = [binary, "--http-port", "0", *args]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http "):
            self.stop()
            raise RuntimeError(f"scv2-sim printed {line!r} instead of its listener")
        self.address = line.split()[1]
        self.port = int(self.address.rsplit(":", 1)[1])
        self.url = f"http://{self.address}"
        # Each further line follows in this order: gRPC's host:port is INFER_GRPC_ENDPOINT, the
        # scheduler's SCHEDULER_ENDPOINT, and the mock Kafka cluster's KAFKA_BOOTSTRAP_SERVERS.
        self.grpc = self._line("grpc", "--grpc-port", args)
        self.scheduler = self._line("scheduler", "--scheduler-port", args)
        self.kafka = self._line("kafka", "--kafka", args)

    def _line(self, kind, flag, args):
        """The address on the line `kind HOST:PORT` that `flag` makes the simulator print."""
        if flag not in args:
            return None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(kind + " "):
            self.stop()
            raise RuntimeError(f"scv2-sim printed {line!r} instead of its {kind} line")
        return line.split()[1]

    def stats(self):
        with urllib.request.urlopen(self.url + "/sim/stats", timeout=5) as r:
            return json.loads(r.read())

    def reset(self):
        """Zeroes the counters that stats() reads."""
        with urllib.request.urlopen(urllib.request.Request(self.url + "/sim/reset", method="POST"), timeout=5) as r:
            r.read()

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests {keepalive_requests};
    # A connection nginx closes with lingering (after a discarded body, or when more bytes wait)
    # logs its request only once the client has closed too: stop() may come first.
    lingering_close off;
    log_format counted '$request_method $uri $status $connection $ssl_session_reused $ssl_protocol $ssl_cipher';
    access_log {access_log};
{tls}    server {{
        listen 127.0.0.1:{port}{ssl} default_server;
        location /v2/ {{
            default_type application/json;
            return 200 '{{"model_name":"m","model_version":"1","outputs":[{{"name":"OUTPUT0","shape":[1],"datatype":"INT32","data":[1]}}]}}';
        }}
    }}
{grpc}}}
"""

# For both servers: both protocols' sessions can be resumed, TLS 1.2's by session id from the
# cache and TLS 1.3's by ticket.
NGINX_TLS = """    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols {protocols};
    ssl_session_cache shared:TLS:1m;
    ssl_session_tickets on;
    ssl_session_timeout 10m;
"""

NGINX_CLIENT_CA = """    ssl_verify_client on;
    ssl_client_certificate {client_ca};
"""

# gRPC is HTTP/2; a V2 tensor may be larger than the 1 MB body nginx allows by default.
NGINX_GRPC = """    server {{
        listen 127.0.0.1:{grpc_port}{ssl} http2;
        client_max_body_size 0;
        location / {{
            grpc_pass grpc://{grpc_backend};
        }}
    }}
"""

GRPC_INFER_PATH = "/inference.GRPCInferenceService/ModelInfer"


class LoggedRequest:
    """One line of Nginx's access log: the request, the connection it came on (nginx's serial
    number), whether that connection's TLS session was resumed, its TLS protocol ("TLSv1.3") and
    cipher (OpenSSL's name, "ECDHE-ECDSA-AES128-GCM-SHA256"); both empty over plain TCP."""

    def __init__(self, line):
        method, uri, status, connection, reused, protocol, cipher = line.split()
        self.method, self.uri, self.status, self.connection = method, uri, int(status), int(connection)
        self.reused = reused == "r"
        self.protocol = "" if protocol == "-" else protocol
        self.cipher = "" if cipher == "-" else cipher

    def is_infer(self):
        return self.method == "POST" and self.uri.startswith("/v2/models/") and self.uri.endswith("/infer")

    def is_grpc_infer(self):
        return self.method == "POST" and self.uri == GRPC_INFER_PATH


class Nginx:
    """nginx (one process) answering every /v2/ request with a fixed V2 response. With
    count=True every request is logged, and served() counts the infer requests it answered.
    worker_connections bounds the connections it holds at once, the listener included.

    With tls_cert and tls_key (PEM files) it serves https instead (`url` says which), allowing
    tls_protocols and able to resume sessions; with client_ca too, a request without a client
    certificate that CA signed is answered 400 (nginx's way: the handshake itself succeeds). With
    grpc_backend ("HOST:PORT" of a gRPC server in clear) it also serves gRPC on a port of its own,
    `grpc_endpoint`, over TLS when tls_cert is given and h2c otherwise, passing every call on."""

    def __init__(self, count=True, keepalive_requests=1000, cpu=None, worker_connections=4096, tls_cert=None,
                 tls_key=None, tls_protocols="TLSv1.2 TLSv1.3", client_ca=None, grpc_backend=None):
        if bool(tls_cert) != bool(tls_key) or (client_ca and not tls_cert):
            raise ValueError("Nginx: tls_cert and tls_key go together, and client_ca needs them")
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.dir = tempfile.mkdtemp(prefix="inferload-nginx-")
        self.port = free_port()
        self.access_log = os.path.join(self.dir, "access.log") if count else None
        ssl = " ssl" if tls_cert else ""
        tls = ""
        if tls_cert:
            tls = NGINX_TLS.format(cert=tls_cert, key=tls_key, protocols=tls_protocols)
            if client_ca:
                tls += NGINX_CLIENT_CA.format(client_ca=client_ca)
        self.grpc_port = free_port() if grpc_backend else None
        self.grpc_endpoint = f"127.0.0.1:{self.grpc_port}" if grpc_backend else None
        grpc = NGINX_GRPC.format(grpc_port=self.grpc_port, ssl=ssl, grpc_backend=grpc_backend) if grpc_backend else ""
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, port=self.port, keepalive_requests=keepalive_requests,
                                      worker_connections=worker_connections,
                                      access_log=(self.access_log + " counted") if count else "off",
                                      ssl=ssl, tls=tls, grpc=grpc))
        cmd = [binary, "-c", conf, "-p", self.dir, "-e", os.path.join(self.dir, "error.log")]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(self.port)
            if self.grpc_port:
                wait_port(self.grpc_port)
        except RuntimeError:
            self.stop()
            raise
        self.url = f"{'https' if tls_cert else 'http'}://127.0.0.1:{self.port}"

    def requests(self):
        """Every request nginx has logged (it logs a request once its response is written)."""
        if not self.access_log or not os.path.exists(self.access_log):
            return []
        with open(self.access_log) as f:
            return [LoggedRequest(line) for line in f if line.strip()]

    def served(self):
        """Infer requests nginx has logged."""
        return sum(1 for r in self.requests() if r.is_infer())

    def grpc_served(self):
        """ModelInfer calls the gRPC front has logged, whatever became of them upstream."""
        return sum(1 for r in self.requests() if r.is_grpc_infer())

    def handshakes(self):
        """Over the TLS connections that carried a logged request: (connections, full handshakes,
        resumed ones)."""
        reused = {r.connection: r.reused for r in self.requests() if r.protocol}
        resumed = sum(1 for r in reused.values() if r)
        return len(reused), len(reused) - resumed, resumed

    def error_log(self):
        with open(os.path.join(self.dir, "error.log")) as f:
            return f.read()

    def stop(self):
        stop_process(self.proc, signal.SIGQUIT)  # graceful: nginx finishes logging what it served

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


SKIPPED = 77  # ctest's SKIP_RETURN_CODE for the tests run once per backend


def run_with_export(cmd, env, timeout=120):
    """Runs an inferload command line with `--summary-export` to a fresh temporary file appended
    after its `run`; returns (exit code, stdout, stderr, export or None when none was written)."""
    fd, export = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    os.unlink(export)
    at = cmd.index("run") + 1
    full = [*cmd[:at], "--summary-export", export, *cmd[at:]]
    p = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    summary = None
    if os.path.exists(export):
        with open(export) as f:
            summary = json.load(f)
        os.unlink(export)
    return p.returncode, p.stdout, p.stderr, summary


def main_for_backend(inferload, io):
    """Runs the calling file's tests for backend `io`; exits with SKIPPED when that is io_uring and
    this machine refuses it (the file's epoll run still tests everything)."""
    import sys
    import unittest
    if io == "uring":
        probe = subprocess.run([inferload, "version"], stdout=subprocess.PIPE, text=True).stdout
        if "io: io_uring" not in probe:
            print("SKIPPED: io_uring is not available here: " + probe.strip().replace("\n", "; "))
            sys.exit(SKIPPED)
    unittest.main(module="__main__", verbosity=2)


INFLUXD = shutil.which("influxd")

# Every listener but the HTTP API is off or on a free port of 127.0.0.1, so that nothing clashes
# with another test or with what the machine runs (port 2024, 8086, 8088 may all be taken).
CONFIG = """
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{dir}/meta"
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
{tls}
[ifql]
  enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[[graphite]]
  enabled = false
[[collectd]]
  enabled = false
[[opentsdb]]
  enabled = false
[[udp]]
  enabled = false
"""


class InfluxD:
    """influxd in a child process with a config and data of its own; `url` is its HTTP API. With
    tls=True it serves https with a self-signed certificate for 127.0.0.1 (`cert` is its file)."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="inferload-influxd-")
        self.port = free_port()
        self.context = None
        tls_conf = ""
        if tls:
            self.cert = os.path.join(self.dir, "cert.pem")
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", self.cert,
                            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            tls_conf = f'  https-enabled = true\n  https-certificate = "{self.cert}"\n  https-private-key = "{key}"'
            self.context = ssl.create_default_context(cafile=self.cert)
        conf = os.path.join(self.dir, "influxdb.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(dir=self.dir, port=self.port, rpc_port=free_port(), tls=tls_conf))
        self.log_path = os.path.join(self.dir, "influxd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([INFLUXD, "-config", conf], stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        try:
            wait_for("influxd answering /ping", self._ping, timeout=30)
        except BaseException:
            self.stop()
            raise

    def _ping(self):
        if self.proc.poll() is not None:
            with open(self.log_path) as f:
                raise AssertionError("influxd exited: " + f.read()[-2000:])
        try:
            with urllib.request.urlopen(self.url + "/ping", timeout=1, context=self.context) as r:
                return r.status == 204
        except OSError:
            return False

    def query(self, db, q, epoch=None):
        params = {"db": db, "q": q}
        if epoch:
            params["epoch"] = epoch
        with urllib.request.urlopen(self.url + "/query?" + urllib.parse.urlencode(params), timeout=30,
                                    context=self.context) as r:
            result = json.loads(r.read())["results"][0]
        if "error" in result:
            raise AssertionError(f"{q}: {result['error']}")
        return result.get("series", [])

    def count(self, db, measurement):
        series = self.query(db, f'SELECT count(value) FROM "{measurement}"')
        return series[0]["values"][0][1] if series else 0

    def counts(self, db):
        """Points per measurement."""
        return {s["name"]: s["values"][0][1] for s in self.query(db, "SELECT count(value) FROM /.*/")}

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
