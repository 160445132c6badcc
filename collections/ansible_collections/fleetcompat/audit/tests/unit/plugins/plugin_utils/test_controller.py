"""plugin_utils/controller.py: what the controller-side plugins say when the fleetcompat package is missing."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import REPO


def test_action_plugins_report_a_missing_fleetcompat_package():
    """The collection's controller plugins name the fix when fleetcompat is not importable."""
    # In a child process: importing controller-side plugin code sets up Ansible's collection loader and display,
    # which would leak into the in-process module tests that run after this one.
    code = (
        "import pytest\n"
        "from ansible.errors import AnsibleActionFail\n"
        "from ansible_collections.fleetcompat.audit.plugins.plugin_utils import controller\n"
        "with pytest.raises(AnsibleActionFail, match=\"fleetcompat Python package in the controller's Python\"):\n"
        "    controller.fleetcompat_module('no_such_module_xyz')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "collections")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
