"""`fleetcompat validate` and `fleetcompat spec lint`: outputs and every exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fleetcompat.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_FEATURES = REPO / "examples/features/xeon-sriov-node.json"

SPEC = """\
version: v1alpha1
compatibilities:
- description: needs an Intel or AMD CPU with AVX-512 and vfio-pci
  weight: 10
  tag: dpdk
  rules:
  - name: cpu
    matchFeatures:
    - feature: cpu.model
      matchExpressions:
        vendor_id: {op: In, value: [Intel, AMD]}
    - feature: cpu.cpuid
      matchExpressions:
        AVX512F: {op: Exists}
  - name: vfio
    matchFeatures:
    - feature: kernel.loadedmodule
      matchExpressions:
        vfio_pci: {op: Exists}
- description: fallback on any x86-64-v2 CPU
  weight: 1
  tag: generic
  rules:
  - name: v2
    matchFeatures:
    - feature: cpu.cpuid
      matchExpressions:
        X86_64_V2: {op: Exists}
"""


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def write_features(tmp_path, vendor="Intel", flags=("AVX512F", "X86_64_V2")) -> Path:
    doc = json.loads(EXAMPLE_FEATURES.read_text())
    doc["attributes"]["cpu.model"]["elements"]["vendor_id"] = vendor
    doc["flags"]["cpu.cpuid"]["elements"] = {f: {} for f in flags}
    path = tmp_path / f"features-{vendor}.json"
    path.write_text(json.dumps(doc))
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compatible_exits_0_with_table(capsys, spec_file):
    code, out, _ = run(capsys, "validate", "--spec", spec_file, "--features", EXAMPLE_FEATURES)
    assert code == 0
    assert "COMPATIBLE (best set #1, weight 10, tag dpdk)" in out
    assert "\x1b[" not in out  # not a TTY: no colour


def test_incompatible_exits_1_and_shows_actual_values(capsys, spec_file, tmp_path):
    code, out, _ = run(capsys, "validate", "--spec", spec_file, "--features", write_features(tmp_path, "Hygon", ()))
    assert code == 1
    assert "INCOMPATIBLE" in out
    line = next(line for line in out.splitlines() if "cpu.model.vendor_id" in line)
    assert "In [Intel, AMD]" in line and "Hygon" in line and "FAIL" in line


def test_tags_select_sets_and_unknown_tag_is_an_error(capsys, spec_file, tmp_path):
    features = write_features(tmp_path, "Hygon", ("X86_64_V2",))
    code, out, _ = run(capsys, "validate", "--spec", spec_file, "--features", features, "--tags", "generic")
    assert code == 0 and "tag generic" in out
    code, out, _ = run(capsys, "validate", "--spec", spec_file, "--features", features, "--tags", "dpdk")
    assert code == 1
    code, out, err = run(capsys, "validate", "--spec", spec_file, "--features", features, "--tags", "nope,other")
    assert code == 2 and out == ""
    assert err.strip() == (f"fleetcompat: error: {spec_file}: no compatibility set has tag nope, other "
                           "(tags in this spec: dpdk, generic)")


def test_json_output_has_verdict_best_set_actual_values_and_timing(capsys, spec_file, tmp_path):
    code, out, _ = run(capsys, "validate", "--spec", spec_file, "--features", write_features(tmp_path, "AMD"),
                       "--output", "json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "compatible"
    assert doc["bestSet"] == {"index": 0, "weight": 10, "tag": "dpdk",
                              "description": "needs an Intel or AMD CPU with AVX-512 and vfio-pci"}
    expr = doc["sets"][0]["rules"][0]["matchFeatures"][0]["expressions"][0]
    assert expr["actual"] == "AMD" and expr["matched"] is True
    assert doc["durationSeconds"] >= 0


def test_nfd_json_output_is_compact_without_trailing_newline(capsys, spec_file):
    code, out, _ = run(capsys, "validate", "--spec", spec_file, "--features", EXAMPLE_FEATURES,
                       "--output", "nfd-json")
    assert code == 0
    assert not out.endswith("\n") and ", " not in out
    assert json.loads(out)[0]["weight"] == 10


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda d, s: ["--spec", d / "missing.yaml", "--features", EXAMPLE_FEATURES],
         "missing.yaml: cannot read spec file: No such file or directory"),
        (lambda d, s: ["--spec", s, "--features", d / "missing.json"],
         "missing.json: cannot read features file: No such file or directory"),
    ],
)
def test_unreadable_inputs_exit_2(capsys, tmp_path, spec_file, make_args, expected):
    code, out, err = run(capsys, "validate", *make_args(tmp_path, spec_file))
    assert code == 2 and out == ""
    assert expected in err and err.count("\n") == 1


def test_bad_features_file_names_file_line_and_path(capsys, tmp_path, spec_file):
    bad = tmp_path / "bad.yaml"
    bad.write_text("attributes:\n  cpu.model:\n    elements:\n      family: 6\n")
    code, _, err = run(capsys, "validate", "--spec", spec_file, "--features", bad)
    assert code == 2
    assert err.strip() == (f"fleetcompat: error: {bad}:4: attributes.cpu.model.elements.family: "
                           "expected a string value, got integer")


def test_nodefeature_object_is_accepted(capsys, tmp_path, spec_file):
    doc = json.loads(EXAMPLE_FEATURES.read_text())
    node_feature = {"apiVersion": "nfd.k8s-sigs.io/v1alpha1", "kind": "NodeFeature",
                    "metadata": {"name": "node-1"}, "spec": {"features": doc, "labels": {}}}
    path = tmp_path / "nf.json"
    path.write_text(json.dumps(node_feature))
    assert run(capsys, "validate", "--spec", spec_file, "--features", path)[0] == 0


def test_evaluation_error_exits_2(capsys, tmp_path, spec_file):
    doc = json.loads(EXAMPLE_FEATURES.read_text())
    doc["attributes"]["kernel.version"]["elements"]["revision"] = ""
    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc))
    spec = tmp_path / "rev.yaml"
    spec.write_text("version: v1alpha1\ncompatibilities:\n- rules:\n  - name: r\n    matchFeatures:\n"
                    "    - feature: kernel.version\n      matchExpressions: {revision: {op: Gt, value: ['1']}}\n")
    code, _, err = run(capsys, "validate", "--spec", spec, "--features", path)
    assert code == 2 and "host value '' is not an integer" in err


def test_spec_lint_warns_and_strict_fails(capsys, tmp_path):
    spec = tmp_path / "lint.yaml"
    spec.write_text("""\
