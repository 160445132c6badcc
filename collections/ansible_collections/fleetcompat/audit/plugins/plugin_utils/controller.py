# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Shared by the collection's controller-side action plugins (image_specs, image_compat, fleet_report, fleet_gate).

These plugins run in the Python that runs ansible-playbook and import the `fleetcompat` package from it, so that
Ansible and the `fleetcompat` command evaluate with one and the same code. Managed hosts need nothing of this.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from ansible.errors import AnsibleActionFail

INSTALL_HINT = (
    "the fleetcompat.audit action plugins need the fleetcompat Python package in the controller's Python "
    "(the one running ansible-playbook): run scripts/setup.sh and use .venv/bin/ansible-playbook, "
    "or `pip install` the repository into that Python"
)


def fleetcompat_module(name: str) -> Any:
    """Import `fleetcompat.<name>`, failing the task with an install hint if the package is missing."""
    try:
        return importlib.import_module(f"fleetcompat.{name}")
    except ImportError as exc:
        raise AnsibleActionFail(f"{INSTALL_HINT} ({exc})") from None


def plain(value: Any) -> Any:
    """Task arguments and host variables as plain JSON types (no Ansible tagged or lazy containers)."""
    return json.loads(json.dumps(value))


def fail_message(exc: Exception) -> str:
    """One line, as the fleetcompat command prints it."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
