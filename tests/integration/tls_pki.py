"""A throwaway PKI for the TLS tests, made with the openssl command line in a temporary directory
of its own and removed when the test process exits: a CA, a server certificate it signed for
127.0.0.1 and localhost, a client certificate it signed (mutual TLS), and a second CA that signed
nothing the tests serve (an untrusted root). Keys made for one run are no one's to keep."""
import atexit
import os
import shutil
import subprocess
import tempfile

OPENSSL = shutil.which("openssl")

CA_EXTENSIONS = """basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

# Strict verifiers (Python 3.13's default context, Go) want the key identifiers and usages.
LEAF_EXTENSIONS = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


class Pki:
    """Attributes are file paths: ca, server_cert, server_key, client_cert, client_key, other_ca
    (all PEM), and dir, the directory that holds them."""

    def __init__(self):
        if not OPENSSL:
            raise RuntimeError("the openssl command is not installed")
        self.dir = tempfile.mkdtemp(prefix="inferload-pki-")
        atexit.register(self.remove)
        try:
            self.ca, ca_key = self._root("ca", "inferload test CA")
            self.other_ca, _ = self._root("other-ca", "a CA nobody here trusts")
            self.server_cert, self.server_key = self._leaf(
                "server", "localhost", self.ca, ca_key,
                "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n")
            self.client_cert, self.client_key = self._leaf(
                "client", "an inferload VU", self.ca, ca_key, "extendedKeyUsage = clientAuth\n")
        except BaseException:
            self.remove()
            raise

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, *args):
        p = subprocess.run([OPENSSL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {p.stderr.strip()}")

    def _extensions(self, name, text):
        path = self._path(name + ".ext")
        with open(path, "w") as f:
            f.write(text)
        return path

    def _key(self, name):
        key = self._path(name + ".key")
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        os.chmod(key, 0o600)
        return key

    def _root(self, name, cn):
        key, cert = self._key(name), self._path(name + ".pem")
        self._openssl("req", "-x509", "-new", "-key", key, "-out", cert, "-subj", f"/CN={cn}", "-days", "2",
                      "-sha256", "-config", self._config(name, CA_EXTENSIONS), "-extensions", "v3")
        return cert, key

    def _leaf(self, name, cn, ca, ca_key, extra):
        key, csr, cert = self._key(name), self._path(name + ".csr"), self._path(name + ".pem")
        self._openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={cn}",
                      "-config", self._config(name, ""))
        self._openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                      "-CAserial", self._path(name + ".srl"), "-out", cert, "-days", "2", "-sha256",
                      "-extfile", self._extensions(name, LEAF_EXTENSIONS + extra))
        return cert, key

    def _config(self, name, extensions):
        """A config of our own, so that the machine's openssl.cnf changes nothing."""
        path = self._path(name + ".cnf")
        with open(path, "w") as f:
            f.write("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n[v3]\n" + extensions)
        return path
