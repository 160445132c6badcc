"""JUnit XML for CI test tabs: a testsuite per image, a testcase per host (compact: per hardware profile).

incompatible -> <failure> listing the failing rules (or why, e.g. no manifest for the host's platform);
unreachable/error -> <error>; no-spec -> <skipped>; waived -> <skipped> naming the waiver, with the original
verdict and failing rules in <system-out>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fleetcompat._format.interface import NO_CONTEXT, ReportContext
from fleetcompat._format.shared import cell_last_known
from fleetcompat.results.fleet import (
    Cell,
    FleetResult,
    HostResult,
    HostStatus,
    ImageInfo,
    PlatformStatus,
    Status,
    summary_label,
)
from fleetcompat.results.waived import AppliedWaivers, WaiverRecord

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def failure_text(image: ImageInfo, outcome: Cell) -> str:
    lines = [outcome.reason] if outcome.reason else []
    for rule in outcome.failing:
        info = image.set_info(rule.set_index, outcome.platform)
        where = f"set #{rule.set_index + 1}" + (f" ({info.tag or info.description})" if info and
                                                 (info.tag or info.description) else "")
        lines.append(f"{where} rule {rule.rule!r}:")
        for row in rule.rows():
            note = f" [{row.note}]" if row.note else ""
            lines.append(f"  {row.label}{note}: expected {row.expected}, host has {row.actual}")
    return "\n".join(lines)


def _reason(image: ImageInfo, host: HostResult, outcome: Cell, run_started_at: str) -> str:
    known = cell_last_known(outcome, run_started_at)
    return (outcome.reason or host.reason or image.spec_error or str(outcome.status)) + (
        f" (last known: {known})" if known else "")


def result_waiver(waivers: AppliedWaivers | None, outcome: Cell) -> WaiverRecord | None:
    if waivers is None or outcome.waiver is None or outcome.waiver >= len(waivers.entries):
        return None
    return waivers.entries[outcome.waiver]


def _verdict(case: ET.Element, image: ImageInfo, outcome: Cell, reason: str, failure_texts: dict,
             waivers: AppliedWaivers | None) -> None:
    """The testcase's child for `outcome` (`reason`: why it was not evaluated, for unreachable/error/waived)."""
    if outcome.status is Status.INCOMPATIBLE:
        why = outcome.reason or f"no compatibility set satisfied ({len(outcome.failing)} failing rules)"
        failure = ET.SubElement(case, "failure", type="incompatible", message=xml_text(f"incompatible: {why}"))
        # Hosts share outcome objects: the text of each is built once per report.
        text = failure_texts.get(id(outcome))
        if text is None:
            text = failure_texts[id(outcome)] = xml_text(failure_text(image, outcome))
        failure.text = text
    elif outcome.status in (Status.UNREACHABLE, Status.ERROR):
        # Only "\n" separates listed hosts: str.splitlines() would also cut at a U+2028 a host put in its reason.
        first = reason.split("\n", 1)[0] if reason else str(outcome.status)
        error = ET.SubElement(case, "error", type=str(outcome.status), message=xml_text(f"{outcome.status}: {first}"))
        error.text = xml_text(reason)
    elif outcome.status is Status.WAIVED:
        entry = result_waiver(waivers, outcome)
        ET.SubElement(case, "skipped", message=xml_text(f"waived ({outcome.original}): " + (
            f"{entry.justification} — {entry.describe()}" if entry else "waiver not recorded")))
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(f"{outcome.original}: " + (failure_text(image, outcome) or reason))
    elif outcome.status is Status.NO_SPEC:
        why = outcome.reason or image.spec_error
        ET.SubElement(case, "skipped", message=xml_text("the image has no compatibility spec" + (f": {why}" if why
                                                                                                  else "")))
    else:
        info = image.set_info(outcome.best_set, outcome.platform)
        if info is not None:
            out = ET.SubElement(case, "system-out")
            out.text = xml_text(f"best set #{info.index + 1} weight {info.weight}"
                                + (f" tag {info.tag}" if info.tag else "")
                                + (f": {info.description}" if info.description else ""))


def _testcases(suite: ET.Element, result: FleetResult, image: ImageInfo, failure_texts: dict) -> None:
    for host in result.hosts:
        outcome = host.outcomes[image.alias]
        case = ET.SubElement(suite, "testcase", name=xml_text(host.name),
                             classname=xml_text(f"fleetcompat.{image.alias}"))
        _verdict(case, image, outcome, _reason(image, host, outcome, result.run.started_at), failure_texts,
                 result.waivers)


