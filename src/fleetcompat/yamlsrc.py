"""YAML/JSON documents that remember where each value came from, for one-line `file:line: path: problem` errors.

PyYAML composes a node graph with marks; we build plain Python values from it and keep a map from each value's
path (a tuple of keys and list indexes) to its 1-based line. Scalars resolve as YAML 1.1, like the Go decoder
(sigs.k8s.io/yaml over go-yaml v2) NFD uses, so `value: [yes]` is a boolean here exactly as it is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from fleetcompat.errors import FleetcompatError
from fleetcompat.files import not_unicode
from fleetcompat.limits import NESTING_DEPTH, YAML_ALIAS_NODES

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


@dataclass
class LocatedDocument:
    """A decoded document plus the line of every value, keyed by path."""

    data: Any
    source: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None

    def where(self, path: Path) -> str:
        line = self.line_of(path)
        loc = f"{self.source}:{line}" if line is not None else self.source
        return f"{loc}: {format_path(path)}"


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Builder:
    """Plain values from a composed node graph, bounded: PyYAML composes aliases as shared nodes, and building
    values from them expands every alias (and every merge key) into a copy, so a "billion laughs" document of a
    few hundred bytes would become 10^9 values. Copies beyond `YAML_ALIAS_NODES` and nesting beyond
    `NESTING_DEPTH` are refused."""

    def __init__(self, source: str, error_cls: type[FleetcompatError]) -> None:
        self.source = source
        self.error_cls = error_cls
        self.lines: dict[Path, int] = {}
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()
        self.copies = 0
        self.max_copies = YAML_ALIAS_NODES.value()

    def _fail(self, node: yaml.Node, path: Path, problem: str) -> FleetcompatError:
        return self.error_cls(problem, where=f"{self.source}:{node.start_mark.line + 1}: {format_path(path)}")

    def _count(self, node: yaml.Node, path: Path) -> None:
        if id(node) in self.seen:
            self.copies += 1
        else:
            self.seen.add(id(node))
        if self.copies > self.max_copies:
            raise self._fail(node, path, f"YAML aliases expand to more than {self.max_copies} values "
                             f"({YAML_ALIAS_NODES.name} raises the limit)")
        if len(path) > NESTING_DEPTH:
            raise self._fail(node, path, f"nested more than {NESTING_DEPTH} levels deep")

    def _pairs(self, node: yaml.MappingNode, path: Path) -> list[tuple[yaml.Node, yaml.Node]]:
        """The mapping's key/value nodes with merge keys (`<<: *base`) resolved as PyYAML's flatten_mapping does
        (merged entries first, the mapping's own after), counting every merged entry as a copy."""
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source_node in reversed(sources):
                if not isinstance(source_node, yaml.MappingNode):
                    raise self._fail(source_node, path, "a merge key (<<) takes a mapping or a list of mappings")
                inherited = self._pairs(source_node, path)
                self.copies += len(inherited)
                self._count(source_node, path)
                merged.extend(inherited)
        return merged + own

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._count(node, path)
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in self._pairs(node, path):
                key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str):
                    key = str(key) if isinstance(key, (int, float, bool)) else repr(key)
                if key in out:
                    raise self.error_cls(
                        f"duplicate key {key!r}", where=f"{self.source}:{key_node.start_mark.line + 1}: "
                        f"{format_path(path)}"
                    )
                out[key] = self.build(value_node, (*path, key))
            self.lines.pop((*path, "<key>"), None)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError as exc:  # int() of a number with more digits than Python converts
            raise self._fail(node, path, f"invalid YAML value: {exc}") from None
        problem = not_unicode(value) if isinstance(value, str) else None
        if problem:
            raise self._fail(node, path, problem)
        return value


def load_located(text: str | bytes, source: str, error_cls: type[FleetcompatError]) -> LocatedDocument:
    """Parse one YAML (or JSON) document; syntax errors become `error_cls` with file and line."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error_cls(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=source) from None
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise error_cls(f"invalid YAML: {problem}", where=f"{source}{line}") from None
    except yaml.YAMLError as exc:
        raise error_cls(f"invalid YAML: {exc}", where=source) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise error_cls(f"invalid YAML: nested more than {NESTING_DEPTH} levels deep", where=source) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise error_cls("empty document", where=source)
    if len(nodes) > 1:
        raise error_cls(
            f"expected one YAML document, found {len(nodes)}", where=f"{source}:{nodes[1].start_mark.line + 1}"
        )
    builder = _Builder(source, error_cls)
    try:
        data = builder.build(nodes[0], ())
    except yaml.YAMLError as exc:
        raise error_cls(f"invalid YAML: {exc}", where=source) from None
    return LocatedDocument(data=data, source=source, lines=builder.lines)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__
