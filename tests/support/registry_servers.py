"""Loopback servers for the registry tests and bench: Debian's docker-registry (distribution 2.8) as a process,
a token server (RS256 JWT with x5c), a spec-faithful referrers-API front (reverse proxy that also counts
requests), and a misbehaving registry for fault tests. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import bcrypt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
TOKEN_SERVICE = "fleetcompat-test-registry"
TOKEN_ISSUER = "fleetcompat-test-issuer"
USER, PASSWORD = "alice", "s3cret-Pa55word-xyz"  # the test registries' user
REFRESH_TOKEN = "refresh-token-for-alice-0123456789"


class RegistryProcess:
    """`docker-registry serve` on 127.0.0.1:<random port>, optional htpasswd or token auth; stop() by PID."""

    def __init__(self, workdir: Path, auth: dict | None = None, access_log: bool = False,
                 tls: tuple[Path, Path, Path] | None = None) -> None:
        """`tls`: (ca.pem, server.pem, server-key.pem) as made by `tls_material`."""
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        config = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": not access_log}},
            "storage": {"filesystem": {"rootdirectory": str(workdir / "data")}, "delete": {"enabled": True}},
            "http": {"addr": "127.0.0.1:0", "secret": "fleetcompat-tests"},
        }
        if auth:
            config["auth"] = auth
        if tls:
            config["http"]["tls"] = {"certificate": str(tls[1]), "key": str(tls[2])}
        self.scheme = "https" if tls else "http"
        self.verify = str(tls[0]) if tls else True
        (workdir / "config.yml").write_text(json.dumps(config))  # JSON is YAML
        self.log_path = workdir / "registry.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen([REGISTRY_BINARY, "serve", str(workdir / "config.yml")],
                                        stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)
        self.host = self._wait_listening()
        self.url = f"{self.scheme}://{self.host}"
        self._wait_ready()

    def _wait_listening(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"listening on (127\.0\.0\.1:\d+)", self.log_path.read_text(errors="replace"))
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.01)
        self.stop()
        raise RuntimeError("docker-registry did not report its address")

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/v2/", timeout=1, verify=self.verify).status_code in (200, 401):
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.01)
        self.stop()
        raise RuntimeError("docker-registry did not answer /v2/")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def htpasswd_auth(workdir: Path, users: dict[str, str]) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "htpasswd"
    path.write_text("".join(f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
                            for u, p in users.items()))
    return {"htpasswd": {"realm": "fleetcompat-basic", "path": str(path)}}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client gave up (timeouts are what the fault tests provoke)
        super().handle_error(request, client_address)


class _Server:
    """A ThreadingHTTPServer on a loopback address (default 127.0.0.1) in a daemon thread; HTTPS with `tls`
    (server.pem, server-key.pem as made by `tls_material`)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], address: str = "127.0.0.1",
                 tls: tuple[Path, Path] | None = None) -> None:
        assert ipaddress.ip_address(address).is_loopback, address
        self.httpd = _HTTPServer((address, 0), handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.host = f"{address}:{self.httpd.server_address[1]}"
        self.url = f"{'https' if tls else 'http'}://{self.host}"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no delayed-ACK stalls

    def log_message(self, *args) -> None:  # quiet
        pass

    @property
    def owner(self):
        return self.server.owner  # type: ignore[attr-defined]

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# -- token server ---------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer(_Server):
    """Docker token auth: GET /token (Basic or anonymous) and POST /token (refresh-token grant).

    Users get what they ask for; anonymous callers get pull on `public/*` only; refresh tokens map to users.
    Every token request is recorded in `issued`.
    """

    def __init__(self, workdir: Path, users: dict[str, str], refresh_tokens: dict[str, str] | None = None) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens or {}
        self.issued: list[tuple[str, str]] = []  # (space-separated scopes of one token request, user)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fleetcompat test token issuer")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                     .sign(self.key, hashes.SHA256()))
        workdir.mkdir(parents=True, exist_ok=True)
        self.cert_path = workdir / "token-root.pem"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        super().__init__(_TokenHandler)

    def registry_auth(self) -> dict:
        return {"token": {"realm": f"{self.url}/token", "service": TOKEN_SERVICE, "issuer": TOKEN_ISSUER,
                          "rootcertbundle": str(self.cert_path)}}

    def issue(self, subject: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if subject else [a for a in wanted if a == "pull" and name.startswith("public/")]
            if kind == "repository" and granted:
                access.append({"type": "repository", "name": name, "actions": granted})
        self.issued.append((" ".join(scopes), subject))
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT",
                  "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]}
        claims = {"iss": TOKEN_ISSUER, "sub": subject, "aud": TOKEN_SERVICE, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


class _TokenHandler(_Handler):
    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        subject = ""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if self.owner.users.get(user) != password:
                self.reply(401, b'{"details":"bad credentials"}', {"Content-Type": "application/json"})
                return
            subject = user
        self._token(subject, [s for value in query.get("scope", []) for s in value.split(" ") if s])

    def do_POST(self) -> None:
        form = parse_qs(self.body().decode())
        subject = self.owner.refresh_tokens.get((form.get("refresh_token") or [""])[0])
        if (form.get("grant_type") or [""])[0] != "refresh_token" or not subject:
            self.reply(401, b'{"details":"bad refresh token"}', {"Content-Type": "application/json"})
            return
        self._token(subject, [s for s in (form.get("scope") or [""])[0].split(" ") if s])

    def _token(self, subject: str, scopes: list[str]) -> None:
        token = self.owner.issue(subject, scopes)
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.reply(200, body, {"Content-Type": "application/json"})


# -- referrers front / counting proxy ---------------------------------------------------------------------------

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
                "proxy-authenticate", "content-length"}
_REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[a-z0-9]+:[a-f0-9]+)$")
_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
_BLOB = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[a-z0-9]+:[a-f0-9]+)$")


