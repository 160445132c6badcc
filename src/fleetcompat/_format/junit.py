"""JUnit XML for CI test tabs: a testsuite per image, a testcase per host.

incompatible -> <failure> listing the failing rules (or why, e.g. no manifest for the host's platform);
unreachable/error -> <error>; no-spec -> <skipped>; waived -> <skipped> naming the waiver, with the original
verdict and failing rules in <system-out>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fleetcompat._format.last_known import outcome_last_known
from fleetcompat.results.fleet import FleetResult, HostResult, ImageInfo, Outcome, PlatformStatus, Status
from fleetcompat.results.waived import AppliedWaivers, WaiverRecord

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def failure_text(image: ImageInfo, outcome: Outcome) -> str:
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


def _reason(image: ImageInfo, host: HostResult, outcome: Outcome, run_started_at: str) -> str:
    known = outcome_last_known(outcome, run_started_at)
    return (outcome.reason or host.reason or image.spec_error or str(outcome.status)) + (
        f" (last known: {known})" if known else "")


def result_waiver(waivers: AppliedWaivers | None, outcome: Outcome) -> WaiverRecord | None:
    if waivers is None or outcome.waiver is None or outcome.waiver >= len(waivers.entries):
        return None
    return waivers.entries[outcome.waiver]


def _testcase(suite: ET.Element, image: ImageInfo, host: HostResult, waivers: AppliedWaivers | None,
              run_started_at: str) -> None:
    outcome = host.outcomes[image.alias]
    case = ET.SubElement(suite, "testcase", name=xml_text(host.name), classname=xml_text(f"fleetcompat.{image.alias}"))
    if outcome.status is Status.INCOMPATIBLE:
        why = outcome.reason or f"no compatibility set satisfied ({len(outcome.failing)} failing rules)"
        failure = ET.SubElement(case, "failure", type="incompatible", message=xml_text(f"incompatible: {why}"))
        failure.text = xml_text(failure_text(image, outcome))
    elif outcome.status in (Status.UNREACHABLE, Status.ERROR):
        reason = _reason(image, host, outcome, run_started_at)
        error = ET.SubElement(case, "error", type=str(outcome.status), message=xml_text(f"{outcome.status}: {reason}"))
        error.text = xml_text(reason)
    elif outcome.status is Status.WAIVED:
        entry = result_waiver(waivers, outcome)
        ET.SubElement(case, "skipped", message=xml_text(f"waived ({outcome.original}): " + (
            f"{entry.justification} — {entry.describe()}" if entry else "waiver not recorded")))
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(f"{outcome.original}: " + (failure_text(image, outcome)
                                                       or _reason(image, host, outcome, run_started_at)))
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


class JunitFormat:
    def render(self, result: FleetResult) -> str:
        root = ET.Element("testsuites", name="fleetcompat")
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
            for host in result.hosts:
                _testcase(suite, image, host, result.waivers, result.run.started_at)
            for key, value in numbers.items():
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        if result.run.duration_s is not None:
            root.set("time", f"{result.run.duration_s:.3f}")
        ET.indent(root, space=" ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
