"""Operator semantics from the NFD reference §3.2 (Go Atoi, Masterminds semver coerce, RE2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fleetcompat.errors import EvaluationError
from fleetcompat.spec.ops import BoundError, atoi, compile_expression, parse_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 5), ("+5", 5), ("-5", -5), ("007", 7), ("9223372036854775807", 2**63 - 1),
     ("-9223372036854775808", -(2**63)), (" 5", None), ("5 ", None), ("1.0", None), ("0x1", None), ("5_0", None),
     ("", None), ("+", None), ("9223372036854775808", None), ("٣", None)],
)
def test_atoi_is_go_strconv_atoi(text, expected):
    assert atoi(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6.8.0-45-generic", (6, 8, 0)), ("6.0.0-beta", (6, 0, 0)), ("v1.2", (1, 2, 0)), ("5", (5, 0, 0)),
     ("01.2.3", (1, 2, 3)), ("1.2.3+build.7", (1, 2, 3)), ("550.54.15", (550, 54, 15)),
     ("-11", None), ("4.18.0-553.el8_10.x86_64", None), ("1.2.3.4", None), ("1.0.0-01", None), ("", None),
     ("1.2.3-", None), ("abc", None)],
)
def test_version_is_semver_coerce_without_prerelease(text, expected):
    assert parse_version(text) == expected


def match(op, values=(), kind="", valid=True, value=None):
    return compile_expression(op, tuple(values), kind)(valid, value)


def test_valueless_ops_on_missing_and_flag_elements():
    assert match("", valid=False) is True
    assert match("Exists", valid=False) is False
    assert match("Exists", valid=True, value=None) is True
    assert match("DoesNotExist", valid=False) is True
    assert match("DoesNotExist", valid=True, value="x") is False


def test_value_ops_are_false_for_missing_and_flag_elements_without_error():
    # NotIn on a missing element is false, not true.
    assert match("NotIn", ["a"], valid=False) is False
    assert match("In", ["a"], valid=True, value=None) is False
    # Gt with a flag element (no value) is false, not an error.
    assert match("Gt", ["5"], valid=True, value=None) is False


def test_in_notin_are_exact_and_case_sensitive():
    assert match("In", ["Intel", "AMD"], value="AMD") is True
    assert match("In", ["Intel"], value="intel") is False
    assert match("NotIn", ["Intel"], value="AMD") is True
    assert match("NotIn", ["Intel"], value="Intel") is False


def test_inregexp_searches_unanchored_with_re2():
    assert match("InRegexp", ["^AVX"], value="AVX512F") is True
    assert match("InRegexp", ["512"], value="AVX512F") is True
    assert match("InRegexp", ["^SSE", "^AVX"], value="XSAVE") is False
    with pytest.raises(BoundError, match="not a valid RE2"):
        compile_expression("InRegexp", ("(?=lookahead)",), "")
    with pytest.raises(BoundError, match="not a valid RE2"):
        compile_expression("InRegexp", (r"(a)\1",), "")


def test_pathological_regex_is_linear_time():
    # Catastrophic for a backtracking engine ((a+)+$ on 'a'*64+'b' is ~2**64 steps); RE2 answers at once.
    code = (
        "from fleetcompat.spec.ops import compile_expression\n"
        "m = compile_expression('InRegexp', ('(a+)+$', '(x|x|x)*y'), '')\n"
        "assert m(True, 'a' * 64 + 'b') is False\n"
        "assert m(True, 'x' * 5000) is False\n"
        "assert m(True, 'x' * 5000 + 'y') is True\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_integer_comparisons():
    assert match("Gt", ["5"], value="6") is True
    assert match("Gt", ["5"], value="5") is False
    assert match("Ge", ["5"], value="5") is True
    assert match("Lt", ["5"], value="-1") is True
    assert match("Le", ["5"], value="+5") is True
    assert match("GtLt", ["1", "10"], value="10") is False
    assert match("GeLe", ["1", "10"], value="10") is True


def test_host_value_that_is_not_an_integer_is_an_evaluation_error():
    with pytest.raises(EvaluationError, match=r"'1\.0' is not an integer"):
        match("Gt", ["0"], value="1.0")
    with pytest.raises(EvaluationError, match="is not an integer"):
        match("Ge", ["0"], value="")


def test_version_comparisons_drop_prerelease():
    assert match("Ge", ["6.8"], "version", value="6.8.0-45-generic") is True
    assert match("Gt", ["6.0.0"], "version", value="6.0.0-beta") is False
    assert match("GeLe", ["550", "560.99"], "version", value="555.42.06") is True
    # Reversed version bounds are no error (NFD checks order only for integers): they just never match.
    assert match("GeLe", ["2.0", "1.0"], "version", value="1.5") is False
    with pytest.raises(EvaluationError, match="not a version"):
        match("Gt", ["1"], "version", value="4.18.0-553.el8_10.x86_64")


@pytest.mark.parametrize(
    ("op", "values", "kind", "message"),
    [("In", [], "", "at least one value"), ("Exists", ["x"], "", "takes no value"),
     ("IsTrue", ["true"], "", "takes no value"), ("Gt", ["1", "2"], "", "exactly 1 value"),
     ("GtLt", ["1"], "", "exactly 2 values"), ("Gt", ["1.5"], "", "not an integer"),
     ("Gt", ["x"], "version", "not a version"), ("GtLt", ["5", "5"], "", "increasing"),
     ("GeLe", ["7", "5"], "", "increasing"), ("Gt", ["1"], "semver", "not supported"),
     ("", ["x"], "", "takes no value")],
)
def test_spec_side_problems_are_rejected_at_compile_time(op, values, kind, message):
    with pytest.raises(BoundError, match=message):
        compile_expression(op, tuple(values), kind)


def test_istrue_isfalse_are_case_sensitive():
    assert match("IsTrue", value="true") is True
    assert match("IsTrue", value="True") is False
    assert match("IsFalse", value="false") is True
    assert match("IsFalse", valid=False) is False
