"""`spec from-hosts`: specs learned from real gathered trees separate them exactly, are lint clean, say which
hosts motivated each condition, and refuse (exit 2, naming hosts) when stable features cannot tell hosts apart."""

from __future__ import annotations

import json

import pytest
import yaml

from fleetcompat.cli import main
from fleetcompat.engine import evaluate_spec
from fleetcompat.features import load_features_file
from fleetcompat.spec import load_spec_file
from tests.support.lab import run_fleetcompat as run_cli

from .conftest import write_fact_cache

STABLE = {"kernel.loadedmodule", "kernel.enabledmodule", "pci.device", "cpu.cpuid", "kernel.version",
          "system.osrelease"}
# Trees without a CPU flag, a PCI device, a kernel or an OS release in their capture: nothing stable to go by.
FEATURELESS = ("2ps3-2t", "4fake-4gr1nu1pu")


def learn(capsys, tmp_path, good, bad, *extra):
    out = tmp_path / "proposed.yaml"
    code = main(["spec", "from-hosts", "--good", *map(str, good), "--bad", *map(str, bad), "-o", str(out), *extra])
    captured = capsys.readouterr()
    return code, out, captured.err


def assert_separates(spec_path, good, bad):
    """Independently of the command's own check: the full features files, evaluated one by one."""
    spec = load_spec_file(str(spec_path))
    assert {t.feature for t in spec.terms()} <= STABLE
    for path in good:
        assert evaluate_spec(spec, load_features_file(str(path))).compatible, path
    for path in bad:
        assert not evaluate_spec(spec, load_features_file(str(path))).compatible, path
    assert main(["spec", "lint", "--strict", str(spec_path)]) == 0
    return spec


PARTITIONS = {
    # hosts with a captured PCI bus against every other tree with something stable
    "pci-captures": ["2pa-pcidomain32bits", "32intel64-2p8co2t+8ve"],
    # AVX-512 Xeon and an ARM Grace: no one condition holds on both, so two compatibility sets
    "arm-and-xeon": ["nvidia-dgx-gb10", "32intel64-2p8co2t+8ve"],
    "amd": ["16amd64-4n4c-cgroup-distance-merge", "16amd64-8n2c", "48amd64-4pa2n6c-sparse"],
}


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
def test_learned_from_fixture_trees_separates_them_exactly(capsys, tmp_path, tree_features, partition):
    good = [tree_features[n] for n in PARTITIONS[partition]]
    bad = [p for n, p in tree_features.items() if n not in PARTITIONS[partition] and n not in FEATURELESS]
    code, out, err = learn(capsys, tmp_path, good, bad)
    assert code == 0, err
    spec = assert_separates(out, good, bad)
    text = out.read_text()
    rules = [r for c in spec.compatibilities for r in c.rules]
    # one comment per condition, right above its rule, naming the hosts behind it
    assert text.count("  # rules out bad host") == len(rules) == sum(len(r.match_features) for r in rules)
    assert "verified against every input host" in err
    if partition == "arm-and-xeon":
        assert len(spec.compatibilities) == 2
        assert "holds on good host nvidia-dgx-gb10" in text
    if partition == "amd":
        assert len(rules) <= 2


def test_kernel_range_module_and_os_learned_from_software_hosts(capsys, tmp_path, software_hosts):
    good = [software_hosts["k68-vfio"], software_hosts["k515-vfio"]]
    bad = [software_hosts["k54-vfio"], software_hosts["k68-novfio"], software_hosts["k514-rhel"]]
    code, out, err = learn(capsys, tmp_path, good, bad)
    assert code == 0, err
    spec = assert_separates(out, good, bad)
    exprs = {(t.feature, e, x.op, x.value) for t in spec.terms() for e, x in t.match_expressions}
    assert ("kernel.version", "full", "Ge", ("5.15.0",)) in exprs  # 5.4 ruled out by a range, not by name
    # vfio and vfio_pci are loaded together on every host here: either tells the same hosts apart
    assert {("kernel.loadedmodule", m, "Exists", ()) for m in ("vfio", "vfio_pci")} & exprs
    assert len(exprs) == 2  # one set of two conditions: the kernel range and the module
    text = out.read_text()
    assert "rules out bad hosts k54-vfio, k514-rhel" in text and "rules out bad host k68-novfio" in text


