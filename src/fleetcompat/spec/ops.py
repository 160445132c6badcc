"""NFD's match-expression operators (pkg/apis/nfd/nodefeaturerule/expression.go), compiled once per expression.

`compile_expression` validates the spec side (value counts, integer/version bounds, regexes) and returns a
matcher `(valid, input) -> bool`. `valid` says the element exists; `input` is its value, or None for a flag
element. Only the host side can still fail at evaluation time (e.g. `Gt` on a non-integer attribute), which
raises `EvaluationError` exactly where NFD returns an evaluation error.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import re2

from fleetcompat.errors import EvaluationError

Matcher = Callable[[bool, str | None], bool]

_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Masterminds/semver v3 `NewVersion` (coerce mode): missing minor/patch are 0; build metadata is ignored.
_SEMVER = re.compile(
    r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\Z"
)
_UINT64_MAX = 2**64 - 1

VALUELESS_OPS = frozenset({"", "Exists", "DoesNotExist", "IsTrue", "IsFalse"})
LIST_OPS = frozenset({"In", "NotIn", "InRegexp"})
ONE_BOUND_OPS = frozenset({"Gt", "Ge", "Lt", "Le"})
TWO_BOUND_OPS = frozenset({"GtLt", "GeLe"})


class BoundError(ValueError):
    """A spec-side value cannot be used (raised at parse time, turned into a SpecError by the parser)."""


def atoi(text: str) -> int | None:
    """Go `strconv.Atoi`: optional sign, ASCII digits, 64-bit range; anything else is None."""
    if not _ATOI.match(text):
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def parse_version(text: str) -> tuple[int, int, int] | None:
    """Masterminds semver v3 coerce parse, then NFD drops the pre-release: `6.8.0-45-generic` -> (6, 8, 0)."""
    m = _SEMVER.match(text)
    if not m:
        return None
    pre = m.group(4)
    if pre:
        for ident in pre.split("."):
            if ident.isdigit() and len(ident) > 1 and ident[0] == "0":
                return None
    parts = tuple(int(g) if g is not None else 0 for g in m.group(1, 2, 3))
    if any(p > _UINT64_MAX for p in parts):
        return None
    return parts  # type: ignore[return-value]


def _parser(kind: str) -> Callable[[str], object]:
    return parse_version if kind == "version" else atoi


def _host_value(parse: Callable[[str], object], kind: str, text: str) -> object:
    parsed = parse(text)
    if parsed is None:
        what = "a version" if kind == "version" else "an integer"
        raise EvaluationError(f"host value {text!r} is not {what}")
    return parsed


def compile_expression(op: str, values: tuple[str, ...], kind: str) -> Matcher:
    """Return the matcher for one expression; raise BoundError for spec-side problems."""
    if op == "":
        _expect_count(op, values, 0)
        return lambda valid, value: True
    if op == "Exists":
        _expect_count(op, values, 0)
        return lambda valid, value: valid
    if op == "DoesNotExist":
        _expect_count(op, values, 0)
        return lambda valid, value: not valid
    if op in ("IsTrue", "IsFalse"):
        _expect_count(op, values, 0)
        want = "true" if op == "IsTrue" else "false"
        return lambda valid, value: valid and value is not None and value == want
    if op in LIST_OPS:
        if not values:
            raise BoundError(f"op {op} needs at least one value")
        if op == "In":
            members = frozenset(values)
            return lambda valid, value: valid and value is not None and value in members
        if op == "NotIn":
            members = frozenset(values)
            return lambda valid, value: valid and value is not None and value not in members
        patterns = []
        for i, pattern in enumerate(values):
            try:
                patterns.append(re2.compile(pattern))
            except re2.error as exc:
                raise BoundError(f"value[{i}] {pattern!r} is not a valid RE2 regexp: {exc}") from None
        return _regexp_matcher(patterns)
    if op in ONE_BOUND_OPS or op in TWO_BOUND_OPS:
        if kind not in ("", "version"):
            raise BoundError(f"type {kind!r} is not supported (only \"version\")")
        need = 1 if op in ONE_BOUND_OPS else 2
        _expect_count(op, values, need)
        parse = _parser(kind)
        bounds = []
        for i, text in enumerate(values):
            parsed = parse(text)
            if parsed is None:
                what = "a version (semver: v?MAJOR[.MINOR[.PATCH]][-PRE][+META])" if kind == "version" else \
                    "an integer (Go Atoi: digits with an optional sign)"
                raise BoundError(f"value[{i}] {text!r} is not {what}")
            bounds.append(parsed)
        if need == 2 and kind == "" and bounds[0] >= bounds[1]:
            raise BoundError(f"bounds must be increasing for {op} (NFD rejects {list(values)})")
        return _comparison(op, bounds, parse, kind)
    raise BoundError(f"unknown op {op!r}")


_REGEXP_MEMO_LIMIT = 1 << 16


def _regexp_matcher(patterns: list) -> Matcher:
    # The same strings (CPU flag names, module names, vendor ids) recur on every host of a fleet; remembering
    # each string's answer makes a fleet cost one RE2 search per distinct string, not per host.
    memo: dict[str, bool] = {}

    def match(valid: bool, value: str | None) -> bool:
        if not valid or value is None:
            return False
        hit = memo.get(value)
        if hit is None:
            hit = any(p.search(value) is not None for p in patterns)
            if len(memo) < _REGEXP_MEMO_LIMIT:
                memo[value] = hit
        return hit

    return match


def _comparison(op: str, bounds: list, parse: Callable[[str], object], kind: str) -> Matcher:
    lo = bounds[0]
    hi = bounds[-1]
    compare: Callable[[object], bool] = {
        "Gt": lambda x: x > lo,
        "Ge": lambda x: x >= lo,
        "Lt": lambda x: x < lo,
        "Le": lambda x: x <= lo,
        "GtLt": lambda x: lo < x < hi,
        "GeLe": lambda x: lo <= x <= hi,
    }[op]

    def match(valid: bool, value: str | None) -> bool:
        if not valid or value is None:
            return False
        return compare(_host_value(parse, kind, value))

    return match


def _expect_count(op: str, values: tuple[str, ...], count: int) -> None:
    if len(values) != count:
        label = f"op {op}" if op else "the empty op (match anything)"
        if count == 0:
            raise BoundError(f"{label} takes no value, got {len(values)}")
        raise BoundError(f"{label} takes exactly {count} value{'s' if count > 1 else ''}, got {len(values)}")

OPS_HELP = "In, NotIn, InRegexp, Exists, DoesNotExist, Gt, Ge, Lt, Le, GtLt, GeLe, IsTrue, IsFalse or empty"
