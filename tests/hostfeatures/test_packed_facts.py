"""Packed features (`node_features_packed`, what playbooks/gather.yml caches): exact round trip for this machine
and real hwloc captures, through Ansible's own jsonfile cache too; hostile packed values are one host's error."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import sys
import tarfile
import zlib

import pytest

from fleetcompat.fleet.hosts import record_from_facts
from fleetcompat.hostfeatures import gather
from fleetcompat.hostfeatures.packed import PREFIX, PackedFeaturesError, pack, unpack
from fleetcompat.limits import MiB
from fleetcompat.results.fleet import HostStatus
from tests.support.trees import HWLOC

NOW = datetime.datetime(2026, 5, 4, 12, 0, tzinfo=datetime.UTC)
TREES = ("32em64t-2n8c+dax+nvme+mic+dimms", "nvidia-dgx-gb10", "2arm-2c")


@pytest.fixture(scope="module")
def feature_sets(tmp_path_factory) -> dict[str, dict]:
    """This machine's features and those of three real captures (x86 with NVMe and DIMMs, arm64 DGX, 32-bit arm)."""
    out = {"this machine": gather("/", use_udev=False)[0]}
    for name in TREES:
        dest = tmp_path_factory.mktemp("hwloc") / name
        with tarfile.open(HWLOC / f"{name}.tar.bz2") as tar:
            tar.extractall(dest, filter="data")
        (root,) = [p for p in dest.iterdir() if p.is_dir()]
        out[name] = gather(str(root), use_udev=False)[0]
    return out


def test_round_trip_is_exact_and_smaller(feature_sets):
    for name, features in feature_sets.items():
        packed = pack(features)
        assert unpack(packed, 32 * MiB) == features, name
        plain = len(json.dumps(features, ensure_ascii=False, separators=(",", ":")))
        assert len(packed) < plain / 2 or plain < 4096, (name, len(packed), plain)


def test_round_trip_through_ansibles_fact_cache(feature_sets, tmp_path):
    """Written and read by Ansible's jsonfile plugin (in a child: the plugin loader is process-wide state)."""
    packed = {name: pack(f) for name, f in feature_sets.items()}
    (tmp_path / "in.json").write_text(json.dumps(packed))
    script = (
        "import json, sys\n"
        "from ansible.plugins.loader import cache_loader, init_plugin_loader\n"
        "init_plugin_loader()\n"
        "cache = cache_loader.get('ansible.builtin.jsonfile', _uri=sys.argv[1], _prefix='', _timeout=0)\n"
        "values = json.load(open(sys.argv[2]))\n"
        "for n, v in enumerate(values.values()): cache.set(f'h{n}', {'node_features_packed': v})\n"
        "print(json.dumps([str(cache.get(f'h{n}')['node_features_packed']) for n in range(len(values))]))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cache"), str(tmp_path / "in.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    back = json.loads(proc.stdout)
    assert [unpack(v, 32 * MiB) for v in back] == list(feature_sets.values())


def test_identical_packed_hosts_are_unpacked_once(feature_sets):
    packed = pack(feature_sets["this machine"])
    seen: dict = {}
    first = record_from_facts("a", {"node_features_packed": packed}, "cache", NOW, seen=seen)
    second = record_from_facts("b", {"node_features_packed": packed}, "cache", NOW, seen=seen)
    assert first.status is HostStatus.OK and first.features is second.features and len(seen) == 1


def _bomb() -> str:
    return PREFIX + base64.b64encode(zlib.compress(b'{"a":"' + b"x" * (40 * MiB) + b'"}', 9)).decode()


@pytest.mark.parametrize("value, expected", [
    (_bomb(), "inflate to more than"),
    (PREFIX + "not base64!", "damaged packed features"),
    (PREFIX + base64.b64encode(zlib.compress(b"[1, 2]")).decode(), "not a JSON object"),
    (PREFIX + base64.b64encode(zlib.compress(b"{nope")).decode(), "not JSON"),
    (PREFIX + base64.b64encode(zlib.compress(b"{}")[:-3]).decode(), "truncated"),
    ({"a": 1}, "not packed features"),
])
def test_hostile_packed_values_are_that_hosts_error(value, expected):
    record = record_from_facts("evil<script>", {"node_features_packed": value}, "cache", NOW)
    assert record.status is HostStatus.ERROR and expected in record.reason
    assert "\n" not in record.reason and "evil<script>: node_features_packed" in record.reason
    with pytest.raises(PackedFeaturesError):
        unpack(value, 32 * MiB)