# Per testcase. 100,000 hosts × 50 images listed in full are 130 MB of names; 3 keep that case under 5 MB.
COMPACT_HOSTS_LISTED = 3


def _listed(names: list[str]) -> str:
    more = len(names) - COMPACT_HOSTS_LISTED
    return "\n".join(names[:COMPACT_HOSTS_LISTED]) + (f"\n… and {more} more" if more > 0 else "")


def _compact_testcases(suite: ET.Element, result: FleetResult, image: ImageInfo, failure_texts: dict) -> None:
    """One testcase per hardware profile with one outcome (unreachable/error hosts: per status), with its host count
    and its first hosts (the fleet result and the HTML list them all)."""
    groups: dict[tuple, list[HostResult]] = {}
    for host in result.hosts:
        outcome = host.outcomes[image.alias]
        profile = host.profile if host.status is HostStatus.OK else None
        groups.setdefault((profile, host.status, id(outcome)), []).append(host)
    for (profile, status, _), hosts in groups.items():
        outcome = hosts[0].outcomes[image.alias]
        what = summary_label(hosts[0].summary) + f" [{profile}]" if status is HostStatus.OK else f"{status} hosts"
        case = ET.SubElement(suite, "testcase", name=xml_text(f"{what}: {len(hosts)} host{'s' * (len(hosts) != 1)}"),
                             classname=xml_text(f"fleetcompat.{image.alias}"))
        if outcome.status in (Status.UNREACHABLE, Status.ERROR):
            _verdict(case, image, outcome, _listed([f"{h.name}: {_reason(image, h, outcome, result.run.started_at)}"
                                                    for h in hosts]), failure_texts, result.waivers)
        else:
            _verdict(case, image, outcome, _reason(image, hosts[0], outcome, result.run.started_at), failure_texts,
                     result.waivers)
            out = case.find("system-out")
            if out is None:
                out = ET.SubElement(case, "system-out")
            listing = xml_text("hosts:\n" + _listed([h.name for h in hosts]))
            out.text = f"{out.text}\n{listing}" if out.text else listing


class JunitFormat:
    """`compact`: a testcase per image × hardware profile (hosts listed in it) instead of per host, for CI systems
    that cap JUnit uploads."""

    def __init__(self, compact: bool = False) -> None:
        self.compact = compact

    def render(self, result: FleetResult, context: ReportContext = NO_CONTEXT) -> str:
        root = ET.Element("testsuites", name="fleetcompat")
        failure_texts: dict[int, str] = {}
        testcases = _compact_testcases if self.compact else _testcases
        totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for image in result.images:
            counts = result.status_counts(image.alias)
            numbers = {
                "tests": len(result.hosts), "failures": counts[Status.INCOMPATIBLE],
                "errors": counts[Status.UNREACHABLE] + counts[Status.ERROR],
                "skipped": counts[Status.NO_SPEC] + counts[Status.WAIVED],
            }
            suite = ET.SubElement(root, "testsuite", name=xml_text(image.alias),
                                  timestamp=result.run.started_at, **{k: str(v) for k, v in numbers.items()})
            props = ET.SubElement(suite, "properties")
            for key, value in (("reference", image.reference), ("digest", image.digest),
                               ("specDigest", image.spec_digest), ("specSource", image.spec_source),
                               ("specError", image.spec_error)):
                if value:
                    ET.SubElement(props, "property", name=key, value=xml_text(value))
            for entry in image.platforms:  # which spec each platform's hosts were audited with
                where = entry.spec_source if entry.status is PlatformStatus.OK else entry.reason
                ET.SubElement(props, "property", name=xml_text(f"platform {entry.platform or 'unknown'}"),
                              value=xml_text(f"{entry.status}" + (f" ({entry.subject})" if entry.subject else "")
                                             + (f": {where}" if where else "")))
            testcases(suite, result, image, failure_texts)
            if self.compact:  # the counts are of testcases, as a CI system counts them
                numbers = {"tests": len(suite.findall("testcase")), "failures": len(suite.findall("testcase/failure")),
                           "errors": len(suite.findall("testcase/error")),
                           "skipped": len(suite.findall("testcase/skipped"))}
                for key, value in numbers.items():
                    suite.set(key, str(value))
            for key, value in numbers.items():
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        if result.run.duration_s is not None:
            root.set("time", f"{result.run.duration_s:.3f}")
        ET.indent(root, space=" ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
