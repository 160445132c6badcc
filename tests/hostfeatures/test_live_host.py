"""This machine, gathered two ways: through udev (pyudev) and through sysfs only; and on Python 3.9."""

from __future__ import annotations

import copy
import glob
import json
import os
import subprocess

import pytest

from fleetcompat.hostfeatures import gather

from .conftest import COLLECTIONS

# Only the extension data may carry hardware database names; they never reach NFD's own features.
NAME_KEYS = ("vendor_name", "device_name")


def without_names(features: dict) -> dict:
    stripped = copy.deepcopy(features)
    for instance in stripped["instances"].get("driver.pci", {}).get("elements", []):
        for key in NAME_KEYS:
            instance["attributes"].pop(key, None)
    return stripped


def test_udev_and_sysfs_enumeration_give_the_same_features():
    pytest.importorskip("pyudev")
    via_udev, udev_warnings = gather("/", use_udev=True)
    via_sysfs, sysfs_warnings = gather("/", use_udev=False)
    assert udev_warnings == sysfs_warnings
    assert without_names(via_udev) == via_sysfs
    assert via_sysfs["instances"]["pci.device"]["elements"], "this machine has PCI devices to compare"
    for name, feature in via_udev["instances"].items():
        if name != "driver.pci":
            assert not any(k in i["attributes"] for i in feature["elements"] for k in NAME_KEYS), name
    # No udevd runs here, so the udev database has no names: they come from the hwdb file when there is one.
    devices = [i["attributes"] for i in via_udev["instances"]["driver.pci"]["elements"]]
    if any(os.path.exists(p) for p in ("/etc/udev/hwdb.bin", "/usr/lib/udev/hwdb.bin")):
        assert any(d.get("vendor_name") for d in devices)


def test_udev_refuses_another_root(tmp_path):
    pytest.importorskip("pyudev")
    with pytest.raises(RuntimeError, match="root /"):
        gather(str(tmp_path), use_udev=True)


def python39() -> str | None:
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3")))
    return found[-1] if found else None


@pytest.mark.skipif(python39() is None, reason="no Python 3.9 interpreter (pyenv) on this machine")
def test_gatherer_runs_on_python39_with_identical_output(hwloc_trees):
    """Managed hosts may run Python 3.9: the stdlib-only gatherer must work there and give the same JSON."""
    root = str(hwloc_trees["32em64t-2n8c+dax+nvme+mic+dimms"])
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]);"
            "from ansible_collections.fleetcompat.audit.plugins.module_utils.hostfeatures import gather;"
            "print(json.dumps(gather(sys.argv[2], use_udev=False)))")
    result = subprocess.run([python39(), "-c", code, str(COLLECTIONS), root], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    features, warnings = json.loads(result.stdout)
    assert warnings == []
    assert features == gather(root, use_udev=False)[0]
