"""Hostile registries for tests/hostile/test_registry_hostile.py: scripted HTTP servers on 127.0.0.1 and
127.0.0.2 (separate loopback addresses, so "another host" is real) and a minimal valid image manifest. The real
docker-registry and its fronts come from tests/support/registry_servers.py, the child-process CLI from
tests/support/hostile.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.hostile import Run
from tests.support.registry_servers import _Handler, _Server

OTHER_HOST = "127.0.0.2"  # loopback too on Linux, but not the registry's host
# A hang is forever; everything here must end well within this, even on a loaded 2-core CI machine.
CLI_WALL_S = 60


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorization: str | None


class ScriptedServer(_Server):
    """Answers every request with `script(handler)`; records each request's method, path and Authorization
    header in `seen`. `script` may use `handler.reply(...)`, write raw bytes to `handler.wfile`, and should end
    long waits when `server.stopping` is set."""

    def __init__(self, script: Callable[[_Handler], None], address: str = "127.0.0.1",
                 tls: tuple[Path, Path] | None = None) -> None:
        self.script = script
        self.seen: list[Seen] = []
        super().__init__(_ScriptedHandler, address, tls)


class _ScriptedHandler(_Handler):
    def handle_any(self) -> None:
        server: ScriptedServer = self.owner
        server.seen.append(Seen(self.command, self.path, self.headers.get("Authorization")))
        self.body()
        server.script(self)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def image_manifest() -> tuple[bytes, str]:
    """A minimal valid single-platform OCI image manifest and its digest."""
    data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                                  "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest()},
                       "layers": []}).encode()
    return data, "sha256:" + hashlib.sha256(data).hexdigest()


def one_line_error(run: Run, ref: str) -> str:
    """The error text after `fleetcompat: error: REF: `, checking exit 2, one line, no traceback, no stdout."""
    assert run.code == 2, (run.code, run.stderr)
    assert run.stdout == "" and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    prefix = f"fleetcompat: error: {ref}: "
    assert run.stderr.startswith(prefix), run.stderr
    return run.stderr[len(prefix):].rstrip("\n")
