"""Parity with NFD's own unit-test fixtures: the features NFD's tests expect from the same files."""

from __future__ import annotations

import datetime

from fleetcompat.hostfeatures import gather
from tests.support.trees import NFD_TESTDATA

PCI_ROOTFS = NFD_TESTDATA / "testdata/source/pci/rootfs-1"

# nfd-testdata/README.md: the 10 instances NFD's TestPciSource expects, in this order (0000:00:1f.2 is skipped).
EXPECTED_PCI = [
    {"class": "0880", "vendor": "8086", "device": "2021", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "ff00", "vendor": "8086", "device": "a1ed", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "0106", "vendor": "8086", "device": "a1d2", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "1180", "vendor": "8086", "device": "a1b1", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "0780", "vendor": "8086", "device": "a1ba", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "0604", "vendor": "8086", "device": "a193", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "0c80", "vendor": "8086", "device": "a1a4", "subsystem_vendor": "8086", "subsystem_device": "35cf"},
    {"class": "0300", "vendor": "1a03", "device": "2000", "subsystem_vendor": "1a03", "subsystem_device": "2000"},
    {"class": "0b40", "vendor": "8086", "device": "37c8", "subsystem_vendor": "8086", "subsystem_device": "35cf",
     "sriov_totalvfs": "16", "iommu_group/type": "identity", "iommu/intel-iommu/version": "1:0"},
    {"class": "0200", "vendor": "8086", "device": "37d2", "subsystem_vendor": "8086", "subsystem_device": "35cf",
     "sriov_totalvfs": "32"},
]


def test_pci_rootfs_gives_nfds_ten_instances_in_order():
    features, warnings = gather(str(PCI_ROOTFS), ["pci"], use_udev=False)
    assert warnings == []
    assert features["instances"] == {"pci.device": {"elements": [{"attributes": a} for a in EXPECTED_PCI]}}
    assert features["flags"] == {} and features["attributes"] == {}


def test_pci_missing_root_directory_leaves_pci_absent(tmp_path):
    """NFD's rootfs-empty case: listing fails, so the source reports an error and no features."""
    features, _ = gather(str(tmp_path), ["pci"], use_udev=False)
    assert "pci.device" not in features["instances"]


def test_hugepages_testdata(make_root):
    root = make_root({"sys": NFD_TESTDATA / "source/memory/testdata/hugepages"})
    features, _ = gather(str(root), ["memory"], use_udev=False)
    assert features["attributes"]["memory.hugepages"]["elements"] == {
        "enabled": "true", "hugepages-1Gi": "2", "hugepages-2Mi": "0"}


def test_hugepages_without_sysfs_is_disabled_not_absent(tmp_path):
    features, _ = gather(str(tmp_path), ["memory"], use_udev=False)
    assert features["attributes"]["memory.hugepages"]["elements"] == {"enabled": "false"}


def test_swap_and_noswap(make_root):
    for name, enabled in (("swap", "true"), ("noswap", "false")):
        root = make_root({"proc/swaps": (NFD_TESTDATA / "source/memory/testdata" / name).read_text()})
        features, _ = gather(str(root), ["memory"], use_udev=False)
        assert features["attributes"]["memory.swap"]["elements"] == {"enabled": enabled}


def test_local_features_d_counts_and_values(make_root):
    root = make_root({"etc/kubernetes/node-feature-discovery/features.d":
                      NFD_TESTDATA / "source/local/testdata/features.d"})
    features, warnings = gather(str(root), ["local"], use_udev=False)
    local_features = features["attributes"]["local.feature"]["elements"]
    labels = features["attributes"]["local.label"]["elements"]
    assert len(local_features) == 7 and len(labels) == 8  # what NFD's TestGetExpirationDate asserts
    assert local_features == {
        "featureKeyRandomComment": "featureValue", "my-feature": "value", "foo": "baz", "featureKey2": "featureValue2",
        "featureKey3": "featureValue3", "featureKeyUnparsable": "featureValue", "featureKeyValid": "featureValue"}
    assert set(labels) == {"featureKeyRandomComment", "label-only", "label-only-2", "my-feature", "featureKey2",
                           "featureKey3", "featureKeyUnparsable", "featureKeyValid"}
    # big_file is skipped and the unparsable expiry is ignored; both are reported, like NFD logs them.
    assert any("big_file" in w and "larger than 65536" in w for w in warnings)
    assert any("unparsable_expiry_comment" in w and "expiry-time" in w for w in warnings)


def test_local_expiry_is_relative_to_now(make_root):
    past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    root = make_root({"etc/kubernetes/node-feature-discovery/features.d/f": (
        f"kept=1\n# +expiry-time={past}\ndropped=1\n# +expiry-time=2999-01-01T00:00:00.5+02:00\nlater=1\nflag\n")})
    features, _ = gather(str(root), ["local"], use_udev=False)
    assert features["attributes"]["local.feature"]["elements"] == {"kept": "1", "later": "1", "flag": "true"}