version: v1alpha1
compatibilities:
- rules:
  - name: r
    matchFeatures:
    - feature: kernel.loadedmodule
      matchExpressions: {vfio_pci: {op: In, value: [vfio_pci]}}
    - feature: cpu.model
      matchExpressions: {vendor: {op: In, value: [Intel]}}
    - feature: gpu.nvidai
      matchExpressions: {driver: {op: Exists}}
""")
    code, out, err = run(capsys, "spec", "lint", spec)
    assert code == 0 and "ok (1 compatibility set, 1 rule)" in out
    warnings = err.strip().splitlines()
    assert f"{spec}:6:" in warnings[0] and "flag feature: op In on element 'vfio_pci' can never match" in warnings[0]
    assert f"{spec}:8:" in warnings[1] and "cpu.model has no element 'vendor'" in warnings[1]
    assert "no feature source produces 'gpu.nvidai'" in warnings[2]
    assert run(capsys, "spec", "lint", "--strict", spec)[0] == 1


def test_spec_lint_error_exits_2(capsys, tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: v1alpha1\ncompatibilities:\n- rules:\n  - name: r\n    matchFeature: []\n")
    code, _, err = run(capsys, "spec", "lint", spec)
    assert code == 2
    assert "bad.yaml:5: compatibilities[0].rules[0].matchFeature: unknown key 'matchFeature'" in err
    assert "did you mean 'matchFeatures'?" in err


def test_console_script_prints_no_traceback_and_honours_no_color(tmp_path, spec_file):
    env = {"NO_COLOR": "1", "FORCE_COLOR": "", "PATH": "/usr/bin:/bin"}
    bad = subprocess.run([sys.executable, "-m", "fleetcompat", "validate", "--spec", str(tmp_path / "x.yaml"),
                          "--features", str(EXAMPLE_FEATURES)], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1
    forced = subprocess.run([sys.executable, "-m", "fleetcompat", "validate", "--spec", str(spec_file),
                             "--features", str(EXAMPLE_FEATURES)], capture_output=True, text=True,
                            env={**env, "NO_COLOR": "", "FORCE_COLOR": "1"})
    assert forced.returncode == 0 and "\x1b[32m" in forced.stdout
    usage = subprocess.run([sys.executable, "-m", "fleetcompat", "validate"], capture_output=True, text=True, env=env)
    assert usage.returncode == 2 and "one of the arguments --spec" in usage.stderr
