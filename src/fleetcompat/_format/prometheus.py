"""node_exporter textfile-collector metrics of a fleet result (Prometheus text exposition format 0.0.4).

Per image: hosts by cell status and the compatible share; per run: start time, duration, hosts by host status;
per waiver: its expiry time and the cells it waived, and how many have expired.
Label values are escaped as the format requires (backslash, double quote, newline), so an image alias or
reference cannot end a label or a line. The file is written atomically by the caller (node_exporter must never
read half a file); its temporary name does not end in `.prom`, so the collector ignores it.
"""

from __future__ import annotations

import datetime

from fleetcompat._format.interface import NO_CONTEXT, ReportContext
from fleetcompat._format.shared import parse_time
from fleetcompat.results.fleet import FleetResult, Status
from fleetcompat.results.waived import WaiverRecord


def label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{label_value(value)}"' for key, value in labels.items()) + "}" if labels else ""


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _waiver_labels(waiver: WaiverRecord) -> dict[str, str]:
    return {"image": waiver.image, "hosts": ",".join(waiver.hosts), "owner": waiver.owner,
            "ticket": waiver.ticket or "", "expires": waiver.expires}


def _end_of_day(day: str) -> float:
    """The first second after `day` (ISO date), UTC: a waiver applies through its expires day."""
    start = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(), datetime.UTC)
    return (start + datetime.timedelta(days=1)).timestamp()


class PrometheusFormat:
    def render(self, result: FleetResult, context: ReportContext = NO_CONTEXT) -> str:
        lines: list[str] = []

        def metric(name: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
            if not samples:
                return
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} gauge")
            lines.extend(f"{name}{_labels(**labels)} {_number(value)}" for labels, value in samples)

        total = len(result.hosts)
        counts = {image.alias: result.status_counts(image.alias) for image in result.images}
        metric("fleetcompat_image_hosts", "Hosts by the status of their cell for this image in the last audit.",
               [({"image": alias, "status": str(status)}, n) for alias, c in counts.items() for status, n in c.items()])
        metric("fleetcompat_image_compatible_ratio", "Compatible hosts of all audited hosts for this image (0 to 1).",
               [({"image": alias}, c[Status.COMPATIBLE] / total) for alias, c in counts.items() if total])
        metric("fleetcompat_image_info", "The image reference and spec digest the last audit used (value 1).",
               [({"image": i.alias, "reference": i.reference, "spec_digest": i.spec_digest or "",
                  "spec_status": str(i.spec_status)}, 1) for i in result.images])
        started = parse_time(result.run.started_at)
        metric("fleetcompat_run_timestamp_seconds", "When the last audit run started (Unix time).",
               [({}, started.timestamp())] if started is not None else [])
        metric("fleetcompat_run_duration_seconds", "How long the last audit run took.",
               [({}, float(result.run.duration_s))] if result.run.duration_s is not None else [])
        metric("fleetcompat_run_hosts", "Hosts in the last audit run by host status (ok, unreachable, error).",
               [({"status": str(status)}, n) for status, n in result.host_status_counts().items()])
        waivers = result.waivers.entries if result.waivers is not None else ()
        # Alert on `fleetcompat_waiver_expiry_timestamp_seconds - time() < 14 * 86400` (expiring in two weeks).
        metric("fleetcompat_waiver_expiry_timestamp_seconds",
               "When a waiver stops applying: the end of its expires day, UTC (Unix time).",
               [(_waiver_labels(w), _end_of_day(w.expires)) for w in waivers])
        metric("fleetcompat_waiver_cells", "Cells a waiver waived in the last audit (expired: cells it would have).",
               [(_waiver_labels(w), w.cells) for w in waivers])
        metric("fleetcompat_waivers_expired", "Waivers past their expiry date when the result was checked.",
               [({}, sum(w.expired for w in waivers))] if result.waivers is not None else [])
        return "\n".join(lines) + "\n"
