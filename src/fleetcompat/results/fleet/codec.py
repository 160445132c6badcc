"""The fleet result as JSON: `encode`/`decode` between `FleetResult` and the document (shape: the package's
docstring), `dumps` for the file. Validation against the schema is `schema.py`'s."""

from __future__ import annotations

import json
from typing import Any

from fleetcompat.results.fleet.model import (
    Cell,
    FailingExpression,
    FailingRule,
    FailingTerm,
    FleetResult,
    FleetResultError,
    HostResult,
    HostStatus,
    ImageInfo,
    LastKnown,
    OutcomeNumbers,
    PlatformSpec,
    PlatformStatus,
    RunMeta,
    RunPart,
    SetInfo,
    SpecStatus,
    Status,
)
from fleetcompat.results.fleet.schema import SCHEMA_ID
from fleetcompat.results.remediation import (
    remediation_from_dict,
    remediation_to_dict,
)
from fleetcompat.results.waived import AppliedWaivers
from fleetcompat.spec.model import MatchExpression


def dumps(doc: dict[str, Any]) -> str:
    """Compact JSON, one line per host so that diffs and `grep` stay useful at 10,000 hosts."""
    head = {k: v for k, v in doc.items() if k != "hosts"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    hosts = ",\n".join(json.dumps(h, ensure_ascii=False, separators=(",", ":")) for h in doc["hosts"])
    return f'{text},\n"hosts":[\n{hosts}\n]}}\n'


def encode(result: FleetResult) -> dict[str, Any]:
    outcome_index = OutcomeNumbers()
    profiles: dict[str, dict[str, Any]] = {}
    hosts = []
    for host in result.hosts:
        cells = dict(zip(host.outcomes, outcome_index.of(host.outcomes.values()), strict=True))
        if host.profile is not None and host.profile not in profiles:
            profiles[host.profile] = {"summary": host.summary}
        hosts.append({"name": host.name, "groups": list(host.groups), "status": str(host.status),
                      "reason": host.reason, "profile": host.profile, "images": cells,
                      **({"part": host.part} if host.part is not None else {})})
    run = result.run
    return {
        "schema": SCHEMA_ID,
        "run": {"startedAt": run.started_at, "durationSeconds": run.duration_s,
                "tool": f"fleetcompat {run.tool_version}", "inventory": run.inventory, "limit": run.limit,
                **({"controller": run.controller} if run.controller is not None else {}),
                **({"parts": [_encode_part(p) for p in run.parts]} if run.parts else {})},
        "images": [_encode_image(i) for i in result.images],
        **({"waivers": result.waivers.to_dict()} if result.waivers is not None else {}),
        "profiles": profiles,
        "outcomes": [cell_to_dict(o) for o in outcome_index.by_value],
        "hosts": hosts,
    }


def _encode_part(part: RunPart) -> dict[str, Any]:
    return {"source": part.source, "startedAt": part.started_at, "durationSeconds": part.duration_s,
            "tool": f"fleetcompat {part.tool_version}", "controller": part.controller, "inventory": part.inventory,
            "limit": part.limit, "hosts": part.hosts, "superseded": list(part.superseded)}


def _decode_part(doc: dict[str, Any]) -> RunPart:
    return RunPart(doc["source"], doc["startedAt"], doc["durationSeconds"], doc["tool"].removeprefix("fleetcompat "),
                   doc["controller"], doc["inventory"], doc["limit"], doc["hosts"], tuple(doc["superseded"]))


def _encode_image(image: ImageInfo) -> dict[str, Any]:
    return {
        "alias": image.alias, "reference": image.reference, "digest": image.digest, "specDigest": image.spec_digest,
        "specSource": image.spec_source, "specStatus": str(image.spec_status), "specError": image.spec_error,
        "tags": list(image.tags), "sets": _encode_sets(image.sets),
        **({"platforms": [
            {"platform": p.platform, "status": str(p.status), "subject": p.subject, "specDigest": p.spec_digest,
             "specSource": p.spec_source, "reason": p.reason, "sets": _encode_sets(p.sets)}
            for p in image.platforms]} if image.platforms else {}),
    }


def _encode_sets(sets: tuple[SetInfo, ...]) -> list[dict[str, Any]]:
    return [{"index": s.index, "weight": s.weight, "tag": s.tag, "description": s.description} for s in sets]


def _decode_sets(docs: list[dict[str, Any]]) -> tuple[SetInfo, ...]:
    return tuple(SetInfo(s["index"], s["weight"], s["tag"], s["description"]) for s in docs)


def cell_to_dict(outcome: Cell) -> dict[str, Any]:
    """The JSON form of one outcome (an entry of the document's `outcomes` table)."""
    out: dict[str, Any] = {"status": str(outcome.status)}
    if outcome.best_set is not None:
        out["bestSet"] = outcome.best_set
    if outcome.reason is not None:
        out["reason"] = outcome.reason
    if outcome.platform is not None:
        out["platform"] = outcome.platform
    if outcome.original is not None:
        out["original"] = str(outcome.original)
        out["waiver"] = outcome.waiver
    if outcome.last_known is not None:
        out["lastKnown"] = {"status": str(outcome.last_known.status), "at": outcome.last_known.at}
    if outcome.failing:
        out["failingRules"] = [
            {"set": r.set_index, "rule": r.rule, "terms": [_encode_term(t) for t in r.terms]} for r in outcome.failing
        ]
    if outcome.remediation is not None:
        out["remediation"] = remediation_to_dict(outcome.remediation)
    return out


def _encode_term(term: FailingTerm) -> dict[str, Any]:
    out: dict[str, Any] = {"feature": term.feature, "featurePresent": term.feature_present}
    if term.any_of is not None:
        out["anyOf"] = term.any_of
    if term.instance_count:
        out["instanceCount"] = term.instance_count
        out["instanceIndex"] = term.instance_index
    out["expressions"] = [
        {"element": e.element, "expected": e.expected.as_dict(),
         "actual": list(e.actual) if isinstance(e.actual, tuple) else e.actual,
         "present": e.present, "evaluated": e.evaluated}
        for e in term.expressions
    ]
    return out


def decode(doc: dict[str, Any], where: str) -> FleetResult:
    run_doc = doc["run"]
    tool = run_doc["tool"]
    run = RunMeta(run_doc["startedAt"], run_doc["durationSeconds"], tool.removeprefix("fleetcompat "),
                  run_doc["inventory"], run_doc["limit"], run_doc.get("controller"),
                  tuple(_decode_part(p) for p in run_doc.get("parts", ())))
    images = [
        ImageInfo(i["alias"], i["reference"], i["digest"], i["specDigest"], i["specSource"],
                  SpecStatus(i["specStatus"]), i["specError"], tuple(i["tags"]), _decode_sets(i["sets"]),
                  tuple(PlatformSpec(p["platform"], PlatformStatus(p["status"]), p["subject"], p["specDigest"],
                                     p["specSource"], p["reason"], _decode_sets(p["sets"]))
                        for p in i.get("platforms", ())))
        for i in doc["images"]
    ]
    aliases = [i.alias for i in images]
    if len(set(aliases)) != len(aliases):
        raise FleetResultError("image aliases are not unique", where=f"{where}: images")
    waivers = AppliedWaivers.from_dict(doc["waivers"]) if "waivers" in doc else None
    outcomes = [_decode_cell(o) for o in doc["outcomes"]]
    entries = len(waivers.entries) if waivers is not None else 0
    for n, outcome in enumerate(outcomes):
        if outcome.waiver is not None and outcome.waiver >= entries:
            raise FleetResultError(f"waiver {outcome.waiver} does not exist ({entries} waivers)",
                                   where=f"{where}: outcomes[{n}]")
    profiles = doc["profiles"]
    hosts = []
    seen: set[str] = set()
    for n, h in enumerate(doc["hosts"]):
        at = f"{where}: hosts[{n}] ({h['name']})"
        if h["name"] in seen:
            raise FleetResultError("duplicate host name", where=at)
        seen.add(h["name"])
        if sorted(h["images"]) != sorted(aliases):
            raise FleetResultError(f"images {sorted(h['images'])} do not match the run's images {sorted(aliases)}",
                                   where=at)
        if h["profile"] is not None and h["profile"] not in profiles:
            raise FleetResultError(f"unknown profile {h['profile']!r}", where=at)
        if h.get("part") is not None and h["part"] >= len(run.parts):
            raise FleetResultError(f"part {h['part']} does not exist ({len(run.parts)} parts in run.parts)", where=at)
        cells = {}
        for alias in aliases:
            index = h["images"][alias]
            if index >= len(outcomes):
                raise FleetResultError(f"image {alias!r}: outcome {index} does not exist ({len(outcomes)} outcomes)",
                                       where=at)
            cells[alias] = outcomes[index]
        summary = profiles[h["profile"]]["summary"] if h["profile"] is not None else None
        hosts.append(HostResult(h["name"], tuple(h["groups"]), HostStatus(h["status"]), h["reason"], h["profile"],
                                summary, cells, h.get("part")))
    return FleetResult(run, images, hosts, waivers)


def _decode_cell(doc: dict[str, Any]) -> Cell:
    failing = tuple(
        FailingRule(r["set"], r["rule"], tuple(
            FailingTerm(t["feature"], t.get("anyOf"), t["featurePresent"], tuple(
                FailingExpression(
                    e["element"],
                    MatchExpression(e["expected"]["op"], tuple(e["expected"].get("value", ())),
                                    e["expected"].get("type", "")),
                    tuple(e["actual"]) if isinstance(e["actual"], list) else e["actual"],
                    e["present"], e["evaluated"])
                for e in t["expressions"]), t.get("instanceCount", 0), t.get("instanceIndex"))
            for t in r["terms"]))
        for r in doc.get("failingRules", ())
    )
    original = Status(doc["original"]) if "original" in doc else None
    # absent in results written before remediation hints, waivers and history
    remediation = remediation_from_dict(doc["remediation"]) if "remediation" in doc else None
    known = doc.get("lastKnown")
    last_known = LastKnown(Status(known["status"]), known["at"]) if known is not None else None
    return Cell(Status(doc["status"]), doc.get("bestSet"), failing, doc.get("reason"), doc.get("platform"),
                original, doc.get("waiver"), remediation, last_known)