def test_learned_with_nfd_testdata_pci_tree(capsys, tmp_path, software_hosts, tree_features):
    """NFD's own PCI fixture (an Intel QAT 37c8 with SR-IOV) against the hwloc captures that have PCI."""
    good = [software_hosts["k68-vfio"]]
    bad = [tree_features[n] for n in PARTITIONS["pci-captures"]]
    code, out, err = learn(capsys, tmp_path, good, bad)
    assert code == 0, err
    assert_separates(out, good, bad)


def test_fact_cache_hosts_by_glob_rest_are_bad(tmp_path, software_hosts):
    cache = write_fact_cache(tmp_path / "cache", {**software_hosts, "down-host": None})
    out = tmp_path / "proposed.yaml"
    proc = run_cli("spec", "from-hosts", "--facts-cache", cache, "--good", "k68-vfio", "k515-*", "-o", out)
    assert proc.returncode == 0, proc.stderr
    good = [software_hosts["k68-vfio"], software_hosts["k515-vfio"]]
    assert_separates(out, good, [p for n, p in software_hosts.items() if p not in good])
    proc = run_cli("spec", "from-hosts", "--facts-cache", cache, "--good", "nomatch-*")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no cached host matches 'nomatch-*'" in proc.stderr
    proc = run_cli("spec", "from-hosts", "--facts-cache", cache, "--good", "down-host")
    assert proc.returncode == 2 and "down-host" in proc.stderr and "no usable features" in proc.stderr


# ---------------------------------------------------------------------------------------------- hostile


def test_good_host_equal_to_bad_host_is_named(capsys, tmp_path, tree_features):
    twin = tmp_path / "twin-of-xeon.json"
    twin.write_text(tree_features["32intel64-2p8co2t+8ve"].read_text())
    code, out, err = learn(capsys, tmp_path, [tree_features["32intel64-2p8co2t+8ve"]],
                           [twin, tree_features["16amd64-8n2c"]])
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and "cannot be told apart: 32intel64-2p8co2t+8ve = twin-of-xeon" in err


def test_featureless_trees_are_indistinguishable(capsys, tmp_path, tree_features):
    code, _, err = learn(capsys, tmp_path, [tree_features["2ps3-2t"]], [tree_features["4fake-4gr1nu1pu"]])
    assert code == 2 and "2ps3-2t = 4fake-4gr1nu1pu" in err


