"""The collection's pytest suites share the repository's fixtures (tests/conftest.py): the sshd lab, the registry
with a counting front, the hwloc captures, and the per-session and per-module history stores that keep every
audit's history out of the user's ~/.local/share. Imported here because tests/conftest.py only reaches tests below
tests/."""

from tests.conftest import _module_history_store, _session_history_store, hwloc_trees, lab, registry  # noqa: F401
