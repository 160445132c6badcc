"""Support code of the test suite and bench/: real labs and servers (sshd hosts, registries), synthetic fleets,
host trees, builders and the child-process CLI runner. Imported as `from tests.support import sshlab`; fixtures
that use them live in the conftest.py files (the shared ones in tests/conftest.py)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