def test_bad_host_with_everything_the_good_host_has_is_named(capsys, tmp_path, tree_features):
    """A superset of PCI devices: no positive condition rules the bad host out, and PCI has no negative ones."""
    good = json.loads(tree_features["2pa-pcidomain32bits"].read_text())
    bad = json.loads(json.dumps(good))
    bad["instances"]["pci.device"]["elements"].append({"attributes": {"vendor": "10de", "device": "2330",
                                                                      "class": "0302"}})
    (tmp_path / "g.json").write_text(json.dumps(good))
    (tmp_path / "b.json").write_text(json.dumps(bad))
    code, _, err = learn(capsys, tmp_path, [tmp_path / "g.json"], [tmp_path / "b.json"])
    assert code == 2 and "no stable feature holds on good host g and fails on bad host b" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--good", "{good}"], "--bad FILE... is needed"),
    (["--good", "{empty}", "--bad", "{good}"], "empty.json"),
    (["--good", "{good}", "--bad", "{fifo}"], "not a regular file"),
    (["--good", "{good}", "--bad", "{missing}"], "cannot read features file"),
    (["--good", "{good}", "--bad", "{other}", "-o", "{fifo}"], "cannot write: exists and is a FIFO"),
    (["--good", "{good}", "--bad", "{other}", "-o", "{tmp}"], "cannot write: exists and is a directory"),
])
def test_bad_inputs_and_outputs_are_one_line_errors(capsys, tmp_path, tree_features, args, message):
    import os

    paths = {"good": tree_features["16amd64-8n2c"], "other": tree_features["2arm-2c"],
             "empty": tmp_path / "empty.json", "fifo": tmp_path / "fifo", "missing": tmp_path / "missing.json",
             "tmp": tmp_path}
    paths["empty"].write_text("")
    os.mkfifo(paths["fifo"])
    code = main(["spec", "from-hosts", *(a.format(**paths) for a in args)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_features_file_over_its_cap_is_refused(capsys, tree_features, monkeypatch):
    monkeypatch.setenv("FLEETCOMPAT_MAX_FEATURES_BYTES", "1000")
    code = main(["spec", "from-hosts", "--good", str(tree_features["16amd64-8n2c"]), "--bad",
                 str(tree_features["2arm-2c"])])
    err = capsys.readouterr().err
    assert code == 2 and "FLEETCOMPAT_MAX_FEATURES_BYTES raises the limit" in err


def test_a_module_only_bad_hosts_load_gives_a_negative_condition(capsys, tmp_path, software_hosts):
    """The bad host has every module of the good one and nouveau: only "nouveau not loaded" tells them apart."""
    doc = json.loads(software_hosts["k68-vfio"].read_text())
    (tmp_path / "with-nvidia.json").write_text(json.dumps(doc))
    doc["flags"]["kernel.loadedmodule"]["elements"]["nouveau"] = {}
    (tmp_path / "with-nouveau.json").write_text(json.dumps(doc))
    good, bad = [tmp_path / "with-nvidia.json"], [tmp_path / "with-nouveau.json"]
    code, out, err = learn(capsys, tmp_path, good, bad)
    assert code == 0, err
    spec = assert_separates(out, good, bad)
    assert [(t.feature, t.match_expressions[0][0], t.match_expressions[0][1].op) for t in spec.terms()] == [
        ("kernel.loadedmodule", "nouveau", "DoesNotExist")]


def test_hosts_with_the_same_file_name_are_named_by_path(tmp_path):
    from fleetcompat.authoring.hosts import file_names

    assert [n.name for n in file_names(["a/x.json", "b/y.json"])] == ["x", "y"]
    assert [n.name for n in file_names(["a/x.json", "b/x.json"])] == ["a/x.json", "b/x.json"]


HOSTILE = ['evil\n# injected: true\nversion: v9', "quote'\"and\\back", "yes", "0200", "1:20", "a\u2028b\x85c",
           "[x]: y", "&anchor *alias", "{flow: map}"]


def test_hostile_values_and_host_names_are_emitted_safely(capsys, tmp_path, software_hosts):
    base = json.loads(software_hosts["k515-vfio"].read_text())
    good, bad = [], []
    for i, value in enumerate(HOSTILE):
        doc = json.loads(json.dumps(base))
        doc["flags"]["kernel.loadedmodule"]["elements"] = {value: {}}
        doc["attributes"]["system.osrelease"]["elements"]["ID"] = "ubuntu"
        path = tmp_path / f"good {i}\n# injected-host: {value.splitlines()[0]}.json"
        path.write_text(json.dumps(doc))
        good.append(path)
    plain = json.loads(json.dumps(base))
    plain["flags"]["kernel.loadedmodule"]["elements"] = {"plain": {}}
    (tmp_path / "bad.json").write_text(json.dumps(plain))
    bad.append(tmp_path / "bad.json")
    code, out, err = learn(capsys, tmp_path, good, bad)
    assert code == 0, err
    text = out.read_text()
    doc = yaml.safe_load(text)
    assert sorted(doc) == ["compatibilities", "version"] and doc["version"] == "v1alpha1"
    modules = {e for c in doc["compatibilities"] for r in c["rules"] for t in r["matchFeatures"]
               for e in t["matchExpressions"]}
    assert modules == set(HOSTILE)  # every value read back exactly, one set per module (no common condition)
    for line in text.splitlines():  # no host name broke out of its comment
        assert not line.lstrip().startswith("# injected") and "injected-host" not in line.split("#")[0]
    assert_separates(out, good, bad)
