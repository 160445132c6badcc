"""`spec lint`: the checks that need no fleet (module names with '-', back-references, rules without conditions,
values of the wrong case) and `--fleet`: expressions no host or every host satisfies, on gathered trees."""

from __future__ import annotations

import os
import textwrap

import pytest

from fleetcompat.cli import main
from tests.support.lab import run_fleetcompat as run_cli

from .conftest import write_fact_cache

REPO_SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "specs")


def lint(capsys, tmp_path, text, *args):
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(text))
    code = main(["spec", "lint", str(spec), *map(str, args)])
    out, err = capsys.readouterr()
    warnings = [line.split(": warning: ", 1)[1] for line in err.splitlines() if ": warning: " in line]
    return code, out, warnings or err


PLAIN = """\
    version: v1alpha1
    compatibilities:
    - rules:
      - name: nothing
      - name: gpu
        vars: {gpu: "yes"}
        matchFeatures:
        - feature: kernel.loadedmodule
          matchExpressions:
            vfio-pci: {op: Exists}
            vfio_pci: {op: Exists}
        - feature: cpu.cpuid
          matchExpressions: {avx512f: {op: Exists}, AVX512F: {op: Exists}, VFPv3: {op: Exists}}
        - feature: pci.device
          matchExpressions: {vendor: {op: In, value: ["10DE", "8086"]}, class: {op: In, value: ["0300"]}}
        - feature: system.osrelease
          matchExpressions: {id: {op: In, value: [ubuntu]}, ID: {op: In, value: [Ubuntu, rhel]}}
      - name: uses gpu
        matchFeatures:
        - feature: rule.matched
          matchExpressions: {gpu: {op: Exists}, nic: {op: Exists}}
        matchAny:
        - matchFeatures: []
        - matchFeatures:
          - feature: kernel.enabledmodule
            matchName: {op: In, value: [nvidia-drm]}
    - rules:
      - name: no earlier rule here
        matchFeatures:
        - feature: rule.matched
          matchExpressions: {gpu: {op: Exists}}
"""


def test_plain_lint_checks(capsys, tmp_path):
    code, out, warnings = lint(capsys, tmp_path, PLAIN)
    assert code == 0 and "ok (2 compatibility sets, 4 rules)" in out
    assert warnings == [
        "rule has no matchFeatures and no matchAny: it always matches",
        "module name 'vfio-pci' has '-': /proc/modules and modules.builtin always spell it with '_' ('vfio_pci'), "
        "so this can never match",
        "CPU flag 'avx512f' is lower-case; NFD's CPU flags are upper-case ('AVX512F')",
        "pci.device.vendor values are lower-case in NFD; '10DE' can never be equal ('10de')",
        "os-release key 'id' is not upper-case as in /etc/os-release ('ID')",
        "system.osrelease.ID values are lower-case in NFD; 'Ubuntu' can never be equal ('ubuntu')",
        "back-reference to var 'nic', which no earlier rule of this set sets (rule.matched holds only earlier "
        "rules' vars): it never matches",
        "matchAny element has no matchFeatures: it always matches, and so does the matchAny",
        "matchName: module name 'nvidia-drm' has '-': /proc/modules and modules.builtin always spell it with '_' "
        "('nvidia_drm'), so this can never match",
        "back-reference to var 'gpu', which no earlier rule of this set sets (rule.matched holds only earlier "
        "rules' vars): it never matches",
    ]
    assert main(["spec", "lint", "--strict", str(tmp_path / "spec.yaml")]) == 1


def test_nfd_docs_example_is_caught_and_the_other_examples_stay_clean(capsys):
    assert main(["spec", "lint", *sorted(os.path.join(REPO_SPECS, f) for f in os.listdir(REPO_SPECS))]) == 0
    err = capsys.readouterr().err
    assert "nfd-docs-example.yaml:8:" in err and "'vfio-pci' has '-'" in err
    assert err.count(": warning: ") == 2  # and cuda-app's extension feature, as before


FLEET_SPEC = """\
    version: v1alpha1
    compatibilities:
    - rules:
      - name: x86 with AVX-512 and an Intel device
        matchFeatures:
        - feature: cpu.cpuid
          matchExpressions: {AVX512F: {op: Exists}, AMXFP16: {op: Exists}}
        - feature: cpu.model
          matchExpressions: {vendor_id: {op: Exists}}
        - feature: pci.device
          matchExpressions: {vendor: {op: In, value: ["8086"]}}
"""


