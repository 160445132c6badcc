"""Property-based fuzzing (Hypothesis) of the readers someone else feeds: the spec parser, the features loader, the
fleet-result loader with every renderer behind it, and the CLI. The invariant everywhere: a value or our own
one-line error, never another exception; the CLI exits 0, 1 or 2 with at most one line on stderr.

Each target is bounded (examples and input sizes) so the whole file runs in well under a minute."""

from __future__ import annotations

import contextlib
import copy
import io
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from fleetcompat._format.html import HtmlFormat
from fleetcompat._format.interface import ReportContext
from fleetcompat._format.junit import JunitFormat
from fleetcompat._format.markdown import MarkdownFormat
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.cli import main
from fleetcompat.engine import evaluate_spec
from fleetcompat.errors import EvaluationError, FeaturesError, SpecError
from fleetcompat.features.load import load_features
from fleetcompat.features.model import Features
from fleetcompat.results.fastschema import compile_check
from fleetcompat.results.fleet import FleetResult, FleetResultError, schema
from fleetcompat.results.gate import decide
from fleetcompat.spec import parse_spec
from tests.support.hostile import FEATURES, SPEC, fleetcompat

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                database=None, derandomize=True)

# Text that exercises every scalar resolver and syntax corner of YAML 1.1 and JSON.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["yes", "no", "~", "0x1F", "1e400", "9" * 5000, "\ud800", "In", "Gt",
                                           "Exists", "v1alpha1", "-", "<<", "&a", "*a", "!!binary x", "2020-13-45"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8) | st.sampled_from(
        ["version", "compatibilities", "rules", "matchFeatures", "matchAny", "feature", "matchExpressions",
         "matchName", "op", "value", "weight", "tag", "flags", "attributes", "instances", "elements", "kind",
         "items", "spec", "features", "name", "vars", "description"]), inner, max_size=4)), max_leaves=30)
yaml_noise = st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#%@` \n\tab01.<\\")), max_size=200)


def _mutate(doc, path_choices, value):
    """Replace one subtree of `doc` (chosen by `path_choices`) with `value`."""
    doc = copy.deepcopy(doc)
    node = doc
    for choice in path_choices:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) \
            if isinstance(node, list) else []
        if not children:
            break
        key, child = children[choice % len(children)]
        if not isinstance(child, (dict, list)) or choice % 3 == 0:
            node[key] = value
            return doc
        node = child
    return value if node is doc else doc


VALID_SPEC = yaml.safe_load(SPEC.read_text())
VALID_FEATURES = json.loads(FEATURES.read_text())
paths = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8)


@FUZZ
@given(st.one_of(yaml_noise, json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
                 st.tuples(paths, json_values).map(lambda pv: yaml.safe_dump(_mutate(VALID_SPEC, *pv)))))
def test_spec_parser_returns_a_spec_or_a_spec_error(text):
    with contextlib.suppress(SpecError):
        parse_spec(text, "fuzz.yaml")


@FUZZ
@given(st.one_of(st.binary(max_size=200), yaml_noise.map(str.encode),
                 st.tuples(paths, json_values).map(lambda pv: json.dumps(_mutate(VALID_FEATURES, *pv)).encode())))
def test_features_loader_returns_features_or_a_features_error(data):
    with contextlib.suppress(FeaturesError):
        load_features(data, "fuzz.json")


SPECS = [parse_spec(p.read_text(), str(p)) for p in sorted((SPEC.parent).glob("*.yaml"))]
element_names = st.sampled_from(["vendor", "class", "device", "major", "full", "AVX512F", "vfio_pci",
                                 "hugepages-1Gi", "sriov_totalvfs", "ID", "VERSION_ID", "driver", "x"])
element_values = st.one_of(st.text(max_size=10), st.sampled_from(["8086", "10de", "6", "-1", "9" * 30, "1.2.3",
                                                                  "v5", "true", "", " 7", "0x10", "\u00e9"]))
