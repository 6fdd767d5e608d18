#!/usr/bin/env python3
"""Contract test of the TLS peers that inferload's TLS tests run against, with clients that are
not inferload: scv2-sim's gRPC listener over TLS (--grpc-tls-cert, --grpc-tls-key,
--grpc-tls-client-ca) driven by grpc_probe (grpc++), and nginx as tests/integration/peers.py
configures it (https, session resumption, client certificates, a grpc_pass front), driven by
Python's ssl module and grpc_probe. Certificates come from tls_pki (the openssl command).

Environment: SCV2_SIM and GRPC_PROBE (binaries).
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from peers import Nginx  # noqa: E402
from sim_contract_test import GRPC_LINE, HAVE_PROBE, PROBE, SELDON, SIM, Sim  # noqa: E402
from tls_pki import OPENSSL, Pki  # noqa: E402

HAVE_NGINX = bool(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"))
PKI = None


def setUpModule():
    global PKI
    if OPENSSL:
        PKI = Pki()


def tearDownModule():
    if PKI:
        PKI.remove()


def probe(target, calls, *args):
    """grpc_probe's counts by status name, and its stderr (the first failure's message)."""
    p = subprocess.run([PROBE, "--target", target, "--calls", str(calls), *SELDON, *args],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"grpc_probe exited {p.returncode}: {p.stderr}"
    return {name: int(n) for name, n in (line.split() for line in p.stdout.splitlines())}, p.stderr


def trusting(ca):
    return ("--tls-ca", ca)


def tls_sim(*extra):
    return Sim("--grpc-port", "0", "--grpc-tls-cert", PKI.server_cert, "--grpc-tls-key", PKI.server_key, *extra)


@unittest.skipUnless(HAVE_PROBE, "SCV2_SIM and GRPC_PROBE must name the binaries")
@unittest.skipUnless(OPENSSL, "the openssl command is needed to make certificates")
class SimGrpcTlsTest(unittest.TestCase):
    def run_sim(self, *extra):
        sim = tls_sim(*extra)
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        return sim

    def test_calls_over_tls_are_served_and_counted(self):
        sim = self.run_sim()
        self.assertRegex(sim.grpc_line, GRPC_LINE)
        counts, _ = probe(sim.grpc_target, 5, *trusting(PKI.ca))
        self.assertEqual(counts, {"OK": 5})
        # The certificate's other name: the target's host is what grpc verifies.
        port = sim.grpc_target.rsplit(":", 1)[1]
        counts, _ = probe(f"localhost:{port}", 3, *trusting(PKI.ca))
        self.assertEqual(counts, {"OK": 3})
        stats = sim.stats()
        self.assertEqual((stats["grpc_infer"], stats["grpc_infer_ok"]), (8, 8))

    def test_clients_that_cannot_trust_it_or_speak_clear_are_refused(self):
        sim = self.run_sim()
        for args, why in [(trusting(PKI.other_ca), "certificate verify failed"),
                          (("--tls",), "certificate verify failed"),  # grpc's default roots
                          (("--tls-ca", PKI.ca, "--tls-server-name", "wrong.example"), "wrong.example"),
                          ((), "")]:  # h2c to a TLS port
            with self.subTest(args=args):
                counts, err = probe(sim.grpc_target, 2, *args)
                self.assertEqual(counts, {"UNAVAILABLE": 2})
                self.assertIn(why, err)
        self.assertEqual(sim.stats()["grpc_infer"], 0)

    def test_a_client_ca_requires_a_client_certificate(self):
        sim = self.run_sim("--grpc-tls-client-ca", PKI.ca)
        counts, _ = probe(sim.grpc_target, 2, *trusting(PKI.ca))
        self.assertEqual(counts, {"UNAVAILABLE": 2})
        counts, _ = probe(sim.grpc_target, 3, *trusting(PKI.ca), "--tls-cert", PKI.client_cert,
                          "--tls-key", PKI.client_key)
        self.assertEqual(counts, {"OK": 3})
        self.assertEqual(sim.stats()["grpc_infer"], 3)

    def test_a_client_ca_that_did_not_sign_the_client_refuses_it(self):
        sim = self.run_sim("--grpc-tls-client-ca", PKI.other_ca)
        counts, _ = probe(sim.grpc_target, 2, *trusting(PKI.ca), "--tls-cert", PKI.client_cert,
                          "--tls-key", PKI.client_key)
        self.assertEqual(counts, {"UNAVAILABLE": 2})
        self.assertEqual(sim.stats()["grpc_infer"], 0)


@unittest.skipUnless(SIM and os.access(SIM, os.X_OK), "SCV2_SIM must name the scv2-sim binary")
@unittest.skipUnless(OPENSSL, "the openssl command is needed to make certificates")
class SimTlsFilesTest(unittest.TestCase):
    def test_bad_files_exit_2_with_one_line_naming_the_flag_and_the_file(self):
        missing = os.path.join(PKI.dir, "missing.pem")
        cert, key = PKI.server_cert, PKI.server_key
        cases = [
            ([missing, key], "--grpc-tls-cert", missing, "No such file or directory"),
            ([PKI.dir, key], "--grpc-tls-cert", PKI.dir, "Is a directory"),
            ([cert, missing], "--grpc-tls-key", missing, "No such file or directory"),
            ([key, key], "--grpc-tls-cert", key, "holds no PEM certificate"),
            ([cert, cert], "--grpc-tls-key", cert, "holds no PEM private key"),
            ([cert, PKI.client_key], "--grpc-tls-key", PKI.client_key, "is not the key of the certificate"),
            ([cert, key, missing], "--grpc-tls-client-ca", missing, "No such file or directory"),
            ([cert, key, key], "--grpc-tls-client-ca", key, "holds no PEM certificate"),
        ]
        for files, flag, path, why in cases:
            with self.subTest(files=files):
                args = ["--grpc-tls-cert", files[0], "--grpc-tls-key", files[1]]
                if len(files) == 3:
                    args += ["--grpc-tls-client-ca", files[2]]
                p = subprocess.run([SIM, "--http-port", "0", "--grpc-port", "0", *args],
                                   capture_output=True, text=True, timeout=10)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")
                lines = p.stderr.splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertIn(flag, lines[0])
                self.assertIn(f"'{path}'", lines[0])
                self.assertIn(why, lines[0])


def https_post(port, context, session=None, server_hostname="localhost"):
    """One request on a connection of its own; returns (status line, session, resumed?, version)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=server_hostname, session=session) as s:
        s.sendall(b"POST /v2/models/m/infer HTTP/1.1\r\nHost: m\r\nContent-Length: 2\r\n"
                  b"Connection: close\r\n\r\n{}")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        # TLS 1.3's ticket comes after the handshake: s.session is only complete once read.
        return data.split(b"\r\n", 1)[0].decode(), s.session, s.session_reused, s.version()