def test_fleet_of_gathered_trees(capsys, tmp_path, tree_features):
    code, out, warnings = lint(capsys, tmp_path, FLEET_SPEC, "--fleet", *tree_features.values())
    assert code == 0 and f"against {len(tree_features)} hosts" in out
    n = len(tree_features)
    assert warnings == [f"no host of the fleet ({n}) satisfies cpu.cpuid.AMXFP16 Exists",
                        f"every host of the fleet ({n}) satisfies cpu.model.vendor_id Exists: it tells no host "
                        "apart there"]
    assert lint(capsys, tmp_path, FLEET_SPEC, "--strict", "--fleet", *tree_features.values())[0] == 1


def test_fleet_host_the_engine_cannot_evaluate_is_reported(capsys, tmp_path):
    host = tmp_path / "odd.json"
    host.write_text('{"attributes": {"kernel.version": {"elements": {"major": "six"}}}}')
    spec = """\
        version: v1alpha1
        compatibilities:
        - rules:
          - name: new kernel
            matchFeatures:
            - feature: kernel.version
              matchExpressions: {major: {op: Ge, value: ["5"]}}
    """
    code, _, warnings = lint(capsys, tmp_path, spec, "--fleet", host)
    assert code == 0 and len(warnings) == 1
    assert ("the engine cannot evaluate the spec on 1 host(s), e.g. odd: host value 'six' is not an integer"
            in warnings[0])


def test_fleet_from_a_fact_cache(tmp_path, tree_features):
    cache = write_fact_cache(tmp_path / "cache", {"xeon": tree_features["32intel64-2p8co2t+8ve"],
                                                  "amd": tree_features["16amd64-8n2c"], "down": None})
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(FLEET_SPEC))
    proc = run_cli("spec", "lint", spec, "--fleet", cache)
    assert proc.returncode == 0, proc.stderr
    assert "against 2 hosts" in proc.stdout
    assert f"{cache}: down: left out: no node_features fact cached" in proc.stderr
    assert "no host of the fleet (2) satisfies cpu.cpuid.AMXFP16 Exists" in proc.stderr
    assert "AVX512F" not in proc.stderr  # the Xeon has it, the old AMD does not


@pytest.mark.parametrize(("kind", "message"), [("fifo", "a FIFO, not a regular file"),
                                               ("missing", "No such file or directory"),
                                               ("broken", "flag elements carry no value"),
                                               ("big", "FLEETCOMPAT_MAX_FEATURES_BYTES raises the limit")])
def test_fleet_bad_inputs_are_one_line_errors(capsys, tmp_path, monkeypatch, kind, message):
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken":
        path.write_text('{"flags": {"cpu.cpuid": {"elements": {"AVX": 1}}}}')
    elif kind == "big":  # one file may be a fleet result (read with its larger cap): a features file keeps its own
        path.write_text('{"flags": {"cpu.cpuid": {"elements": {"AVX": {}}}}}' + " " * 200)
        monkeypatch.setenv("FLEETCOMPAT_MAX_FEATURES_BYTES", "100")
    code, out, err = lint(capsys, tmp_path, FLEET_SPEC, "--fleet", path)
    assert code == 2 and out == "" and err.count("\n") == 1 and str(path) in err and message in err, err


def test_fleet_result_of_an_audit_with_the_spec_gives_the_same_warnings(capsys, tmp_path, tree_features):
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(FLEET_SPEC))
    hosts = [a for path in tree_features.values() for a in ("--features", str(path))]
    assert main(["audit", *hosts, "--spec", str(spec), "--output-dir", str(tmp_path / "r"), "--format", "json"]) == 1
    capsys.readouterr()
    from_features = lint(capsys, tmp_path, FLEET_SPEC, "--fleet", *tree_features.values())
    from_result = lint(capsys, tmp_path, FLEET_SPEC, "--fleet", tmp_path / "r/fleet-result.json")
    assert from_result == from_features and len(from_result[2]) == 2
    code, _, err = lint(capsys, tmp_path, FLEET_SPEC + "# another revision: another digest\n", "--fleet",
                        tmp_path / "r/fleet-result.json")
    assert code == 2 and err.count("\n") == 1 and "no image of this fleet result was audited with this spec" in err
