"""`fleetcompat audit`: evaluate a fleet against images and write the fleet result and its reports.

Hosts come from Ansible's fact cache (`--facts-cache DIR`, no host is contacted), from SSH in direct mode
(`--host`/`--hosts`, paramiko), or from features files (`--features`); any mix. Every spec is fetched once,
every distinct feature set is evaluated once per spec, and the output is the same fleet result and reports
that `playbooks/audit.yml` writes. Exit code: the default gate verdict (0 all compatible, 1 some host
incompatible, 2 undecidable: unreachable hosts, errors) unless --exit-zero; `fleetcompat gate` decides finer.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time

from fleetcompat._format.style import use_colour
from fleetcompat._format.terminal import TerminalFormat
from fleetcompat.cli import _remote_args as remote
from fleetcompat.cli._progress import progress_line
from fleetcompat.cli._registry_args import add_registry_arguments, options_from_args
from fleetcompat.cli.history import add_history_arguments
from fleetcompat.cli.validate import split_tags
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_ERROR, FleetcompatError
from fleetcompat.fleet.audit import audit_hosts
from fleetcompat.fleet.factcache import DEFAULT_TIMEOUT, read_fact_cache
from fleetcompat.fleet.hosts import HostRecord, record_from_features_file, record_from_remote
from fleetcompat.fleet.images import images_from_cli
from fleetcompat.fleet.report import DEFAULT_FORMATS, REPORT_FILES, write_reports
from fleetcompat.history.recorder import AuditHistory
from fleetcompat.progress import Progress
from fleetcompat.registry.reference import ImageReference
from fleetcompat.results.fleet import HostStatus, RunMeta
from fleetcompat.results.gate import decide
from fleetcompat.waivers.apply import apply_waivers
from fleetcompat.waivers.model import load_waivers


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "audit",
        help="evaluate a fleet (fact cache, SSH hosts or features files) against images; write reports",
        description="Evaluate every host against every image and write the fleet result (JSON) and reports "
        "(HTML, JUnit; Markdown on request). Exit 0 all compatible, 1 some host incompatible, 2 undecidable "
        "or bad input.",
    )
    add_image_arguments(p)
    add_host_sources(p)
    out = p.add_argument_group("output")
    out.add_argument("--output-dir", default="reports", metavar="DIR", help="where reports go (default reports/)")
    out.add_argument("--format", action="append", choices=sorted(REPORT_FILES), metavar="FORMAT",
                     help=f"report to write (repeatable: {', '.join(REPORT_FILES)}; "
                     f"default {', '.join(DEFAULT_FORMATS)})")
    out.add_argument("--quiet", "-q", action="store_true",
                     help="do not print the terminal matrix nor, on a terminal, the progress line")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 once the reports are written (a history "
                     "failure still exits 2)")
    out.add_argument("--waivers", metavar="FILE",
                     help="waivers YAML: covered cells are recorded as waived (and pass) in the result")
    add_history_arguments(p.add_argument_group("history (docs/history.md)"), optional=True)
    add_registry_arguments(p, platform_help="use this platform's manifest of every --image for all hosts "
                           "(default: each host's own platform, from its gathered cpu.info arch; an image without a "
                           "manifest for it is incompatible there)")
    p.set_defaults(func=run)


def add_image_arguments(p: argparse.ArgumentParser) -> None:
    """--image/--spec/--images/--tags, as `audit` and `whatif` take them."""
    images = p.add_argument_group("images (at least one)")
    images.add_argument("--image", action="append", default=[], metavar="REF",
                        help="image reference whose attached compatibility spec is fetched (repeatable)")
    images.add_argument("--spec", action="append", default=[], metavar="FILE", help="local spec file (repeatable)")
    images.add_argument("--images", action="append", default=[], metavar="FILE",
                        help="image list (YAML: the fleetcompat_images format, or a vars file holding it)")
    images.add_argument("--tags", action="append", metavar="T1,T2",
                        help="keep only compatibility sets with one of these tags (for --image/--spec)")


def add_host_sources(p: argparse.ArgumentParser) -> None:
    """--facts-cache/--features and the SSH direct mode (`collect_hosts` reads them)."""
    hosts = p.add_argument_group("hosts (at least one source)")
    hosts.add_argument("--facts-cache", metavar="DIR",
                       help="Ansible jsonfile fact cache written by playbooks/audit.yml (hosts are not contacted)")
    hosts.add_argument("--facts-cache-prefix", default="", metavar="PREFIX",
                       help="the cache's fact_caching_prefix, if one was set")
    hosts.add_argument("--facts-cache-timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"older entries count as expired (default {DEFAULT_TIMEOUT}, Ansible's; 0: never)")
    hosts.add_argument("--features", action="append", default=[], metavar="FILE",
                       help="one host's features file (NFD JSON/YAML or NodeFeature); named after the file")
    remote.add_host_arguments(p)


def _feature_hosts(paths: list[str], progress: Progress) -> list[HostRecord]:
    if paths:
        progress.begin("reading features", len(paths))
    records = []
    for path in paths:
        records.append(record_from_features_file(path))
        progress.advance(errors=records[-1].status is not HostStatus.OK)
    return records


def collect_hosts(args: argparse.Namespace, progress: Progress) -> list[HostRecord]:
    hosts: list[HostRecord] = []
    if args.facts_cache:
        hosts.extend(read_fact_cache(args.facts_cache, args.facts_cache_prefix, args.facts_cache_timeout, progress))
    hosts.extend(_feature_hosts(args.features, progress))
    if remote.wants_remote(args):
        hosts.extend(record_from_remote(host) for host in remote.gather_remote(args, progress=progress))
    if not hosts:
        raise FleetcompatError("no hosts: give --facts-cache DIR, --host/--hosts or --features FILE")
    seen: set[str] = set()
    for host in hosts:
        if host.name in seen:
            raise FleetcompatError(f"host {host.name!r} comes from two sources; each host once, please")
        seen.add(host.name)
    return hosts


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    waivers = load_waivers(args.waivers).require_valid() if args.waivers else None  # bad file: fail before gathering
    images = images_from_cli(args.image, args.spec, args.images, split_tags(args.tags), args.platform)
    refs = [ImageReference.parse(i.image) for i in images if i.image is not None]
    options = options_from_args(args, refs) if refs else None
    run_meta = RunMeta.now(inventory=args.facts_cache)
    with progress_line("audit", args.quiet) as progress:
        result, resolved = audit_hosts(images, options, collect_hosts(args, progress), run_meta, started, progress)
        if waivers is not None:
            result = apply_waivers(result, waivers, datetime.datetime.now(datetime.UTC).date())
        history = None if args.no_history else AuditHistory(args.history)
        if history is not None:  # unreachable hosts show their last known status in the reports
            result = history.annotate(result)
        progress.begin("writing reports", None)
        paths = write_reports(result, args.output_dir, args.format or DEFAULT_FORMATS)
        if history is not None:  # recorded only once the reports exist: a history failure never costs them
            history.record(result)
            history.close()
    decision = decide(result)
    for image in resolved:
        for warning in image.warnings:
            print(f"fleetcompat: warning: {image.alias}: {warning}", file=sys.stderr)
    if not args.quiet:
        sys.stdout.write(TerminalFormat(colour=use_colour(sys.stdout)).render(result))
    print(decision.verdict)
    print("reports: " + ", ".join(str(p) for p in paths.values()))
    sys.stdout.flush()
    if history is not None and history.error is not None:
        print(f"fleetcompat: error: history: {history.error}; the reports were written", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_COMPATIBLE if args.exit_zero else decision.code
