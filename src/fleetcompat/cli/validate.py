"""`fleetcompat validate`: one host's features against one spec (NFD's `compat validate-node`, with a verdict)."""

from __future__ import annotations

import argparse
import sys

from fleetcompat._format.interface import EvaluationContext
from fleetcompat._format.json import JsonFormat
from fleetcompat._format.nfd_json import NfdJsonFormat
from fleetcompat._format.style import use_colour
from fleetcompat._format.table import TableFormat
from fleetcompat.cli import _remote_args as remote
from fleetcompat.cli._direct import validate_command
from fleetcompat.cli._progress import progress_line
from fleetcompat.cli._registry_args import add_registry_arguments, options_from_args
from fleetcompat.cli.gather import local_host
from fleetcompat.engine import evaluate_spec
from fleetcompat.errors import EXIT_COMPATIBLE, EXIT_INCOMPATIBLE, FleetcompatError
from fleetcompat.features import load_features_file
from fleetcompat.registry import ImageReference, Platform, SpecFetcher
from fleetcompat.spec import load_spec_file


def split_tags(values: list[str] | None) -> tuple[str, ...]:
    """`--tags a,b --tags c` (NFD's string-slice flag) -> ("a", "b", "c")."""
    return tuple(t.strip() for v in values or () for t in v.split(",") if t.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check one host's features against an image compatibility spec",
        description="Evaluate an NFD image compatibility spec against one host's features. "
        "Exit 0 compatible, 1 incompatible, 2 error.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--spec", metavar="FILE", help="spec file (YAML or JSON)")
    source.add_argument("--image", metavar="REF",
                        help="image reference: read its compatibility spec from the registry (NFD's --image)")
    p.add_argument("--features", metavar="FILE",
                   help="features in `nfd export features` JSON/YAML or a NodeFeature object "
                   "(default: gather this host, as `fleetcompat gather` does)")
    remote.add_host_arguments(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line on a terminal (with --host/--hosts)")
    p.add_argument("--tags", action="append", metavar="T1,T2",
                   help="keep only compatibility sets with one of these tags (repeatable)")
    p.add_argument("--output", choices=("table", "json", "nfd-json"), default="table",
                   help="table (default, for people), json (fleetcompat's detailed result), "
                   "nfd-json (exactly NFD's validate-node --output-json)")
    add_registry_arguments(p, platform_help="the audited host's platform (NFD's --platform): its manifest of a "
                           "multi-platform image is searched first, then the index (default: this machine's "
                           "platform without --features; with --features, the index or single manifest)")
    p.set_defaults(func=run)


def load_spec(args: argparse.Namespace):
    """The spec, where it came from, and extra result fields (`image`: ref, digests, source for `--image`)."""
    if not args.image:
        return load_spec_file(args.spec), args.spec, {}
    image = ImageReference.parse(args.image)
    # The audited host's platform: --platform, else this machine when it is the host (no --features file);
    # a features file from elsewhere carries no platform, so then the index / single manifest is used.
    platform = args.platform or (None if args.features or remote.wants_remote(args) else Platform.local())
    fetched = SpecFetcher(options_from_args(args, [image])).fetch(image, platform)
    for warning in fetched.warnings:
        print(f"fleetcompat: warning: {fetched.image_ref}: {warning}", file=sys.stderr)
    return fetched.spec, fetched.image_ref, {"image": fetched.to_dict()}


def load_host(args: argparse.Namespace):
    """The host's features and a name for it: the --features file, else this machine gathered now."""
    if not args.features:
        return local_host()
    return load_features_file(args.features), args.features


def render(output: str, evaluation, context: EvaluationContext) -> str:
    if output == "nfd-json":
        return NfdJsonFormat().render(evaluation, context)
    if output == "json":
        return JsonFormat().render(evaluation, context)
    return TableFormat(colour=use_colour(sys.stdout)).render(evaluation, context)


def run(args: argparse.Namespace) -> int:
    spec, origin, extra = load_spec(args)
    tags = split_tags(args.tags)
    if remote.wants_remote(args):  # direct mode over SSH: one or more hosts
        if args.features:
            raise FleetcompatError("give either --features or --host/--hosts")
        with progress_line("validate", args.quiet) as progress:
            return validate_command(
                args, lambda features: evaluate_spec(spec, features, tags),
                lambda evaluation, host: render(args.output, evaluation,
                                                EvaluationContext(spec, host, origin, tags, extra)), progress)
    features, host = load_host(args)
    evaluation = evaluate_spec(spec, features, tags)
    context = EvaluationContext(spec=spec, host=host, spec_origin=origin, tags=tags, extra=extra)
    sys.stdout.write(render(args.output, evaluation, context))
    sys.stdout.flush()
    return EXIT_COMPATIBLE if evaluation.compatible else EXIT_INCOMPATIBLE
