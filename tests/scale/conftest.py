"""The fleet tests' real sshd lab (node1, node2, node3, broken, down), reused for the two-stage path and the
sliced ansible-runner runs."""

from __future__ import annotations

from tests.fleet.conftest import lab  # noqa: F401  (the session fixture, started by these tests too)
