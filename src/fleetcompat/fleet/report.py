"""Assemble the fleet result of one audit and write it with its reports; shared by Ansible and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fleetcompat.engine.batch import EvaluationOutcome
from fleetcompat.errors import FleetcompatError
from fleetcompat.files import write_files
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.resolve import Resolution, ResolvedImage, host_platform
from fleetcompat.limits import REASON_LIMIT, cap_strings, cap_text
from fleetcompat.results.fleet import (
    Cell,
    FleetResult,
    FleetResultBuilder,
    HostStatus,
    PlatformStatus,
    ProfilePieces,
    RunMeta,
    dumps,
)
from fleetcompat.results.gate import decide


def build_result(resolved: Sequence[ResolvedImage], hosts: Sequence[HostRecord],
                 outcomes: Mapping[str, Mapping[str, EvaluationOutcome | None]], run: RunMeta,
                 duration_s: float | None = None, profile_pieces: ProfilePieces | None = None) -> FleetResult:
    """`outcomes`: host -> alias -> evaluation or engine error, for the hosts that were gathered (cells where the
    host's platform has no spec are derived from the image's resolutions). `profile_pieces`: see `profile_key`."""
    builder = FleetResultBuilder(run, profile_pieces)
    for image in resolved:
        builder.add_image(image.alias, image.entry.reference, spec=image.spec, digest=image.digest,
                          spec_digest=image.spec_digest, spec_source=image.spec_source,
                          spec_status=image.status, spec_error=image.reason, tags=image.entry.tags)
        if image.entry.image is not None:  # which spec (subject) each platform's hosts are audited with
            for r in image.resolutions:
                builder.add_platform(image.alias, r.platform, r.status, spec=r.spec,
                                     subject=r.subject, spec_digest=r.spec_digest, spec_source=r.spec_source,
                                     reason=r.reason)
    capped_summaries: dict[str, Any] = {}  # hosts of one kind of hardware repeat one summary: cap it once
    for host in hosts:
        builder.add_host(host.name, host.groups, _capped_summary(host.summary, capped_summaries), host.status,
                         cap_text(host.reason, REASON_LIMIT) if host.reason else None, host.features)
        if host.status is not HostStatus.OK:
            continue
        per_image = outcomes.get(host.name, {})
        platform = host_platform(host.features)
        for image in resolved:
            _add_cell(builder, host.name, image, image.for_platform(platform), per_image.get(image.alias))
    result = builder.build(duration_s)
    capped: dict[int, Cell] = {}  # the builder shares equal outcomes between hosts: cap each shared one once
    for host in result.hosts:
        host.outcomes = {alias: capped.get(id(o)) or capped.setdefault(id(o), _capped(o))
                         for alias, o in host.outcomes.items()}
    return result


def _capped_summary(summary: dict[str, Any] | None, known: dict[str, Any]) -> dict[str, Any] | None:
    """`cap_strings(summary)`, computed once per distinct JSON text (a summary leaves the result only as JSON)."""
    if summary is None:
        return None
    try:
        text = json.dumps(summary, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON-like after all: capped on its own
        return cap_strings(summary)
    capped = known.get(text)
    if capped is None:
        capped = known[text] = cap_strings(summary)
    return capped


def _capped(outcome: Cell) -> Cell:
    """The outcome with the host values it shows for failing expressions capped (`limits.HOST_TEXT_LIMIT`)."""
    failing = tuple(replace(rule, terms=tuple(
        replace(term, expressions=tuple(replace(e, actual=cap_strings(e.actual)) for e in term.expressions))
        for term in rule.terms)) for rule in outcome.failing)
    return replace(outcome, failing=failing, reason=cap_text(outcome.reason, REASON_LIMIT) if outcome.reason else None)



def _add_cell(builder: FleetResultBuilder, host: str, image: ResolvedImage, resolution: Resolution,
              outcome: EvaluationOutcome | None) -> None:
    platform = resolution.platform if image.entry.image is not None else None  # names a platforms entry
    if resolution.status is PlatformStatus.OK:
        if isinstance(outcome, FleetcompatError):
            builder.add_error(host, image.alias, str(outcome), platform=platform)
        elif outcome is not None:
            builder.add_evaluation(host, image.alias, outcome, platform=platform)
    elif resolution.status is PlatformStatus.NO_MANIFEST:
        builder.add_incompatible(host, image.alias, resolution.reason or "no manifest for the platform",
                                 platform=platform)
    elif resolution.reason != image.reason:  # the image's own reason is stated once, on the image
        add = builder.add_no_spec if resolution.status is PlatformStatus.NO_SPEC else builder.add_error
        add(host, image.alias, resolution.reason or resolution.status, platform=platform)


REPORT_FILES = {"json": "fleet-result.json", "html": "fleet-report.html", "junit": "fleet-junit.xml",
                "markdown": "fleet-report.md", "junit-compact": "fleet-junit.xml"}  # one JUnit or the other
DEFAULT_FORMATS = ("json", "html", "junit")


def write_reports(result: FleetResult, output_dir: str | Path,
                  formats: Sequence[str] = DEFAULT_FORMATS) -> dict[str, Path]:
    """Write the fleet result (`json`) and its renderings (`html`, `junit`, `markdown`) into `output_dir`."""
    from fleetcompat._format.html import HtmlFormat
    from fleetcompat._format.interface import ReportContext
    from fleetcompat._format.junit import JunitFormat
    from fleetcompat._format.markdown import MarkdownFormat

    unknown = sorted(set(formats) - set(REPORT_FILES))
    if unknown:
        raise FleetcompatError(f"unknown report format {unknown[0]!r} (known: {', '.join(REPORT_FILES)})")
    if {"junit", "junit-compact"} <= set(formats):
        raise FleetcompatError("formats junit and junit-compact both write fleet-junit.xml; choose one")
    directory = Path(output_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FleetcompatError(f"cannot create report directory: {exc.strerror}", where=str(directory)) from None
    context = ReportContext(decide(result))
    render: dict[str, Callable[[], str]] = {
        "json": lambda: dumps(result.to_dict()),
        "html": lambda: HtmlFormat().render(result, context),
        "junit": lambda: JunitFormat().render(result),
        "junit-compact": lambda: JunitFormat(compact=True).render(result),
        "markdown": lambda: MarkdownFormat().render(result, context),
    }
    paths = {fmt: directory / REPORT_FILES[fmt] for fmt in dict.fromkeys(formats)}
    write_files({paths[fmt]: render[fmt]() for fmt in paths}, lock=directory)
    return paths
