"""Load NFD features from `nfd export features` JSON/YAML or from a Kubernetes `NodeFeature` object."""

from __future__ import annotations

import json
from typing import Any

from fleetcompat.errors import FeaturesError
from fleetcompat.features.model import Features
from fleetcompat.files import not_unicode, read_input
from fleetcompat.limits import FEATURES_BYTES
from fleetcompat.yamlsrc import LocatedDocument, Path, load_located, type_name

_SECTIONS = ("flags", "attributes", "instances")


def _fail(doc: LocatedDocument | None, source: str, path: Path, message: str) -> FeaturesError:
    return FeaturesError(message, where=doc.where(path) if doc else f"{source}: {'.'.join(map(str, path))}")


def _check_map(value: Any, doc: LocatedDocument | None, source: str, path: Path) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(doc, source, path, f"expected a mapping, got {type_name(value)}")
    return value


def _check_text(text: str, doc: LocatedDocument | None, source: str, path: Path) -> None:
    problem = not_unicode(text)  # from a JSON escape or a fact cache: a report could not be written
    if problem:
        raise _fail(doc, source, path, problem)


def _validate(root: Any, doc: LocatedDocument | None, source: str, base: Path) -> None:
    root = _check_map(root, doc, source, base)
    unknown = sorted(set(root) - set(_SECTIONS))
    if unknown:
        raise _fail(doc, source, (*base, unknown[0]),
                    f"unknown key {unknown[0]!r} (expected flags, attributes, instances)")
    for section in _SECTIONS:
        for name, feature in _check_map(root.get(section), doc, source, (*base, section)).items():
            fpath = (*base, section, name)
            _check_text(name, doc, source, fpath)
            feature = _check_map(feature, doc, source, fpath)
            extra = sorted(set(feature) - {"elements"})
            if extra:
                raise _fail(doc, source, (*fpath, extra[0]), f"unknown key {extra[0]!r} (expected elements)")
            elements = feature.get("elements")
            epath = (*fpath, "elements")
            if section == "instances":
                if elements is None:
                    continue
                if not isinstance(elements, list):
                    raise _fail(doc, source, epath, f"expected a list of instances, got {type_name(elements)}")
                for i, inst in enumerate(elements):
                    inst = _check_map(inst, doc, source, (*epath, i))
                    attrs = _check_map(inst.get("attributes"), doc, source, (*epath, i, "attributes"))
                    for key, val in attrs.items():
                        if not isinstance(val, str):
                            raise _fail(doc, source, (*epath, i, "attributes", key),
                                        f"expected a string value, got {type_name(val)}")
                        _check_text(key + val, doc, source, (*epath, i, "attributes", key))
            else:
                for key, val in _check_map(elements, doc, source, epath).items():
                    if section == "attributes" and not isinstance(val, str):
                        raise _fail(doc, source, (*epath, key), f"expected a string value, got {type_name(val)}")
                    if section == "flags" and val not in (None, {}):
                        raise _fail(doc, source, (*epath, key), "flag elements carry no value (expected {})")
                    _check_text(key + val if val else key, doc, source, (*epath, key))


def _unwrap(data: Any, doc: LocatedDocument | None, source: str) -> tuple[Any, Path]:
    """Accept `nfd export features` output, a NodeFeature object, or a one-item List of NodeFeatures."""
    if not isinstance(data, dict):
        raise _fail(doc, source, (), f"expected a mapping, got {type_name(data)}")
    kind = data.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise _fail(doc, source, ("kind",), f"expected a string, got {type_name(kind)}")
    if kind == "List" or (kind and kind.endswith("List")):
        items = data.get("items") or []
        if not isinstance(items, list):
            raise _fail(doc, source, ("items",), f"expected a list, got {type_name(items)}")
        if len(items) != 1:
            raise _fail(doc, source, ("items",),
                        f"a features file describes one host; this list has {len(items)} NodeFeature objects")
        inner, path = _unwrap(items[0], doc, source)
        return inner, ("items", 0, *path)
    if kind == "NodeFeature":
        spec = data.get("spec")
        if not isinstance(spec, dict) or "features" not in spec:
            raise _fail(doc, source, ("spec",), "NodeFeature object has no spec.features")
        return spec["features"], ("spec", "features")
    if kind is not None:
        raise _fail(doc, source, ("kind",), f"unsupported kind {kind!r} (expected NodeFeature or NFD features)")
    return data, ()


def parse_features_document(data: Any, source: str, doc: LocatedDocument | None = None) -> Features:
    inner, base = _unwrap(data, doc, source)
    _validate(inner, doc, source, base)
    return Features.from_nfd(inner)


def load_features(text: str | bytes, source: str) -> Features:
    """Parse features text: JSON fast path first, YAML (with line numbers for errors) otherwise."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Not JSON, or JSON Python will not hold (a huge integer, deep nesting): the YAML loader names the line.
        doc = load_located(text, source, FeaturesError)
        return parse_features_document(doc.data, source, doc)
    try:
        return parse_features_document(data, source)
    except FeaturesError:
        # Re-run through the located loader so the message carries the line number.
        doc = load_located(text, source, FeaturesError)
        return parse_features_document(doc.data, source, doc)


def load_features_file(path: str) -> Features:
    return load_features(read_input(path, "features file", FeaturesError, FEATURES_BYTES), path)
