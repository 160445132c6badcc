"""The fleet result's JSON Schema (package data, draft 2020-12) and `validate_document`: a compiled check lets valid
documents through, `jsonschema` words every problem."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from fleetcompat.results.fleet.model import FleetResultError

SCHEMA_ID = "fleetcompat.fleet-result/v1"
SCHEMA_RESOURCE = "fleet-result-v1.json"


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of this document version (package data)."""
    text = resources.files("fleetcompat.results").joinpath("schema", SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def validate_document(doc: Any, where: str = "fleet result") -> None:
    """Raise FleetResultError (one line: where, JSON path, problem) unless `doc` is a valid v1 fleet result."""
    if isinstance(doc, dict) and isinstance(doc.get("schema"), str) and doc["schema"] != SCHEMA_ID:
        raise FleetResultError(f"unsupported document schema {doc['schema']!r} (this fleetcompat reads {SCHEMA_ID})",
                               where=where)
    view, first_index, names = _distinct_hosts(doc)
    if _accepts()(view) and (names is None or _host_names_accepted()(names)):
        return  # the common case, compiled; jsonschema decides (and words) everything else
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(view))
    path: list[Any] = []
    if error is not None:
        path = list(error.absolute_path)
        if path[:1] == ["hosts"] and len(path) > 1:
            path[1] = first_index[path[1]]
    elif names is not None:
        error = best_match(_host_name_validator().iter_errors(names))
        if error is not None:
            path = ["hosts", *error.absolute_path, "name"]
    if error is not None:
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "(document)"
        message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
        raise FleetResultError(f"does not match {SCHEMA_ID}: {text}: {message}", where=where)


def _distinct_hosts(doc: Any) -> tuple[Any, list[int], list[Any] | None]:
    """The document with each distinct host entry (apart from its name) once, for validation.

    Hosts of one hardware profile repeat everything but their name, so a 10,000-host result validates a few
    hundred entries (plus the names, against the schema's own rule for them) instead of 10,000.
    Returns the view, the original index of each view entry, and the names (None if `hosts` is not a list of
    objects: the view is then the document itself, and the schema reports the problem).
    """
    hosts = doc.get("hosts") if isinstance(doc, dict) else None
    if not isinstance(hosts, list):
        return doc, [], None
    if not all(isinstance(h, dict) for h in hosts):
        return doc, list(range(len(hosts))), None
    seen: dict[str, int] = {}
    first_index: list[int] = []
    distinct = []
    for index, host in enumerate(hosts):
        rest = {k: v for k, v in host.items() if k != "name"}
        key = json.dumps(rest, sort_keys=True, default=repr)
        if key not in seen:
            seen[key] = len(distinct)
            first_index.append(index)
            distinct.append(host)
    return {**doc, "hosts": distinct}, first_index, [h.get("name") for h in hosts]


def _host_names_schema() -> dict[str, Any]:
    return {"type": "array", "items": schema()["$defs"]["host"]["properties"]["name"]}


@cache
def _host_name_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_host_names_schema())


@cache
def _accepts():
    from fleetcompat.results.fastschema import compile_check

    return compile_check(schema())


@cache
def _host_names_accepted():
    from fleetcompat.results.fastschema import compile_check

    return compile_check(_host_names_schema())