class RegistryFront(_Server):
    """Reverse proxy in front of a registry (the Host header is forwarded, so upload Locations stay on the front).

    `referrers=True` adds the OCI 1.1 referrers API as the distribution spec describes it: on a manifest PUT with
    `subject` it records the descriptor (artifactType from the manifest, else its config mediaType; annotations)
    and answers with `OCI-Subject`; GET /v2/<name>/referrers/<digest> serves an OCI index, filtered by
    `artifactType` (with `OCI-Filters-Applied`) unless `apply_filter` is off, paginated with `Link` when
    `page_size` is set. `referrers=False` is a plain proxy. Either way every request is counted in `counts`
    (by kind: manifests, blobs, referrers, uploads, tags, other) and `log`, its Authorization header (or None)
    in `authorizations`; `fail_next` makes the next N requests answer 503.

    Storage on another host, as registries with a blob CDN or separate upload servers have it: with `offsite`
    (host:port of another front) upload Locations point there and blob downloads are redirected there (307). That
    front, made with `upstream_authorization`, authorizes requests that arrive without credentials itself, as
    signed storage URLs do.
    """

    def __init__(self, upstream: str, referrers: bool = True, *, address: str = "127.0.0.1",
                 offsite: str | None = None, upstream_authorization: str | None = None) -> None:
        self.upstream = upstream  # host:port
        self.referrers_enabled = referrers
        self.offsite = offsite
        self.upstream_authorization = upstream_authorization
        self.authorizations: list[str | None] = []
        self.apply_filter = True
        self.page_size: int | None = None
        self.fail_next = 0
        self.index: dict[tuple[str, str], list[dict]] = {}
        self.counts: Counter = Counter()
        self.log: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        super().__init__(_FrontHandler, address)

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()
            self.authorizations.clear()

    def count(self, method: str, path: str, authorization: str | None) -> None:
        path_only = urlsplit(path).path
        kind = "other"
        for marker in ("referrers", "manifests", "uploads", "blobs", "tags"):
            if f"/{marker}/" in path_only or path_only.endswith(f"/{marker}/list"):
                kind = marker
                break
        with self.lock:
            self.counts[kind] += 1
            self.counts["total"] += 1
            self.log.append((method, path))
            self.authorizations.append(authorization)


