"""`fleetcompat gather --host ...` and `fleetcompat validate --host ...`: the direct mode behind the two verbs.

One host prints what the local verb prints. Several hosts print one JSON object keyed by host (gather, and
validate's json outputs) or one table per host. A host that is unreachable or failed gathering gets a one-line
`fleetcompat: error: <host>: <reason>` on stderr and makes the exit code 2; the other hosts are still shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from fleetcompat.cli._remote_args import gather_remote
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_ERROR, EXIT_INCOMPATIBLE, FeaturesError, FleetcompatError
from fleetcompat.features.load import parse_features_document
from fleetcompat.features.model import Features
from fleetcompat.files import emit
from fleetcompat.progress import Progress
from fleetcompat.remote.options import RemoteHost
from fleetcompat.results.fleet import HostStatus
from fleetcompat.results.model import SpecEvaluation

Render = Callable[[SpecEvaluation, str], str]  # (evaluation, host name) -> output text


def _checked_sources(args: argparse.Namespace) -> tuple[str, ...] | None:
    """Check --sources here, so that a typo is one local error and not one per host."""
    if not args.sources:
        return None
    from fleetcompat.hostfeatures import SourceSelectionError, parse_sources

    try:
        return tuple(parse_sources(args.sources))
    except SourceSelectionError as exc:
        raise FleetcompatError(str(exc), where="--sources") from None


def _report_failure(host: RemoteHost) -> None:
    print(f"fleetcompat: error: {host.name}: {host.status}: {host.reason}", file=sys.stderr)


def _gathered(args: argparse.Namespace, progress: Progress, root: str = "/",
              sources: tuple[str, ...] | None = None) -> list[RemoteHost]:
    hosts = gather_remote(args, root, sources, progress)
    for host in hosts:
        for warning in host.warnings:
            print(f"fleetcompat: warning: {host.name}: {warning}", file=sys.stderr)
        if host.status is not HostStatus.OK:
            _report_failure(host)
    return hosts


def gather_command(args: argparse.Namespace, dumps: Callable[[dict], str], progress: Progress) -> int:
    """Features (or --summary) of every host; `dumps` is the local verb's NFD-style JSON writer."""
    hosts = _gathered(args, progress, args.root, _checked_sources(args))
    ok = [h for h in hosts if h.status is HostStatus.OK]
    if len(hosts) == 1:
        text = "" if not ok else (json.dumps(ok[0].summary, indent=4) + "\n" if args.summary
                                  else dumps(ok[0].features or {}))
    else:
        docs = {h.name: (h.summary if args.summary else h.features) for h in ok}
        text = json.dumps(docs, indent=4, ensure_ascii=False) + "\n"
    if text:
        emit(text, args.output)
    return EXIT_COMPATIBLE if len(ok) == len(hosts) else EXIT_ERROR


def validate_command(args: argparse.Namespace, evaluate: Callable[[Features], SpecEvaluation],
                     render: Render, progress: Progress) -> int:
    """Evaluate the spec on every host; exit 0 all compatible, 1 some incompatible, else 2 if some not decided."""
    hosts = _gathered(args, progress)
    outputs: dict[str, str] = {}
    codes = []
    for host in hosts:
        if host.status is not HostStatus.OK:
            codes.append(EXIT_ERROR)
            continue
        try:
            evaluation = evaluate(parse_features_document(host.features, f"{host.name}: gathered features"))
        except (FeaturesError, FleetcompatError) as exc:
            print(f"fleetcompat: error: {host.name}: {exc}", file=sys.stderr)
            codes.append(EXIT_ERROR)
            continue
        outputs[host.name] = render(evaluation, host.name)
        codes.append(EXIT_COMPATIBLE if evaluation.compatible else EXIT_INCOMPATIBLE)
    if len(hosts) > 1 and args.output in ("json", "nfd-json"):
        sys.stdout.write(json.dumps({name: json.loads(text) for name, text in outputs.items()}, indent=2) + "\n")
    else:
        sys.stdout.write("".join(outputs.values()))
    sys.stdout.flush()
    # As in `fleetcompat gate`: a host that definitely cannot run the image is an answer; one not decided is not.
    for code in (EXIT_INCOMPATIBLE, EXIT_ERROR):
        if code in codes:
            return code
    return EXIT_COMPATIBLE
