"""Registry credentials: explicit (NFD's stdin flags), Docker/Podman auth files, `docker-credential-*` helpers.

Lookup for a registry host (first hit wins):
1. explicit credentials given for that host (`--registry-username` + `--registry-password-stdin`,
   `--registry-token-stdin`);
2. each auth file in order: `$REGISTRY_AUTH_FILE`, `${XDG_RUNTIME_DIR}/containers/auth.json`,
   `~/.config/containers/auth.json` (Podman's order), then `$DOCKER_CONFIG/config.json` or
   `~/.docker/config.json`; within a file: `credHelpers[host]`, then an inline `auths` entry (the most specific
   `host/namespace` key first, as Podman allows), then `credsStore`;
3. none: anonymous (bearer challenges still get an anonymous token).

Nothing here ever logs or formats a secret; `Credential.__repr__` hides them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from fleetcompat.files import load_json, read_input
from fleetcompat.limits import KEY_BYTES
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.reference import DOCKER_HUB

log = logging.getLogger("fleetcompat.registry")

HELPER_TIMEOUT = 10.0
# What Docker calls Docker Hub in auth files and passes to credential helpers.
_HUB_SERVER_URL = "https://index.docker.io/v1/"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
_IDENTITY_TOKEN_USER = "<token>"


@dataclass(frozen=True, slots=True)
class Credential:
    """One of: username+password (Basic, or exchanged for a bearer token), a registry bearer `token`
    (used as is), or username+`identity_token` (an OAuth2 refresh token, exchanged at the token endpoint)."""

    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    source: str = ""

    def secrets(self) -> tuple[str, ...]:
        basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode() if self.password else ""
        return tuple(s for s in (self.password, self.token, self.identity_token, basic) if s)


def read_secret(stream: TextIO, what: str) -> str:
    """NFD's stdin flags: all of stdin, minus one trailing `\\n` and then one trailing `\\r`."""
    secret = stream.read()
    secret = secret.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise RegistryError(f"{what}: stdin is empty")
    return secret


def default_auth_files(env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    files = []
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    files.append(home / ".config" / "containers" / "auth.json")
    files.append(Path(env["DOCKER_CONFIG"]) / "config.json" if env.get("DOCKER_CONFIG")
                 else home / ".docker" / "config.json")
    return files


def normalise_server(key: str) -> str:
    """An auth-file key or server URL -> `host[:port][/path]`, Docker Hub spellings -> `docker.io`."""
    key = key.strip()
    for scheme in ("https://", "http://"):
        key = key.removeprefix(scheme)
    key = key.rstrip("/").removesuffix("/v1").removesuffix("/v2").rstrip("/")
    host, sep, path = key.partition("/")
    if host in _HUB_ALIASES:
        host = DOCKER_HUB
    return host + sep + path


class CredentialStore:
    """Finds the credential for (registry, repository); memoised per registry and thread-safe."""

    def __init__(self, explicit: Mapping[str, Credential] | None = None, auth_files: list[Path] | None = None,
                 helper_timeout: float = HELPER_TIMEOUT) -> None:
        self._explicit = {normalise_server(k): v for k, v in (explicit or {}).items()}
        self._auth_files = default_auth_files() if auth_files is None else auth_files
        self._helper_timeout = helper_timeout
        self._configs: list[tuple[Path, dict]] | None = None
        self._memo: dict[str, Credential | None] = {}
        self._lock = threading.Lock()

    def get(self, registry: str, repository: str = "") -> Credential | None:
        registry = normalise_server(registry)
        key = f"{registry}/{repository}"
        with self._lock:
            if key not in self._memo:
                self._memo[key] = self._lookup(registry, repository)
            return self._memo[key]

    def _lookup(self, registry: str, repository: str) -> Credential | None:
        if registry in self._explicit:
            return self._explicit[registry]
        for path, config in self._load_configs():
            found = self._from_config(path, config, registry, repository)
            if found:
                return found
        return None

    def _load_configs(self) -> list[tuple[Path, dict]]:
        if self._configs is None:
            self._configs = []
            for path in self._auth_files:
                if not path.exists():
                    continue
                try:
                    config = load_json(read_input(path, "auth file", RegistryError, KEY_BYTES), str(path),
                                       RegistryError)
                except RegistryError as exc:  # the reason never quotes the file's content (it holds secrets)
                    log.warning("fleetcompat: warning: ignoring unreadable auth file %s (%s)", path, exc.message)
                    continue
                if isinstance(config, dict):
                    self._configs.append((path, config))
        return self._configs

    def _from_config(self, path: Path, config: dict, registry: str, repository: str) -> Credential | None:
        helpers = {normalise_server(k): v for k, v in (config.get("credHelpers") or {}).items()}
        if registry in helpers:
            found = self._run_helper(str(helpers[registry]), registry)
            if found:
                return found
        auths = {normalise_server(k): v for k, v in (config.get("auths") or {}).items() if isinstance(v, dict)}
        scope = f"{registry}/{repository}".rstrip("/")
        while scope:
            if scope in auths:
                found = self._from_auth_entry(auths[scope], f"{path} auths[{scope}]")
                if found:
                    return found
            scope = scope.rpartition("/")[0] if "/" in scope else ""
        if config.get("credsStore"):
            return self._run_helper(str(config["credsStore"]), registry)
        return None

    @staticmethod
    def _from_auth_entry(entry: dict, source: str) -> Credential | None:
        username, password = str(entry.get("username") or ""), str(entry.get("password") or "")
        if entry.get("auth"):
            try:
                username, _, password = base64.b64decode(str(entry["auth"]), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                log.warning("fleetcompat: warning: %s: `auth` is not base64 user:password; ignored", source)
                return None
        if entry.get("identitytoken"):
            return Credential(username=username, identity_token=str(entry["identitytoken"]), source=source)
        if username and password:
            return Credential(username=username, password=password, source=source)
        if entry.get("registrytoken"):
            return Credential(token=str(entry["registrytoken"]), source=source)
        return None

    def _run_helper(self, name: str, registry: str) -> Credential | None:
        binary = f"docker-credential-{name}"
        server = _HUB_SERVER_URL if registry == DOCKER_HUB else registry
        try:
            proc = subprocess.run([binary, "get"], input=server, capture_output=True, text=True,
                                  timeout=self._helper_timeout, check=False)
        except FileNotFoundError:
            log.warning("fleetcompat: warning: credential helper %s not found in PATH", binary)
            return None
        except subprocess.TimeoutExpired:
            raise RegistryError(f"credential helper {binary} did not answer within {self._helper_timeout:g}s",
                                where=registry) from None
        if proc.returncode != 0:
            # "credentials not found in native keychain" is the normal "no entry" answer; the helper's stderr
            # is not shown because helpers are free to echo what they were given.
            log.debug("credential helper %s: no credentials for %s (exit %d)", binary, registry, proc.returncode)
            return None
        try:
            payload = json.loads(proc.stdout)
            username, secret = str(payload.get("Username") or ""), str(payload.get("Secret") or "")
        except (ValueError, AttributeError):
            raise RegistryError(f"credential helper {binary} printed something that is not its JSON answer",
                                where=registry) from None
        source = f"credential helper {binary}"
        if not secret:
            return None
        if username == _IDENTITY_TOKEN_USER:
            return Credential(username=username, identity_token=secret, source=source)
        return Credential(username=username, password=secret, source=source)