class _FrontHandler(_Handler):
    def handle_any(self) -> None:
        front: RegistryFront = self.owner
        front.count(self.command, self.path, self.headers.get("Authorization"))
        body = self.body()
        with front.lock:
            failing = front.fail_next > 0
            front.fail_next -= 1 if failing else 0
        if failing:
            self.reply(503, b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}',
                       {"Content-Type": "application/json"})
            return
        path = urlsplit(self.path).path
        match = _REFERRERS.match(path)
        if match and front.referrers_enabled and self.command == "GET":
            self.serve_referrers(front, match["name"], match["digest"])
            return
        if front.offsite and self.command == "GET" and _BLOB.match(path):
            self.reply(307, headers={"Location": f"http://{front.offsite}{self.path}"})
            return
        conn = HTTPConnection(front.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
        if front.upstream_authorization and "Authorization" not in self.headers:
            headers["Authorization"] = front.upstream_authorization
        if body or self.command in ("PUT", "POST", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        out_headers = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_HEADERS}
        conn.close()
        if front.offsite and self.command == "POST" and response.status == 202 and "Location" in out_headers:
            moved = urlsplit(out_headers["Location"])
            out_headers["Location"] = f"http://{front.offsite}{moved.path}?{moved.query}"
        manifest = _MANIFEST.match(path)
        if front.referrers_enabled and manifest and self.command == "PUT" and response.status == 201:
            subject = self.record_referrer(front, manifest["name"], body, out_headers)
            if subject:
                out_headers["OCI-Subject"] = subject
        if front.referrers_enabled and manifest and self.command == "DELETE" and response.status == 202:
            with front.lock:
                for entries in front.index.values():
                    entries[:] = [e for e in entries if e["digest"] != manifest["ref"]]
        self.send_response(response.status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        # A HEAD answer has no body but the length of the GET one (clients take a manifest's size from it).
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

    def record_referrer(self, front: RegistryFront, name: str, body: bytes, headers: dict) -> str | None:
        try:
            manifest = json.loads(body)
        except ValueError:
            return None
        subject = manifest.get("subject") if isinstance(manifest, dict) else None
        if not isinstance(subject, dict) or "digest" not in subject:
            return None
        descriptor = {
            "mediaType": manifest.get("mediaType") or self.headers.get("Content-Type"),
            "digest": headers.get("Docker-Content-Digest"),
            "size": len(body),
            "artifactType": manifest.get("artifactType") or (manifest.get("config") or {}).get("mediaType"),
        }
        if manifest.get("annotations"):
            descriptor["annotations"] = manifest["annotations"]
        with front.lock:
            entries = front.index.setdefault((name, subject["digest"]), [])
            if all(e["digest"] != descriptor["digest"] for e in entries):
                entries.append(descriptor)
        return subject["digest"]

    def serve_referrers(self, front: RegistryFront, name: str, digest: str) -> None:
        query = parse_qs(urlsplit(self.path).query)
        wanted = (query.get("artifactType") or [None])[0]
        with front.lock:
            entries = list(front.index.get((name, digest), []))
        headers = {"Content-Type": OCI_INDEX}
        if wanted and front.apply_filter:
            entries = [e for e in entries if e.get("artifactType") == wanted]
            headers["OCI-Filters-Applied"] = "artifactType"
        if front.page_size:
            start = int((query.get("last") or ["0"])[0])
            if start + front.page_size < len(entries):
                nxt = f"/v2/{name}/referrers/{digest}?last={start + front.page_size}"
                if wanted:
                    nxt += f"&artifactType={requests.utils.quote(wanted, safe='')}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            entries = entries[start:start + front.page_size]
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        self.reply(200, body, headers)


# -- a misbehaving registry -------------------------------------------------------------------------------------


class FaultServer(_Server):
    """Answers by the first repository path component: /v2/<mode>/...

    error500 always 500 · stall never answers (until stopped) · garbage serves a non-JSON "manifest" with a
    correct digest header · digest-mismatch serves a JSON manifest with a wrong Docker-Content-Digest ·
    no-digest-header serves the same manifest for any reference without Docker-Content-Digest ·
    unauthorized 401 Basic · forbidden 403 DENIED · trickle sends a manifest one byte per second.
    """

    def __init__(self) -> None:
        self.hits: Counter = Counter()
        super().__init__(_FaultHandler)


class _FaultHandler(_Handler):
    def handle_any(self) -> None:
        server: FaultServer = self.owner
        parts = urlsplit(self.path).path.split("/")
        mode = parts[2] if len(parts) > 2 else ""
        server.hits[mode] += 1
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                                          "digest": "sha256:" + "4" * 64}, "layers": []}).encode()
        manifest_type = {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
        if mode == "error500":
            self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}',
                       {"Content-Type": "application/json"})
        elif mode == "stall":
            server.stopping.wait(120)
        elif mode == "garbage":
            body = b"<html>this is not a manifest</html>"
            self.reply(200, body, {**manifest_type, "Docker-Content-Digest": _sha256(body)})
        elif mode == "digest-mismatch":
            self.reply(200, manifest, {**manifest_type, "Docker-Content-Digest": "sha256:" + "0" * 64})
        elif mode == "no-digest-header":
            self.reply(200, manifest, manifest_type)
        elif mode == "unauthorized":
            self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                       {"Content-Type": "application/json", "WWW-Authenticate": 'Basic realm="faults"'})
        elif mode == "forbidden":
            self.reply(403, b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
                       {"Content-Type": "application/json"})
        elif mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(len(manifest)))
            for key, value in manifest_type.items():
                self.send_header(key, value)
            self.end_headers()
            for byte in manifest:
                if server.stopping.wait(1.0):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        else:
            self.reply(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}',
                       {"Content-Type": "application/json"})

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_any


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tls_material(workdir: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server-key.pem)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fleetcompat test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    workdir.mkdir(parents=True, exist_ok=True)
    paths = workdir / "ca.pem", workdir / "server.pem", workdir / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths
