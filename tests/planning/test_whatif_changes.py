"""What-if changes on real gathered features: every change kind gives what the gatherer finds on a host where the
change was really made (the hwloc and NFD fixture trees, with kernel, modules and OS release files added)."""

from __future__ import annotations

import pytest

from fleetcompat.features.model import Features
from fleetcompat.planning.changes import ChangeError, parse_change
from tests.support.trees import MODULES, RELEASE, gathered


@pytest.fixture
def tree(roots):
    def build(**changes) -> Features:
        return gathered(roots["16amd64-8n2c"], **changes)
    return build


def test_kernel_derives_every_version_attribute_as_the_gatherer(tree):
    host = tree()
    assert host.attributes["kernel.version"]["full"] == RELEASE
    changed = parse_change("kernel", "6.8.0-45-generic").apply(host)
    assert changed.attributes["kernel.version"] == tree(release="6.8.0-45-generic").attributes["kernel.version"]
    assert changed.attributes["kernel.version"] == {"full": "6.8.0-45-generic", "major": "6", "minor": "8",
                                                    "revision": "0"}
    assert host.attributes["kernel.version"]["full"] == RELEASE, "the input features are not modified"


def test_load_and_unload_module_match_a_host_that_did_it(tree):
    host = tree()
    loaded = parse_change("load-module", "vfio-pci").apply(host)  # modprobe's spelling; the kernel shows vfio_pci
    really = tree(modules=MODULES + "vfio_pci 16384 0 - Live 0x0\n")
    for feature in ("kernel.loadedmodule", "kernel.enabledmodule"):
        assert set(loaded.flags[feature]) == set(really.flags[feature])
    unloaded = parse_change("unload-module", "nouveau").apply(host)
    really = tree(modules="ext4 892928 1 - Live 0x0\n")
    assert set(unloaded.flags["kernel.loadedmodule"]) == set(really.flags["kernel.loadedmodule"])
    assert "nouveau" in host.flags["kernel.loadedmodule"]


def test_set_os_release_version_derives_major_and_minor(tree):
    changed = parse_change("set", "system.osrelease.VERSION_ID=24.04").apply(tree())
    really = tree(os_release='NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n')
    assert changed.attributes["system.osrelease"] == really.attributes["system.osrelease"]
    assert changed.attributes["system.osrelease"]["VERSION_ID.major"] == "24"


def test_set_and_unset_hugepages_derive_enabled(tree):
    host = tree()
    before = host.attributes["memory.hugepages"]
    changed = parse_change("set", "memory.hugepages.hugepages-1Gi=8").apply(host)
    assert changed.attributes["memory.hugepages"] == tree(hugepages_1g="8").attributes["memory.hugepages"]
    back = parse_change("set", "memory.hugepages.hugepages-1Gi=0").apply(changed)
    assert back.attributes["memory.hugepages"]["enabled"] == before["enabled"]


def test_set_kernel_config_and_unset_cpu_flag(tree):
    host = tree(sources=("cpu", "kernel"))
    flag = "AVX2" if "AVX2" in host.flags["cpu.cpuid"] else next(iter(host.flags["cpu.cpuid"]))
    changed = parse_change("unset", f"cpu.cpuid.{flag}").apply(host)
    assert set(changed.flags["cpu.cpuid"]) == set(host.flags["cpu.cpuid"]) - {flag}
    changed = parse_change("set", f"cpu.cpuid.{flag}").apply(changed)
    assert set(changed.flags["cpu.cpuid"]) == set(host.flags["cpu.cpuid"])
    configured = parse_change("set", "kernel.config.PREEMPT_RT=y").apply(host)
    assert configured.attributes["kernel.config"]["PREEMPT_RT"] == "y"


def test_hardware_takes_the_new_skus_machine_and_keeps_the_software(roots, tree):
    everything = ("cpu", "kernel", "memory", "system")
    host = tree(sources=everything)
    sku = gathered(roots["16em64t-4s2c2t"], release="4.18.0-1-old", sources=everything)
    changed = parse_change("hardware", "sku.json", hardware=sku).apply(host)
    assert changed.flags["cpu.cpuid"] == sku.flags["cpu.cpuid"]
    assert changed.attributes["cpu.model"] == sku.attributes["cpu.model"]
    assert changed.attributes["memory.numa"] == sku.attributes["memory.numa"]
    assert changed.attributes["kernel.version"] == host.attributes["kernel.version"]
    assert changed.attributes["system.osrelease"] == host.attributes["system.osrelease"]


@pytest.mark.parametrize(("kind", "target", "message"), [
    ("set", "kernel.config", "expected FEATURE.ELEMENT"),
    ("unset", "cpu.cpuid.AVX2=1", "without a value"),
    ("kernel", "banana", "not a kernel release"),
    ("load-module", " vfio_pci", "without surrounding spaces"),
])
def test_bad_changes_are_one_line_errors(kind, target, message):
    with pytest.raises(ChangeError, match=message):
        parse_change(kind, target)


def test_on_selects_hosts_globs_and_groups():
    change = parse_change("load-module", "vfio_pci", on=["gpu", "node-1*"])
    assert change.applies_to("node-17", ())
    assert change.applies_to("db-1", ("gpu",))
    assert not change.applies_to("db-1", ("dc1",))
