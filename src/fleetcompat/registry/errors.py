"""The registry's one user-facing error type."""

from __future__ import annotations

from fleetcompat.errors import FleetcompatError


class RegistryError(FleetcompatError):
    """An image's compatibility spec could not be resolved, fetched, verified or published.

    `where` is the image reference, so the CLI prints `fleetcompat: error: <image>: <what went wrong>`.
    Messages are one line and never contain credentials (see `client._Redactor`).
    """