@unittest.skipUnless(HAVE_NGINX, "nginx is not installed")
@unittest.skipUnless(OPENSSL, "the openssl command is needed to make certificates")
class NginxTlsPeerTest(unittest.TestCase):
    """What the TLS tests read from nginx (its log of connections, resumptions and protocols) is
    what a client that is not inferload saw."""

    def tls_nginx(self, **kwargs):
        nginx = Nginx(tls_cert=PKI.server_cert, tls_key=PKI.server_key, **kwargs)
        self.addCleanup(nginx.__exit__)
        return nginx

    def test_resumed_and_full_handshakes_are_logged_per_connection(self):
        for protocols, version in [("TLSv1.2 TLSv1.3", "TLSv1.3"), ("TLSv1.2", "TLSv1.2")]:
            with self.subTest(protocols=protocols):
                nginx = self.tls_nginx(tls_protocols=protocols)
                self.assertTrue(nginx.url.startswith("https://127.0.0.1:"), nginx.url)
                context = ssl.create_default_context(cafile=PKI.ca)
                session, seen = None, []
                for _ in range(4):
                    status, session, resumed, v = https_post(nginx.port, context, session)
                    self.assertEqual((status, v), ("HTTP/1.1 200 OK", version))
                    seen.append(resumed)
                # A fresh session for a connection that offers none.
                https_post(nginx.port, context)
                nginx.stop()
                self.assertEqual(seen, [False, True, True, True])
                self.assertEqual(nginx.served(), 5)
                self.assertEqual(nginx.handshakes(), (5, 2, 3))
                self.assertEqual({r.protocol for r in nginx.requests()}, {version})

    def test_the_cipher_a_tls_1_2_client_chose_is_logged(self):
        nginx = self.tls_nginx(tls_protocols="TLSv1.2")
        for cipher in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"):
            context = ssl.create_default_context(cafile=PKI.ca)
            context.set_ciphers(cipher)
            self.assertEqual(https_post(nginx.port, context)[0], "HTTP/1.1 200 OK")
        nginx.stop()
        self.assertEqual([r.cipher for r in nginx.requests()],
                         ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"])

    def test_a_tls_1_2_server_refuses_a_tls_1_3_client(self):
        nginx = self.tls_nginx(tls_protocols="TLSv1.2")
        context = ssl.create_default_context(cafile=PKI.ca)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        with self.assertRaises(ssl.SSLError):
            https_post(nginx.port, context)
        nginx.stop()
        self.assertEqual(nginx.served(), 0)

    def test_an_untrusted_or_misnamed_server_is_refused_by_the_client(self):
        nginx = self.tls_nginx()
        with self.assertRaisesRegex(ssl.SSLCertVerificationError, "unable to get local issuer"):
            https_post(nginx.port, ssl.create_default_context(cafile=PKI.other_ca))
        with self.assertRaisesRegex(ssl.SSLCertVerificationError, "Hostname mismatch"):
            https_post(nginx.port, ssl.create_default_context(cafile=PKI.ca), server_hostname="wrong.example")

    def test_client_certificates_are_required_with_a_client_ca(self):
        nginx = self.tls_nginx(client_ca=PKI.ca)
        context = ssl.create_default_context(cafile=PKI.ca)
        self.assertEqual(https_post(nginx.port, context)[0], "HTTP/1.1 400 Bad Request")
        context.load_cert_chain(PKI.client_cert, PKI.client_key)
        self.assertEqual(https_post(nginx.port, context)[0], "HTTP/1.1 200 OK")
        nginx.stop()
        self.assertEqual([r.status for r in nginx.requests() if r.is_infer()], [400, 200])

    @unittest.skipUnless(HAVE_PROBE, "SCV2_SIM and GRPC_PROBE must name the binaries")
    def test_grpc_front_over_tls_passes_calls_to_a_clear_sim(self):
        sim = Sim("--grpc-port", "0")
        self.addCleanup(lambda: self.assertEqual(sim.stop(), 0))
        nginx = self.tls_nginx(grpc_backend=sim.grpc_target)
        self.assertRegex(nginx.grpc_endpoint, r"^127\.0\.0\.1:\d+$")
        counts, _ = probe(nginx.grpc_endpoint, 6, *trusting(PKI.ca))
        self.assertEqual(counts, {"OK": 6})
        counts, err = probe(nginx.grpc_endpoint, 2, *trusting(PKI.other_ca))
        self.assertEqual(counts, {"UNAVAILABLE": 2})
        self.assertIn("certificate verify failed", err)
        nginx.stop()
        self.assertEqual(sim.stats()["grpc_infer_ok"], 6)
        self.assertEqual(nginx.grpc_served(), 6)
        self.assertEqual({r.protocol for r in nginx.requests()}, {"TLSv1.3"})
        self.assertEqual(nginx.served(), 0)

    @unittest.skipUnless(shutil.which("curl"), "curl is not installed")
    def test_curl_reaches_the_https_front(self):
        nginx = self.tls_nginx()
        p = subprocess.run(["curl", "-sS", "--cacert", PKI.ca, "-X", "POST", "-d", "{}", "-o", "/dev/null",
                            "-w", "%{http_code}", nginx.url + "/v2/models/m/infer"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (0, "200"), p.stderr)
        p = subprocess.run(["curl", "-sS", "--cacert", PKI.other_ca, nginx.url + "/v2/models/m/infer"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 60, p.stderr)  # curl's "peer certificate cannot be authenticated"
        self.assertTrue(re.search(r"certificate", p.stderr), p.stderr)


if __name__ == "__main__":
    if not SIM:
        raise SystemExit("set SCV2_SIM to the path of the scv2-sim binary")
    unittest.main(verbosity=2)
