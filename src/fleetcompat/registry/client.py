"""OCI distribution client: bounded requests, auth per scope, verified manifests and blobs, referrers.

One deadline per image (`RegistryOptions.timeout`): `SpecFetcher` and `attach_spec` enter `deadline()` per
image, and everything the image needs — connects, TLS handshakes, request bodies, headers, answers, retries,
redirects, token fetches and referrers pages — happens before it or fails with one line saying so. Every
attempt runs under a `watchdog.Watchdog` that shuts its socket down at the deadline (see there for why timeouts
alone cannot do this). Each attempt also has connect/read timeouts; there are at most `retries` retries with
short exponential backoff on connection errors, timeouts, 429 and 5xx. A host that could not be reached is not
tried again by the same client, so a fleet run against a dead registry fails each image at once instead of
waiting once per image.

Limits (named constants below): MAX_REDIRECTS hops per request, MAX_REFERRER_PAGES `Link` pages and
MAX_REFERRERS descriptors per referrers listing, MAX_TOKEN_RESPONSE_BYTES per token answer, MAX_TOKEN_CHARS per
token; manifests and blobs are capped by `RegistryOptions.max_bytes`.

Credentials go only where they were given for. The registry's Basic or bearer header is sent only to the registry's
own origin (scheme, host and port): an upload `Location`, a `Link` page or a redirect target elsewhere (a blob CDN)
is asked without it, and a 401 from there is an error, never answered with credentials. Redirects are followed
here, hop by hop, for that reason; a refresh-token POST is not redirected elsewhere. A token service gets the Basic
credential or refresh token only over HTTPS, or over plain HTTP on the registry's own host name when the registry
itself is configured plain HTTP; otherwise the token request is refused with one line (anonymous token requests,
which carry no secret, go anywhere).

Auth follows the distribution token spec: a request is sent with whatever this client already holds for
(host, scope) — a Basic header once the host is known to want Basic, or a cached bearer token for exactly that
scope — and a 401 is answered from its `WWW-Authenticate` challenge:
`Basic` -> the host's credential; `Bearer realm,service,scope` -> a token for the challenge's scope plus the
scope this request needs (pull, or pull+push), fetched with the credential (Basic user:password, an OAuth2
refresh token, or anonymously) and cached per (host, scope) until it expires. A static `--registry-token-stdin`
token is sent as is, like NFD does.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import jsonschema
import oras.defaults
import oras.schemas
import requests
import urllib3

from fleetcompat.registry.credentials import Credential, CredentialStore
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.options import RegistryOptions
from fleetcompat.registry.reference import check_digest, compute_digest
from fleetcompat.registry.watchdog import Watchdog, watched_session

log = logging.getLogger("fleetcompat.registry")

OCI_MANIFEST = oras.defaults.default_manifest_media_type
OCI_INDEX = oras.defaults.default_index_media_type
DOCKER_MANIFEST = oras.defaults.docker_manifest_media_type
DOCKER_MANIFEST_LIST = oras.defaults.docker_manifest_list_media_type
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)
INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
_RETRY_STATUS = {429, 500, 502, 503, 504}
_REDIRECT_STATUS = {301, 302, 303, 307, 308}

# Registries redirect blob downloads once (to storage or a CDN), rarely twice; Go's client (Docker, oras) allows
# 10. Five leaves room for real chains and halves what a redirect loop costs.
MAX_REDIRECTS = 5
# A referrers listing: `Link` pages followed, and descriptors kept (over all pages, of any artifactType, also for
# the tag-schema index). Real images have a handful of referrers; these only stop a registry that never ends.
MAX_REFERRER_PAGES = 100
MAX_REFERRERS = 10_000
# Token answers are a small JSON object; tokens travel in a header, which servers cap at 8-16 KiB.
MAX_TOKEN_RESPONSE_BYTES = 64 * 1024
MAX_TOKEN_CHARS = 16 * 1024
DEFAULT_TOKEN_LIFETIME = 60.0  # seconds, when the token answer has no expires_in (distribution's token spec)
_TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: a token goes into an HTTP header as is

# oras-py's JSON schemas for OCI manifests and indexes, compiled once.
_MANIFEST_SCHEMA = jsonschema.Draft7Validator(oras.schemas.manifest)
_INDEX_SCHEMA = jsonschema.Draft7Validator(oras.schemas.index)


@dataclass(frozen=True, slots=True)
class Repository:
    """Where requests go: `endpoint` (host[:port] to connect to) and the repository name."""

    endpoint: str
    name: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """A manifest exactly as served: raw bytes, their verified digest, the media type and the parsed JSON."""

    data: bytes
    digest: str
    media_type: str
    document: dict

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True, slots=True)
class Referrers:
    descriptors: tuple[dict, ...]
    source: str  # "referrers-api" or "tag-fallback"


@dataclass(slots=True)
class _Reply:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    links: dict
    url: str  # where the answer came from, after redirects

    @property
    def content_type(self) -> str:
        msg = Message()
        msg["content-type"] = self.headers.get("Content-Type", "")
        return msg.get_content_type() if self.headers.get("Content-Type") else ""

    def error_summary(self) -> str:
        """The registry's error code and message (distribution's JSON errors), else a short text excerpt."""
        try:
            errors = json.loads(self.body).get("errors") or []
            parts = [f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in errors if isinstance(e, dict)]
            if parts:
                return "; ".join(parts)[:200]
        except (ValueError, AttributeError):
            pass
        text = " ".join(self.body[:200].decode("utf-8", "replace").split())
        return text or "(no body)"

    def error_codes(self) -> set[str]:
        try:
            return {str(e.get("code")) for e in json.loads(self.body).get("errors") or [] if isinstance(e, dict)}
        except (ValueError, AttributeError):
            return set()


class _AttemptFailed(Exception):
    """One attempt failed in a way worth retrying: `problem` says how; `unreachable` is the host that could not
    be connected to, if that was it."""

    def __init__(self, problem: str, unreachable: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.unreachable = unreachable


class _Redactor:
    """Replaces every secret this client has handled by `***` in text that leaves it (errors, logs)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if len(s) >= 3)

    def __call__(self, text: str) -> str:
        with self._lock:
            for secret in sorted(self._secrets, key=len, reverse=True):
                text = text.replace(secret, "***")
        return text


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="...",service="...",scope="a b"` -> ("bearer", {...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v.strip('"').replace('\\"', '"')
              for k, v in re.findall(r'([A-Za-z_][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)', rest)}
    return scheme.lower(), params


class _Auth:
    """Per-client auth state: which hosts want Basic, and bearer tokens per (host, scope)."""

    def __init__(self, credentials: CredentialStore, redact: _Redactor) -> None:
        self.credentials = credentials
        self.redact = redact
        self._basic_hosts: set[str] = set()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def credential(self, repo: Repository) -> Credential | None:
        found = self.credentials.get(repo.endpoint, repo.name)
        if found:
            self.redact.add(*found.secrets())
        return found

    def preemptive_header(self, repo: Repository, scope: str) -> str | None:
        with self._lock:
            if repo.endpoint in self._basic_hosts:
                cred = self.credential(repo)
                return _basic(cred) if cred and cred.password else None
            token = self._tokens.get((repo.endpoint, scope))
            if token and token[1] > time.monotonic():
                return f"Bearer {token[0]}"
            return None

    def answer(self, client: RegistryClient, repo: Repository, scope: str, reply: _Reply) -> str:
        """An Authorization header answering a 401, or a RegistryError saying why there is none."""
        header = reply.headers.get("WWW-Authenticate", "")
        scheme, params = parse_challenge(header)
        cred = self.credential(repo)
        if scheme == "basic":
            if not cred or not cred.password:
                raise RegistryError(f"{repo.endpoint} requires a username and password (Basic auth); "
                                    f"{_no_credential_hint(cred)}")
            with self._lock:
                self._basic_hosts.add(repo.endpoint)
            return _basic(cred)
        if scheme != "bearer" or not params.get("realm"):
            raise RegistryError(f"{repo.endpoint} answered 401 without a usable challenge ({scheme or 'none'})")
        if cred and cred.token:
            return f"Bearer {cred.token}"
        scopes = [s for s in dict.fromkeys([*params.get("scope", "").split(" "), scope]) if s]
        token, lifetime = client.fetch_token(params["realm"], params.get("service", ""), scopes, cred, repo)
        self.redact.add(token)
        with self._lock:
            self._tokens[(repo.endpoint, scope)] = (token, time.monotonic() + max(lifetime - 5.0, 1.0))
        return f"Bearer {token}"

    def forget(self, repo: Repository, scope: str) -> None:
        with self._lock:
            self._tokens.pop((repo.endpoint, scope), None)


def _basic(cred: Credential) -> str:
    return "Basic " + base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode()


def _no_credential_hint(cred: Credential | None) -> str:
    if cred:
        return f"the credential from {cred.source} was not accepted"
    return ("no credentials found (use --registry-username with --registry-password-stdin, "
            "or docker/podman login)")


class RegistryClient:
    """Thread-safe: one `requests.Session` per thread, shared auth state and host health behind locks."""

    def __init__(self, options: RegistryOptions, credentials: CredentialStore | None = None) -> None:
        self.options = options
        self.redact = _Redactor()
        for cred in options.credentials.values():
            self.redact.add(*cred.secrets())
        self._auth = _Auth(credentials or CredentialStore(options.credentials, None if options.auth_files is None
                                                          else list(options.auth_files)), self.redact)
        self._local = threading.local()
        self._unreachable: dict[str, str] = {}
        self._lock = threading.Lock()
        self.referrers_api: dict[str, bool] = {}  # endpoint -> does it serve the referrers API?

    # -- transport ---------------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = watched_session()
            session.headers["User-Agent"] = "fleetcompat"
            self._local.session = session
        return session

    def base_url(self, endpoint: str) -> str:
        return f"{'http' if self.options.uses_plain_http(endpoint) else 'https'}://{endpoint}"

    @contextlib.contextmanager
    def deadline(self) -> Iterator[float]:
        """The monotonic time by which this thread's registry work must be done: `options.timeout` after the
        outermost entry. `SpecFetcher` enters it per image and `attach_spec` per attach, so all of an image's
        requests share one budget; nested entries join the running one; a request outside any gets its own."""
        running = getattr(self._local, "deadline", None)
        if running is not None:
            yield running
            return
        self._local.deadline = time.monotonic() + self.options.timeout
        try:
            yield self._local.deadline
        finally:
            self._local.deadline = None

    def _send(self, method: str, url: str, *, headers: dict[str, str], data: bytes | None = None,
              params: dict | list | None = None, max_bytes: int | None = None, what: str = "",
              secret_data: bool = False) -> _Reply:
        """One logical request: bounded attempts within this thread's deadline; the body is read up to
        `max_bytes`. An Authorization header in `headers`, and `data` if `secret_data`, are meant for the origin
        of `url` only."""
        what = what or f"{method} {url}"
        with self._lock:
            down = self._unreachable.get(urlsplit(url).netloc)
        if down:
            raise RegistryError(f"{what}: {down} (not retried: this registry was unreachable earlier in this run)")
        opts = self.options
        with self.deadline() as deadline:
            started = time.monotonic()
            if started >= deadline:
                raise RegistryError(f"{what}: not sent: the {opts.timeout:g}s deadline had passed")
            attempt = 0
            while True:
                attempt += 1
                unreachable = None
                try:
                    reply = self._attempt(method, url, headers, data, params, max_bytes, deadline, what,
                                          secret_data)
                    if reply.status not in _RETRY_STATUS:
                        return reply
                    problem = f"HTTP {reply.status} ({self.redact(reply.error_summary())})"
                except _AttemptFailed as failure:
                    problem, unreachable = failure.problem, failure.unreachable
                pause = opts.backoff * (2 ** (attempt - 1))
                if attempt > opts.retries or time.monotonic() + pause >= deadline:
                    elapsed = time.monotonic() - started
                    if unreachable:
                        with self._lock:
                            self._unreachable[unreachable] = problem
                    raise RegistryError(f"{what}: {problem}; gave up after {attempt} "
                                        f"attempt{'s' if attempt > 1 else ''} in {elapsed:.1f}s")
                log.debug("%s: %s; retrying in %.2fs", what, problem, pause)
                time.sleep(pause)

    def _attempt(self, method: str, url: str, headers: dict[str, str], data: bytes | None,
                 params: dict | list | None, max_bytes: int | None, deadline: float, what: str,
                 secret_data: bool) -> _Reply:
        """One attempt: the request and at most MAX_REDIRECTS redirects, all under one watchdog. Redirects are
        followed here rather than by requests so that every hop counts against the deadline and the cap, and the
        Authorization header (and a secret body) never leaves the origin it was given for (Go's 301/302/303 -> GET
        rule: only 307/308 keep the body)."""
        opts = self.options
        origin = _origin(url)
        with Watchdog(deadline - time.monotonic()) as watchdog:
            for _hop in range(MAX_REDIRECTS + 1):
                hop_headers = headers
                if _origin(url) != origin:
                    if secret_data and data is not None:
                        raise RegistryError(f"{what}: redirected to {urlsplit(url).netloc}, another host; the "
                                            "credential in the request is not sent there")
                    hop_headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                connect_timeout = min(opts.connect_timeout, deadline - time.monotonic())
                try:
                    response = self._session().request(
                        method, url, headers=hop_headers, data=data, params=params, stream=True,
                        allow_redirects=False, timeout=(max(connect_timeout, 0.001), opts.read_timeout),
                        verify=opts.ca_file or True,
                    )
                    try:
                        location = response.headers.get("Location") if response.status_code in _REDIRECT_STATUS \
                            else None
                        body = b"" if location else self._read_body(response, max_bytes, what)
                    finally:
                        response.close()
                except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                    if watchdog.fired or (isinstance(exc, requests.exceptions.ConnectTimeout)
                                          and connect_timeout < opts.connect_timeout):
                        raise _AttemptFailed(self._deadline_problem()) from None
                    raise self._failure(exc, url, what) from None
                if watchdog.fired:  # the answer may look complete: a shut-down socket reads as its end
                    raise _AttemptFailed(self._deadline_problem())
                if not location:
                    return _Reply(response.status_code, response.headers, body, response.links, response.url)
                url = urljoin(response.url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise RegistryError(f"{what}: redirected to a {urlsplit(url).scheme or 'schemeless'} URL, "
                                        "not HTTP(S)")
                params = None  # they are in response.url; the Location replaces them
                if response.status_code in (301, 302, 303) and method not in ("GET", "HEAD"):
                    method, data = "GET", None
        raise RegistryError(f"{what}: more than {MAX_REDIRECTS} redirects (the last to {url.split('?', 1)[0]})")

    def _deadline_problem(self) -> str:
        return f"no complete answer within the {self.options.timeout:g}s deadline"

    def _failure(self, exc: Exception, url: str, what: str) -> _AttemptFailed | RegistryError:
        """What a requests/urllib3 exception means: a retryable `_AttemptFailed`, or a final RegistryError."""
        opts = self.options
        if isinstance(exc, requests.exceptions.SSLError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return RegistryError(f"{what}: TLS verification failed ({_reason(exc)}); "
                                     "use --registry-ca FILE for a private CA")
            return RegistryError(f"{what}: TLS handshake failed ({_reason(exc)}); if the registry speaks plain "
                                 "HTTP, use --plain-http-registry HOST:PORT")
        host = urlsplit(url).netloc
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return _AttemptFailed(f"connect timed out after {opts.connect_timeout:g}s", unreachable=host)
        if isinstance(exc, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError) or (
                isinstance(exc, requests.exceptions.ConnectionError) and "timed out" in str(exc).lower()):
            return _AttemptFailed(f"no answer within {opts.read_timeout:g}s")
        if isinstance(exc, requests.exceptions.ConnectionError):
            return _AttemptFailed(f"cannot connect ({_reason(exc)})", unreachable=host)
        if isinstance(exc, urllib3.exceptions.HTTPError):  # while reading the body
            return _AttemptFailed(f"answer broken off ({self.redact(_reason(exc))})")
        return RegistryError(f"{what}: {self.redact(_reason(exc))}")

    def _read_body(self, response: requests.Response, max_bytes: int | None, what: str) -> bytes:
        limit = self.options.max_bytes if max_bytes is None else max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit and response.status_code < 300:
            raise RegistryError(f"{what}: {int(declared)} bytes is over the {limit}-byte limit")
        chunks, size = [], 0
        while True:
            # read1 returns what one socket read brings, so the limit is checked as bytes arrive.
            chunk = response.raw.read1(64 * 1024, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise RegistryError(f"{what}: content is over the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    def request(self, method: str, repo: Repository, path: str, *, push: bool = False,
                headers: dict[str, str] | None = None, data: bytes | None = None, url: str | None = None,
                max_bytes: int | None = None) -> _Reply:
        """An authenticated request to `/v2/<name>/<path>`, or to `url` (an upload Location, a `Link` page): the
        registry's credentials go only to its own origin; a `url` elsewhere is asked anonymously."""
        registry_url = self.base_url(repo.endpoint)
        url = url or f"{registry_url}/v2/{repo.name}/{path}"
        what = f"{method} {url}"
        scope = f"repository:{repo.name}:{'pull,push' if push else 'pull'}"
        own_origin = _origin(url) == _origin(registry_url)
        headers = dict(headers or {})
        sent = self._auth.preemptive_header(repo, scope) if own_origin else None
        if sent:
            headers["Authorization"] = sent
        with self.deadline():
            reply = self._send(method, url, headers=headers, data=data, max_bytes=max_bytes, what=what)
            if reply.status == 401:
                self._check_challenger(reply, own_origin, repo, what)
                if sent:
                    self._auth.forget(repo, scope)
                headers["Authorization"] = self._auth.answer(self, repo, scope, reply)
                reply = self._send(method, url, headers=headers, data=data, max_bytes=max_bytes, what=what)
                if reply.status == 401:
                    self._check_challenger(reply, own_origin, repo, what)
                    raise RegistryError(f"{what}: unauthorized ({self.redact(reply.error_summary())}); "
                                        f"{_no_credential_hint(self._auth.credential(repo))}")
        if reply.status == 403:
            raise RegistryError(f"{what}: access denied ({self.redact(reply.error_summary())})")
        return reply

    def _check_challenger(self, reply: _Reply, own_origin: bool, repo: Repository, what: str) -> None:
        """Only the registry's own 401 is answered: another host's (an upload server, a CDN a redirect led to)
        could name any token realm, and the credential would go there."""
        if not (own_origin and _origin(reply.url) == _origin(self.base_url(repo.endpoint))):
            raise RegistryError(f"{what}: unauthorized at {urlsplit(reply.url).netloc}, which is not the registry "
                                f"{repo.endpoint}; its credentials are sent only to the registry")

    def fetch_token(self, realm: str, service: str, scopes: list[str], cred: Credential | None,
                    repo: Repository) -> tuple[str, float]:
        """A bearer token for `scopes` from the token service; returns (token, lifetime in seconds)."""
        realm_url = urlsplit(realm)
        if realm_url.scheme not in ("http", "https") or not realm_url.hostname:
            raise RegistryError(f"{repo.endpoint}: the token realm {realm[:100]!r} is not an HTTP(S) URL")
        what = f"token request to {realm.split('?', 1)[0]}"
        refusal = self._plain_http_realm_refusal(realm_url, repo)
        if refusal and cred and (cred.password or cred.identity_token):
            raise RegistryError(f"{what}: refused: {refusal}; the credential from {cred.source} is sent there only "
                                "over HTTPS")
        if cred and cred.identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": cred.identity_token, "client_id": "fleetcompat",
                    "service": service, "scope": " ".join(scopes)}
            body = "&".join(f"{k}={quote(v, safe='')}" for k, v in form.items()).encode()
            reply = self._send("POST", realm, headers={"Content-Type": "application/x-www-form-urlencoded"},
                               data=body, secret_data=True, max_bytes=MAX_TOKEN_RESPONSE_BYTES, what=what)
        else:
            headers = {"Authorization": _basic(cred)} if cred and cred.password else {}
            params = ([("service", service)] if service else []) + [("scope", s) for s in scopes]
            reply = self._send("GET", realm, headers=headers, params=params, max_bytes=MAX_TOKEN_RESPONSE_BYTES,
                               what=what)
        if reply.status in (401, 403):
            raise RegistryError(f"{repo.endpoint}: the token service refused access to "
                                f"{' '.join(scopes)} (HTTP {reply.status}); {_no_credential_hint(cred)}")
        if reply.status != 200:
            raise RegistryError(f"{what}: HTTP {reply.status} ({self.redact(reply.error_summary())})")
        return _token_from(reply.body, what)

    def _plain_http_realm_refusal(self, realm_url: SplitResult, repo: Repository) -> str | None:
        """Why the token service must not get credentials, or None: HTTPS is fine anywhere; plain HTTP only on
        the registry's own host name, and only if the registry itself is configured plain HTTP (then the
        credential crosses that network in the clear anyway)."""
        if realm_url.scheme == "https":
            return None
        if realm_url.hostname != urlsplit(self.base_url(repo.endpoint)).hostname:
            return f"a plain-HTTP token service on another host than the registry {repo.endpoint}"
        if not self.options.uses_plain_http(repo.endpoint):
            return f"a plain-HTTP token service for the HTTPS registry {repo.endpoint}"
        return None

    # -- manifests and blobs -------------------------------------------------------------------------------

    def get_manifest(self, repo: Repository, reference: str, accept: Iterable[str] = MANIFEST_TYPES,
                     *, missing_ok: bool = False) -> Manifest | None:
        """GET a manifest; verify sha256 of its bytes against Docker-Content-Digest and a digest reference."""
        reply = self.request("GET", repo, f"manifests/{reference}", headers={"Accept": ", ".join(accept)})
        what = f"manifest {repo.name}:{reference}" if ":" not in reference else f"manifest {repo.name}@{reference}"
        if reply.status == 404 and missing_ok and "NAME_UNKNOWN" not in reply.error_codes():
            return None
        if reply.status == 404:
            codes = reply.error_codes()
            kind = "repository not found" if "NAME_UNKNOWN" in codes else "not found"
            raise RegistryError(f"{what}: {kind} ({self.redact(reply.error_summary())})")
        if reply.status != 200:
            raise RegistryError(f"{what}: HTTP {reply.status} ({self.redact(reply.error_summary())})")
        return self._verified_manifest(reply, reference, what)

    def _verified_manifest(self, reply: _Reply, reference: str, what: str) -> Manifest:
        header_digest = reply.headers.get("Docker-Content-Digest", "").strip()
        algorithm = (header_digest or reference).split(":", 1)[0] if ":" in (header_digest or reference) else "sha256"
        computed = compute_digest(reply.body, algorithm if algorithm in ("sha256", "sha512") else "sha256")
        if header_digest and header_digest != computed:
            raise RegistryError(f"{what}: digest mismatch: the registry says {header_digest} "
                                f"but the content hashes to {computed}")
        if ":" in reference and reference != computed:
            raise RegistryError(f"{what}: digest mismatch: asked for {reference} but the content hashes to {computed}")
        return parse_manifest(reply.body, computed, reply.content_type, what)

    def head_manifest(self, repo: Repository, reference: str) -> str | None:
        """The digest a tag points at now (HEAD, no body), or None if the registry does not say."""
        reply = self.request("HEAD", repo, f"manifests/{reference}", headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if reply.status == 404:
            raise RegistryError(f"manifest {repo.name}:{reference}: not found")
        if reply.status != 200:
            raise RegistryError(f"manifest {repo.name}:{reference}: HTTP {reply.status}")
        digest = reply.headers.get("Docker-Content-Digest", "").strip()
        return digest if digest.startswith(("sha256:", "sha512:")) else None

    def get_blob(self, repo: Repository, descriptor: dict, *, max_bytes: int | None = None) -> bytes:
        digest = check_digest(str(descriptor.get("digest", "")))
        reply = self.request("GET", repo, f"blobs/{digest}", max_bytes=max_bytes)
        what = f"blob {repo.name}@{digest}"
        if reply.status != 200:
            raise RegistryError(f"{what}: HTTP {reply.status} ({self.redact(reply.error_summary())})")
        computed = compute_digest(reply.body, digest.split(":", 1)[0])
        if computed != digest:
            raise RegistryError(f"{what}: digest mismatch: the content hashes to {computed}")
        if isinstance(descriptor.get("size"), int) and descriptor["size"] != len(reply.body):
            raise RegistryError(f"{what}: size mismatch: descriptor says {descriptor['size']}, got {len(reply.body)}")
        return reply.body

    def push_blob(self, repo: Repository, data: bytes) -> dict:
        """Upload a blob unless the registry already has it (monolithic POST + PUT); returns its descriptor."""
        digest = compute_digest(data)
        head = self.request("HEAD", repo, f"blobs/{digest}", push=True)
        if head.status == 200:
            return {"digest": digest, "size": len(data)}
        start = self.request("POST", repo, "blobs/uploads/", push=True, headers={"Content-Length": "0"})
        location = start.headers.get("Location")
        if start.status != 202 or not location:
            raise RegistryError(f"blob upload to {repo.name}: HTTP {start.status} "
                                f"({self.redact(start.error_summary())})")
        url = urljoin(f"{self.base_url(repo.endpoint)}/v2/{repo.name}/blobs/uploads/", location)
        url += ("&" if "?" in url else "?") + f"digest={quote(digest, safe='')}"
        done = self.request("PUT", repo, "", push=True, url=url, data=data,
                            headers={"Content-Type": "application/octet-stream"})
        if done.status != 201:
            raise RegistryError(f"blob upload to {repo.name}: HTTP {done.status} ({self.redact(done.error_summary())})")
        return {"digest": digest, "size": len(data)}

    def put_manifest(self, repo: Repository, reference: str, data: bytes, media_type: str) -> _Reply:
        reply = self.request("PUT", repo, f"manifests/{reference}", push=True, data=data,
                             headers={"Content-Type": media_type})
        if reply.status not in (200, 201):
            raise RegistryError(f"manifest upload {repo.name}:{reference}: HTTP {reply.status} "
                                f"({self.redact(reply.error_summary())})")
        return reply

    def delete_manifest(self, repo: Repository, digest: str) -> bool:
        """Delete by digest; False if the registry does not allow deletes (distribution's default)."""
        reply = self.request("DELETE", repo, f"manifests/{digest}", push=True)
        return reply.status in (200, 202)

    # -- referrers ------------------------------------------------------------------------------------------

    def list_referrers(self, repo: Repository, subject_digest: str, artifact_type: str) -> Referrers:
        """Referrers of `subject_digest` with `artifact_type`: the OCI referrers API, or its tag-schema fallback
        (`<alg>-<hex>` index) when the API is absent (404 without NAME_UNKNOWN, or not an index). The result
        is always filtered here too: the API's filter is optional."""
        check_digest(subject_digest)
        if self.referrers_api.get(repo.endpoint) is not False:
            found = self._referrers_by_api(repo, subject_digest, artifact_type)
            with self._lock:
                self.referrers_api[repo.endpoint] = found is not None
            if found is not None:
                return Referrers(_of_type(found, artifact_type), "referrers-api")
        return Referrers(_of_type(self._referrers_by_tag(repo, subject_digest), artifact_type), "tag-fallback")

    def _referrers_by_api(self, repo: Repository, subject_digest: str, artifact_type: str) -> list[dict] | None:
        url: str | None = (f"{self.base_url(repo.endpoint)}/v2/{repo.name}/referrers/{subject_digest}"
                           f"?artifactType={quote(artifact_type, safe='')}")
        what = f"referrers of {repo.name}@{subject_digest}"
        found: list[dict] = []
        for _page in range(MAX_REFERRER_PAGES):
            if url is None:
                return found
            reply = self.request("GET", repo, "", url=url, headers={"Accept": OCI_INDEX})
            if reply.status == 404:
                if "NAME_UNKNOWN" in reply.error_codes():
                    raise RegistryError(f"{what}: repository not found")
                return None
            if reply.status != 200:
                raise RegistryError(f"{what}: HTTP {reply.status} ({self.redact(reply.error_summary())})")
            if reply.content_type != OCI_INDEX:
                return None
            found.extend(_index_entries(reply.body, what))
            _check_referrer_count(found, what)
            nxt = reply.links.get("next", {}).get("url")
            url = urljoin(url, nxt) if nxt else None
        if url is None:
            return found
        raise RegistryError(f"{what}: more than {MAX_REFERRER_PAGES} pages (the registry's Link pagination does "
                            "not end)")

    def _referrers_by_tag(self, repo: Repository, subject_digest: str) -> list[dict]:
        index = self.get_manifest(repo, fallback_tag(subject_digest), (OCI_INDEX,), missing_ok=True)
        if index is None:
            return []
        what = f"referrers tag {fallback_tag(subject_digest)} in {repo.name}"
        return _check_referrer_count(_index_entries(index.data, what), what)


def parse_manifest(data: bytes, digest: str, content_type: str, what: str) -> Manifest:
    """Check already digest-verified bytes are a manifest or index of a known type with a sane shape."""
    document = _parse_json_object(data, what)
    media_type = content_type
    if media_type not in MANIFEST_TYPES:
        media_type = str(document.get("mediaType") or "")
    if media_type not in MANIFEST_TYPES and not content_type:
        media_type = OCI_INDEX if "manifests" in document else OCI_MANIFEST  # OCI allows omitting mediaType
    if media_type not in MANIFEST_TYPES:
        raise RegistryError(f"{what}: not a manifest (content type {content_type or 'missing'!r})")
    validator = _INDEX_SCHEMA if media_type in INDEX_TYPES else _MANIFEST_SCHEMA
    problem = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "(top level)"
        raise RegistryError(f"{what}: malformed {media_type}: {where}: {problem.message[:120]}")
    return Manifest(data, digest, media_type, document)


def fallback_tag(digest: str) -> str:
    """The referrers tag schema: `<alg>-<hex>`, algorithm truncated to 32 and hex to 64 characters."""
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm[:32]}-{hexpart[:64]}"


def _index_entries(data: bytes, what: str) -> list[dict]:
    document = _parse_json_object(data, what)
    problem = jsonschema.exceptions.best_match(_INDEX_SCHEMA.iter_errors(document))
    if problem is not None:
        raise RegistryError(f"{what}: malformed index: {problem.message[:120]}")
    return [m for m in document["manifests"] if isinstance(m, dict)]


def _check_referrer_count(entries: list[dict], what: str) -> list[dict]:
    if len(entries) > MAX_REFERRERS:
        raise RegistryError(f"{what}: more than {MAX_REFERRERS} referrers")
    return entries


def _token_from(body: bytes, what: str) -> tuple[str, float]:
    """(token, lifetime) from a token service's answer, which must be a JSON object with `token` or
    `access_token` (a non-empty header-safe string of at most MAX_TOKEN_CHARS) and an optional positive, finite
    `expires_in`. Nothing of the answer is quoted in errors: it may hold a secret."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        raise RegistryError(f"{what}: the answer is not a JSON object")
    token = document.get("token") or document.get("access_token")
    if not isinstance(token, str) or not _TOKEN_CHARACTERS.fullmatch(token):
        raise RegistryError(f"{what}: the answer holds no usable token (token/access_token must be a non-empty "
                            "string of visible ASCII characters)")
    if len(token) > MAX_TOKEN_CHARS:
        raise RegistryError(f"{what}: the token is {len(token)} characters, over the {MAX_TOKEN_CHARS} limit")
    lifetime = document.get("expires_in")
    if lifetime is None:
        return token, DEFAULT_TOKEN_LIFETIME
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not math.isfinite(lifetime) \
            or lifetime <= 0:
        raise RegistryError(f"{what}: expires_in is not a positive number of seconds")
    return token, float(lifetime)


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) — what must match for credentials to be sent along."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # not a number: matches no registry
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _of_type(descriptors: Iterable[dict], artifact_type: str) -> tuple[dict, ...]:
    return tuple(d for d in descriptors if d.get("artifactType") == artifact_type)


def _parse_json_object(data: bytes, what: str) -> dict:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise RegistryError(f"{what}: not JSON ({' '.join(data[:60].decode('utf-8', 'replace').split())!r}…)") from None
    if not isinstance(document, dict):
        raise RegistryError(f"{what}: not a JSON object")
    return document


def _reason(exc: BaseException) -> str:
    """The innermost useful words of a requests/urllib3 exception, on one line."""
    text = str(exc)
    patterns = (r"\[Errno -?\d+\] ([^'\")]+)", r"\[SSL: [A-Z_]+\] ([^(')]+)", r"(certificate verify failed[^(')]*)")
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip().rstrip(".")
    return " ".join(text.split())[:160]

