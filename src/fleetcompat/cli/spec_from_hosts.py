"""`fleetcompat spec from-hosts`: propose a spec every good host satisfies and every bad host fails."""

from __future__ import annotations

import argparse
import sys

from fleetcompat.authoring import hosts
from fleetcompat.authoring.propose import Side, propose
from fleetcompat.errors import EXIT_COMPATIBLE
from fleetcompat.files import emit


def register(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "from-hosts",
        help="propose a minimal spec that the good hosts satisfy and the bad hosts fail",
        description="Learn a spec from stable features only (kernel modules, PCI vendor/class/device, CPU flags, "
        "kernel version ranges, OS release), with a comment per condition naming the hosts behind it. The "
        "proposal is linted and verified with the engine against every input host before it is printed. "
        "Exit 0 printed, 2 when no spec from stable features separates the hosts (they are named) or on bad input.",
    )
    p.add_argument("--good", nargs="+", action="extend", required=True, metavar="F",
                   help="features files of hosts the image runs on (with --facts-cache: host names or globs)")
    p.add_argument("--bad", nargs="+", action="extend", default=[], metavar="F",
                   help="features files of hosts it must not run on (with --facts-cache: names or globs; "
                   "default there: every other cached host)")
    p.add_argument("--facts-cache", metavar="DIR", help="take the hosts from Ansible's jsonfile fact cache")
    p.add_argument("--output", "-o", metavar="FILE", help="write the spec here (default: standard output)")
    p.set_defaults(func=run)


def _sides(args: argparse.Namespace) -> tuple[Side, Side]:
    good, bad = Side("good"), Side("bad")
    if args.facts_cache is None:
        if not args.bad:
            raise hosts.HostSelectionError("--bad FILE... is needed without --facts-cache (with it, every cached "
                                           "host not named by --good is bad)")
        return good.add_all(hosts.features_files(args.good)), bad.add_all(hosts.features_files(args.bad))
    cache = hosts.fact_cache(args.facts_cache)
    good_names = hosts.select(cache, args.good, args.facts_cache, "--good")
    if args.bad:
        bad_names = hosts.select(cache, args.bad, args.facts_cache, "--bad")
    else:
        bad_names = [name for name in cache.hosts if name not in set(good_names)]
    both = sorted(set(good_names) & set(bad_names))
    if both:
        raise hosts.HostSelectionError(f"named both good and bad: {', '.join(both)}", where=args.facts_cache)
    good.add_all((name, cache.hosts[name]) for name in good_names)
    bad.add_all((name, cache.hosts[name]) for name in bad_names)
    return good, bad


def run(args: argparse.Namespace) -> int:
    proposal = propose(*_sides(args))
    emit(proposal.text, args.output)
    print(f"fleetcompat spec from-hosts: {proposal.sets} compatibility set{'s' * (proposal.sets != 1)}, "
          f"{proposal.conditions} condition{'s' * (proposal.conditions != 1)}; verified against every input host",
          file=sys.stderr)
    return EXIT_COMPATIBLE
