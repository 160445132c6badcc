"""Hostile input files for every reader: special files, huge files, YAML bombs, deep nesting, numbers Python
will not convert, lone surrogates, malformed shapes. Each ends in one line and exit 2, within bounded time and
memory, and a bad host in a fleet is that host's error, not everybody's."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.hostile import FEATURES, SPEC, assert_one_line_error, fleetcompat, make_char_device, make_fifo

BOMB = """\
version: v1alpha1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
compatibilities: *i
"""



def _merge_bomb(levels: int) -> str:
    """Merge keys that double a mapping per level, anchors defined inline so no level is built on its own."""
    node = "&a0 {k: v}"
    for i in range(1, levels):
        node = f"&a{i} {{<<: [{node}, *a{i - 1}]}}"
    return f"version: v1alpha1\nx: {node}\ncompatibilities: []\n"


MERGE_BOMB = _merge_bomb(30)


@pytest.mark.parametrize("verb", ["spec-lint", "validate-spec", "validate-features", "images", "report"])
def test_fifo_input_is_refused_without_blocking(tmp_path, verb):
    fifo = make_fifo(tmp_path / "input")
    argv = {
        "spec-lint": ["spec", "lint", fifo],
        "validate-spec": ["validate", "--spec", fifo, "--features", FEATURES],
        "validate-features": ["validate", "--spec", SPEC, "--features", fifo],
        "images": ["audit", "--images", fifo, "--features", FEATURES, "--output-dir", tmp_path / "r"],
        "report": ["report", fifo],
    }[verb]
    assert_one_line_error(fleetcompat(*argv), str(fifo), "a FIFO, not a regular file")


def test_device_input_is_refused_without_reading(tmp_path):
    zero = make_char_device(tmp_path / "zero")
    run = fleetcompat("validate", "--spec", zero, "--features", FEATURES, memory_mb=512)
    assert_one_line_error(run, str(zero), "a character device, not a regular file")


def test_directory_input_is_refused(tmp_path):
    assert_one_line_error(fleetcompat("spec", "lint", tmp_path), str(tmp_path), "not a regular file")


def test_huge_input_is_refused_by_size_and_the_limit_is_overridable(tmp_path):
    sparse = tmp_path / "features.json"
    with sparse.open("wb") as out:
        out.truncate(2 * 1024**3)  # 2 GiB, sparse: reading it would take the memory it claims
    run = fleetcompat("validate", "--spec", SPEC, "--features", sparse, memory_mb=512)
    assert_one_line_error(run, str(sparse), "larger than 32 MiB", "FLEETCOMPAT_MAX_FEATURES_BYTES")

    padded = tmp_path / "padded.yaml"
    padded.write_text("# padding\n" * 50 + SPEC.read_text())
    assert fleetcompat("spec", "lint", padded).code == 0
    small = fleetcompat("spec", "lint", padded, env={"FLEETCOMPAT_MAX_SPEC_BYTES": "100"})
    assert_one_line_error(small, "larger than 100 bytes", "FLEETCOMPAT_MAX_SPEC_BYTES")
    bad = fleetcompat("spec", "lint", padded, env={"FLEETCOMPAT_MAX_SPEC_BYTES": "lots"})
    assert_one_line_error(bad, "FLEETCOMPAT_MAX_SPEC_BYTES='lots'", "positive whole number")


@pytest.mark.parametrize("bomb", [BOMB, MERGE_BOMB], ids=["aliases", "merge-keys"])
def test_yaml_bomb_is_refused_in_bounded_memory(tmp_path, bomb):
    spec = tmp_path / "bomb.yaml"
    spec.write_text(bomb)
    run = fleetcompat("spec", "lint", spec, memory_mb=768)
    assert_one_line_error(run, str(spec), "YAML aliases expand to more than 100000 values")


def test_deep_nesting_is_refused(tmp_path):
    yaml_spec = tmp_path / "deep.yaml"
    yaml_spec.write_text("version: v1alpha1\ncompatibilities: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert_one_line_error(fleetcompat("spec", "lint", yaml_spec), str(yaml_spec), "nested more than 64 levels")
    shallow_enough = tmp_path / "deep70.yaml"
    shallow_enough.write_text("version: v1alpha1\ncompatibilities: " + "[" * 70 + "]" * 70 + "\n")
    assert_one_line_error(fleetcompat("spec", "lint", shallow_enough), "nested more than 64 levels deep")

    features = tmp_path / "deep.json"
    features.write_text('{"flags": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert_one_line_error(fleetcompat("validate", "--spec", SPEC, "--features", features), str(features))

    result = tmp_path / "result.json"
    result.write_text("[" * 100_000 + "]" * 100_000)
    assert_one_line_error(fleetcompat("report", result), str(result), "nested too deeply")


def test_huge_integer_names_file_and_line(tmp_path):
    features = tmp_path / "features.json"
    features.write_text('{\n"attributes": {\n"kernel.version": {"elements": {"major": ' + "9" * 5000 + "}}}}")
    run = fleetcompat("validate", "--spec", SPEC, "--features", features)
    assert_one_line_error(run, f"{features}:3: attributes.kernel.version.elements.major", "Exceeds the limit")

    result = tmp_path / "result.json"
    result.write_text('{\n"schema": "x",\n"n": ' + "1" * 5000 + "}")
    assert_one_line_error(fleetcompat("report", result), f"{result}:3", "integer with more than 4300 digits")


def test_lone_surrogate_is_refused_naming_the_path(tmp_path):
    features = tmp_path / "features.json"
    features.write_text('{"attributes": {"system.name": {"elements": {"nodename": "x\\ud800y"}}}}')
    run = fleetcompat("validate", "--spec", SPEC, "--features", features)
    assert_one_line_error(run, str(features), "attributes.system.name.elements.nodename", "U+D800")

    spec = tmp_path / "spec.yaml"
    spec.write_text('version: v1alpha1\ncompatibilities:\n- description: "\\ud800"\n  rules: []\n')
    assert_one_line_error(fleetcompat("spec", "lint", spec), f"{spec}:3: compatibilities[0].description", "U+D800")


def test_escaped_surrogate_pairs_are_text():
    from fleetcompat.errors import FeaturesError
    from fleetcompat.files import load_json

    assert load_json(b'{"a": "\\ud83d\\ude00"}', "x.json", FeaturesError) == {"a": "\U0001f600"}


@pytest.mark.parametrize("doc, where", [
    ({"kind": 5}, "kind: expected a string, got integer"),
    ({"kind": "List", "items": {"a": 1}}, "items: expected a list, got mapping"),
    ({"kind": "NodeFeatureList", "items": 3}, "items: expected a list, got integer"),
    ({"flags": {"cpu.cpuid": {"elements": {"AVX": 1.5}}}}, "flag elements carry no value"),
    ({"instances": {"pci.device": {"elements": [{"attributes": {"vendor": 8086}}]}}}, "expected a string value"),
])
def test_malformed_shapes_are_one_line(tmp_path, doc, where):
    features = tmp_path / "features.json"
    features.write_text(json.dumps(doc))
    assert_one_line_error(fleetcompat("validate", "--spec", SPEC, "--features", features), where)


def test_nan_in_a_result_is_not_json(tmp_path):
    result = tmp_path / "result.json"
    result.write_text('{"schema": NaN}')
    assert_one_line_error(fleetcompat("report", result), "NaN is not JSON")


def test_one_hostile_host_does_not_sink_the_fleet(tmp_path):
    """A huge integer, a lone surrogate, a FIFO and a bomb among the hosts: each is that host's error, the good
    host is evaluated and every report is written."""
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    (hosts / "good.json").write_bytes(FEATURES.read_bytes())
    (hosts / "hugeint.json").write_text('{"attributes": {"a.b": {"elements": {"c": ' + "7" * 5000 + "}}}}")
    (hosts / "surrogate.json").write_text('{"attributes": {"system.name": {"elements": {"nodename": "\\udfff"}}}}')
    (hosts / "bomb.json").write_text(BOMB.replace("version: v1alpha1\n", "").replace("compatibilities", "flags"))
    make_fifo(hosts / "fifo.json")
    out = tmp_path / "reports"
    names = ["good", "hugeint", "surrogate", "bomb", "fifo"]
    run = fleetcompat("audit", "--spec", SPEC, *[f"--features={hosts / n}.json" for n in names],
                      "--output-dir", out, "--quiet", memory_mb=1024)
    assert run.code == 2, run.stderr  # undecidable: four hosts are errors
    assert "Traceback" not in run.stderr
    result = json.loads((out / "fleet-result.json").read_text())
    status = {h["name"]: h["status"] for h in result["hosts"]}
    assert status == {"good": "ok", "hugeint": "error", "surrogate": "error", "bomb": "error", "fifo": "error"}
    reasons = {h["name"]: h.get("reason", "") for h in result["hosts"]}
    assert "4300 digits" in reasons["hugeint"] or "Exceeds the limit" in reasons["hugeint"]
    assert "U+DFFF" in reasons["surrogate"]
    assert "aliases expand" in reasons["bomb"]
    assert "FIFO" in reasons["fifo"]
    assert (out / "fleet-report.html").stat().st_size > 0 and (out / "fleet-junit.xml").stat().st_size > 0


def test_no_input_is_read_through_a_symlinked_fifo(tmp_path):
    fifo = make_fifo(tmp_path / "fifo")
    link = tmp_path / "spec.yaml"
    os.symlink(fifo, link)
    assert_one_line_error(fleetcompat("spec", "lint", link), str(link), "a FIFO")
