"""`fleetcompat whatif`: which cells a planned change would flip, step by step, before anything is changed.

Hosts and images as for `audit`. Changes on the command line form one step (`--on` limits the change just before
it); `--plan FILE` gives named steps. Exit 0: no step makes a compatible cell incompatible; 1: some step does
(its inhibitors are listed); 2: bad input.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

from fleetcompat.cli._progress import progress_line
from fleetcompat.cli._registry_args import add_registry_arguments, options_from_args
from fleetcompat.cli.audit import add_host_sources, add_image_arguments, collect_hosts
from fleetcompat.cli.validate import split_tags
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_INCOMPATIBLE, FleetcompatError
from fleetcompat.files import STDOUT, write_file, write_files
from fleetcompat.fleet.hosts import HostRecord
from fleetcompat.fleet.images import images_from_cli
from fleetcompat.fleet.resolve import resolve
from fleetcompat.planning.changes import parse_change
from fleetcompat.planning.plan import Step, hardware_features, load_plan
from fleetcompat.planning.report import render_json, render_text
from fleetcompat.planning.whatif import plan_states, platforms, simulate
from fleetcompat.registry.reference import ImageReference
from fleetcompat.results.fleet import FleetResult, RunMeta, dumps

_CHANGES = {
    "--kernel": ("kernel", "VERSION", "a kernel release, e.g. 6.8.0-45-generic (every kernel.version attribute "
                 "derived as the gatherer derives it)"),
    "--load-module": ("load-module", "M", "load a kernel module (kernel.loadedmodule, and enabledmodule)"),
    "--unload-module": ("unload-module", "M", "unload a kernel module"),
    "--set": ("set", "FEATURE.ELEMENT[=VALUE]", "set an attribute (=VALUE) or a flag element, e.g. "
              "kernel.config.PREEMPT_RT=y, system.osrelease.VERSION_ID=24.04, cpu.cpuid.AVX512F"),
    "--unset": ("unset", "FEATURE.ELEMENT", "remove an element, e.g. cpu.cpuid.AVX512F (an older CPU model)"),
    "--hardware": ("hardware", "FEATURES", "a new SKU's features file: its hardware features (cpu, pci, usb, "
                   "storage, network, NUMA, DMI) replace the host's"),
}


class _Ordered(argparse.Action):
    """Changes keep their order; `--on` attaches to the change given just before it."""

    def __call__(self, parser, namespace, value, option_string=None):
        changes = namespace.changes if namespace.changes is not None else []
        if option_string == "--on":
            if not changes:
                parser.error("--on limits the change before it; give a change first")
            changes[-1][2].append(value)
        else:
            changes.append([_CHANGES[option_string][0], value, []])
        namespace.changes = changes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "whatif",
        help="which hosts × images a planned change would flip (kernel upgrade, modules, settings, new hardware)",
        description="Apply planned changes to the fleet's gathered features, evaluate again and list every cell "
        "that flips, with its cause, per step. Exit 0 nothing breaks, 1 some step makes a compatible cell "
        "incompatible (its inhibitors), 2 bad input.",
    )
    add_image_arguments(p)
    add_host_sources(p)
    p.add_argument("--groups-from", metavar="RESULT.json",
                   help="host groups for --on GROUP, from a fleet result (an Ansible audit records inventory groups)")
    changes = p.add_argument_group("changes (one step; or --plan)")
    for option, (_, metavar, text) in _CHANGES.items():
        changes.add_argument(option, action=_Ordered, dest="changes", metavar=metavar, help=text)
    changes.add_argument("--on", action=_Ordered, dest="changes", metavar="HOST|GLOB|GROUP",
                         help="limit the change before it to these hosts (repeatable)")
    changes.add_argument("--plan", metavar="FILE", help="YAML list of named steps (docs/planning.md)")
    out = p.add_argument_group("output")
    out.add_argument("--json", metavar="FILE", help="every step's flips as JSON ('-': standard output)")
    out.add_argument("--result", metavar="FILE", help="the fleet result after the last step (for report/remediate)")
    out.add_argument("--max-groups", type=int, default=200, metavar="N",
                     help="groups of flips listed per step (200; --json has every cell)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress line on a terminal")
    add_registry_arguments(p, platform_help="use this platform's manifest of every --image for all hosts")
    p.set_defaults(func=run, changes=None)


def _steps(args: argparse.Namespace) -> list[Step]:
    if args.plan and args.changes:
        raise FleetcompatError("give changes on the command line or --plan FILE, not both")
    if args.plan:
        return load_plan(args.plan)
    if not args.changes:
        raise FleetcompatError("no change: give --kernel, --load-module, --unload-module, --set, --unset, "
                               "--hardware or --plan FILE")
    changes = []
    for kind, value, on in args.changes:
        hardware = hardware_features(value, "--hardware") if kind == "hardware" else None
        changes.append(parse_change(kind, value, on, hardware))
    return [Step("command line", tuple(changes), "command line")]


def _with_groups(hosts: list[HostRecord], path: str | None) -> list[HostRecord]:
    if path is None:
        return hosts
    groups = {h.name: h.groups for h in FleetResult.load(path).hosts}
    for host in hosts:
        host.groups = groups.get(host.name, host.groups)
    return hosts


def run(args: argparse.Namespace) -> int:
    steps = _steps(args)
    images = images_from_cli(args.image, args.spec, args.images, split_tags(args.tags), args.platform)
    refs = [ImageReference.parse(i.image) for i in images if i.image is not None]
    options = options_from_args(args, refs) if refs else None
    run_meta = RunMeta.now(inventory=args.facts_cache)
    with progress_line("whatif", args.quiet) as progress:
        hosts = _with_groups(collect_hosts(args, progress), args.groups_from)
    # The fleet's features live until the end and are never garbage: keep the cyclic collector from rescanning
    # millions of their objects while the baseline and every step are built (halves a 10,000-host what-if).
    gc.collect()
    gc.freeze()
    states = plan_states(hosts, steps)
    resolved = resolve(images, options, platforms(hosts, states))
    started = time.monotonic()
    whatif = simulate(resolved, hosts, steps, states, run_meta)
    outputs = {}
    if args.json:
        outputs[args.json] = render_json(whatif)
    if args.result:
        final = whatif.final
        final.run = RunMeta(run_meta.started_at, round(time.monotonic() - started, 3), inventory=args.facts_cache)
        outputs[args.result] = dumps(final.to_dict())
    if len(set(outputs)) < len([p for p in (args.json, args.result) if p]):
        raise FleetcompatError("--json and --result name the same file; give each its own")
    write_files({path: text for path, text in outputs.items() if path != STDOUT})
    if STDOUT in outputs:
        write_file(STDOUT, outputs[STDOUT])
    else:
        sys.stdout.write(render_text(whatif, args.max_groups))
        sys.stdout.flush()
    return EXIT_INCOMPATIBLE if whatif.breaks_something() else EXIT_COMPATIBLE
