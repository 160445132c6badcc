"""A learned spec as YAML text, with a comment per condition naming the hosts that motivated it.

Everything is emitted by a YAML dumper (ruamel.yaml, which places comments); every value that came from a host
(module names, flags, IDs) is a double-quoted scalar, so `yes`, `0200`, `1:20` or a value with a newline, `#` or
quotes reads back as exactly that string, in YAML 1.1 (PyYAML, our parser) as in 1.2. Comments carry host names,
which nobody vetted: they are reduced to one line of printable characters before they are placed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fleetcompat.authoring.candidates import FLAG_FEATURES, Condition
from fleetcompat.spec.model import SPEC_VERSION

MAX_NAMES = 5
MAX_COMMENT = 300


def comment_text(text: str) -> str:
    """One line of printable text: line breaks of every kind (`\\n`, `\\r`, U+0085, U+2028, ...) and other
    control characters are shown as escapes, so a host name cannot end the comment and start YAML."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return flat if len(flat) <= MAX_COMMENT else flat[: MAX_COMMENT - 1] + "…"


def name_list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else "")


def _quoted(text: str) -> DoubleQuotedScalarString:
    return DoubleQuotedScalarString(text)


def _term(condition: Condition) -> CommentedMap:
    expressions = CommentedMap()
    for element, expr in condition.as_dict().items():
        body = CommentedMap()
        body["op"] = expr["op"]
        if "value" in expr:
            body["value"] = CommentedSeq(_quoted(v) for v in expr["value"])  # type: ignore[attr-defined]
            body["value"].fa.set_flow_style()
        if "type" in expr:
            body["type"] = expr["type"]
        # Flag names come from hosts; the other features' element names are fixed words (vendor, full, ID).
        expressions[_quoted(element) if condition.feature in FLAG_FEATURES else element] = body
    term = CommentedMap()
    term["feature"] = condition.feature
    term["matchExpressions"] = expressions
    return term


def spec_yaml(header: Sequence[str], sets: Sequence[Sequence[tuple[Condition, str]]]) -> str:
    """`sets`: per compatibility set, its conditions with the comment for each (one rule per condition)."""
    compatibilities = CommentedSeq()
    for conditions in sets:
        rules = CommentedSeq()
        for i, (condition, comment) in enumerate(conditions):
            rule = CommentedMap()
            rule["name"] = _quoted(condition.words)
            rule["matchFeatures"] = CommentedSeq([_term(condition)])
            rules.append(rule)
            rules.yaml_set_comment_before_after_key(i, before=comment_text(comment), indent=2)
        compatibilities.append(CommentedMap(rules=rules))
    doc = CommentedMap(version=SPEC_VERSION, compatibilities=compatibilities)
    doc.yaml_set_start_comment("\n".join(comment_text(line) for line in header))
    yaml = YAML()
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.width = 4096  # no folding of long double-quoted values
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