feature_names = st.sampled_from(["pci.device", "kernel.version", "cpu.cpuid", "kernel.loadedmodule", "system.osrelease",
                                 "memory.hugepages", "network.device", "cpu.model", "rule.matched"])
fuzzed_features = st.builds(
    lambda flags, attrs, instances: Features(flags=flags, attributes=attrs, instances=instances),
    st.dictionaries(feature_names, st.dictionaries(element_names, st.just({}), max_size=4), max_size=3),
    st.dictionaries(feature_names, st.dictionaries(element_names, element_values, max_size=4), max_size=4),
    st.dictionaries(feature_names, st.lists(st.dictionaries(element_names, element_values, max_size=4), max_size=4),
                    max_size=3),
)


@FUZZ
@given(fuzzed_features)
def test_engine_returns_a_verdict_or_an_evaluation_error(features):
    for spec in SPECS:
        with contextlib.suppress(EvaluationError):
            evaluate_spec(spec, features)


@pytest.fixture(scope="module")
def valid_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz-audit")
    fleetcompat("audit", "--spec", SPEC, "--spec", FEATURES.parent.parent / "specs/dpdk-sriov-nic.yaml",
                "--features", FEATURES, "--output-dir", out, "--quiet")
    return json.loads((out / "fleet-result.json").read_text())


@FUZZ
@given(data=st.data())
def test_result_loader_and_every_renderer_take_anything_the_loader_accepts(valid_result, data):
    doc = _mutate(valid_result, data.draw(paths), data.draw(json_values))
    try:
        result = FleetResult.from_dict(doc, "fuzz.json")
    except FleetResultError:
        return
    decision = decide(result)
    HtmlFormat().render(result, ReportContext(decision))
    JunitFormat().render(result)
    MarkdownFormat().render(result, ReportContext(decision))
    TerminalFormat(colour=False).render(result)


COMPILED_CHECK = compile_check(schema())


@FUZZ
@given(data=st.data())
def test_the_compiled_result_check_accepts_only_what_jsonschema_accepts(valid_result, data):
    # The loader takes the compiled check's "valid" without asking jsonschema, so it must never be more lenient.
    doc = _mutate(valid_result, data.draw(paths), data.draw(json_values))
    if COMPILED_CHECK(doc):
        assert Draft202012Validator(schema()).is_valid(doc)


VERBS = [["validate"], ["spec", "lint"], ["gate"], ["report"], ["audit"], ["gather"], ["discover"]]
FLAGS = ["--spec", "--features", "--tags", "--output", "--image", "--require", "--min-compatible",
         "--timeout", "--platform", "--offline", "--strict", "--quiet", "--exit-zero", "--rows", "--format"]
VALUES = ["", "-", "nan", "inf", "-1", "0", "1e9", "50%", "x" * 300, "\x00", "a,b,,", "linux/amd64",
          "localhost:1/x@sha256:zz", "json", "nfd-json", "table"]


@FUZZ
@given(verb=st.sampled_from(VERBS), rest=st.lists(st.sampled_from(FLAGS + VALUES), max_size=6))
def test_cli_exits_0_1_or_2_with_at_most_one_line(tmp_path_factory, verb, rest):
    files = {"SPEC": str(SPEC), "FEATURES": str(FEATURES)}
    argv = [*verb, *[files.get(a, a) for a in rest]]
    if verb == ["audit"] or "--output" in argv:  # keep fuzzed runs from writing into the checkout
        argv += ["--output-dir", str(tmp_path_factory.mktemp("cli"))] if verb == ["audit"] else []
        argv = [a if a != "--output" else "--quiet" for a in argv]
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse: usage errors exit 2
            code = stop.code
    assert code in (0, 1, 2), (argv, code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    lines = [line for line in err.getvalue().splitlines() if line.startswith("fleetcompat:")]
    assert len(lines) <= 1, (argv, err.getvalue())
    assert "internal error" not in err.getvalue(), (argv, err.getvalue())
