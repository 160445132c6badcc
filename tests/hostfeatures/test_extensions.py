"""Every feature the gatherer emits is either NFD's or a registered, documented fleetcompat extension."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fleetcompat import catalog
from fleetcompat.hostfeatures import gather
from fleetcompat.hostfeatures.extensions import EXTENSION_FEATURES

from .conftest import REPO

NFD_NAMES = {info.name for info in catalog.NFD_FEATURES}


def feature_kinds(features: dict) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for section, kind in (("flags", "flag"), ("attributes", "attribute"), ("instances", "instance")):
        for name in features[section]:
            kinds.setdefault(name, set()).add(kind)
    return kinds


def test_gathered_names_are_nfd_or_registered_extensions(hwloc_trees):
    for root in ("/", str(hwloc_trees["32intel64-2p8co2t+8ve"])):
        features, _ = gather(root)
        for name, kinds in feature_kinds(features).items():
            info = catalog.lookup(name)
            assert info is not None, name
            assert kinds <= info.kinds, name
            assert info.extension == (name not in NFD_NAMES), name
            if info.elements is not None and section_elements(features, name):
                assert section_elements(features, name) <= info.elements, name


def section_elements(features: dict, name: str) -> set[str]:
    keys = set(features["attributes"].get(name, {}).get("elements", {}))
    for instance in features["instances"].get(name, {}).get("elements", []):
        keys |= set(instance["attributes"])
    return keys


def test_extensions_never_add_attributes_to_nfd_features():
    assert catalog.EXTENSION_ATTRIBUTES == {}
    assert not {name for name, _, _ in EXTENSION_FEATURES} & NFD_NAMES


def test_every_extension_is_documented():
    text = (REPO / "docs/extensions.md").read_text()
    for name, _, elements in EXTENSION_FEATURES:
        assert f"`{name}`" in text, name
        for element in (elements or "").split():
            assert f"`{element}`" in text, (name, element)


def test_spec_lint_warns_that_extensions_are_not_portable(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("""\
version: v1alpha1
compatibilities:
- rules:
  - name: nic driver
    matchFeatures:
    - feature: driver.network
      matchExpressions:
        driver: {op: In, value: [mlx5_core]}
        version: {op: Ge, value: ["5.8"], type: version}
""")
    result = subprocess.run([str(Path(sys.executable).parent / "fleetcompat"), "spec", "lint", str(spec)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "'driver.network' is a fleetcompat extension" in result.stderr
