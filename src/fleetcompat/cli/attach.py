"""`fleetcompat attach REF SPEC.yaml`: publish a spec as the image's compatibility artifact, as `oras attach` does."""

from __future__ import annotations

import argparse
import json
import sys

from fleetcompat.cli._registry_args import add_registry_arguments, options_from_args
from fleetcompat.errors import EXIT_COMPATIBLE, SpecError
from fleetcompat.files import read_input
from fleetcompat.limits import SPEC_BYTES
from fleetcompat.registry import ImageReference, Platform, RegistryClient, RegistryError, attach_spec
from fleetcompat.registry.publish import oras_title


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "attach",
        help="attach a compatibility spec to an image in its registry",
        description="Check SPEC, then attach it to the image REF exactly as `oras attach --artifact-type "
        "application/vnd.nfd.image-compatibility.v1alpha1 REF SPEC:application/vnd.nfd.image-compatibility."
        "spec.v1alpha1+yaml` would, so NFD and oras find it. On registries without the referrers API the "
        "referrers tag (sha256-<hex>) is maintained too. With --platform on a multi-platform image the spec is "
        "attached to that platform's manifest instead of the index. Exit 0 attached, 2 error.",
    )
    p.add_argument("image", metavar="REF", help="image reference, registry/repo[:tag][@digest]")
    p.add_argument("spec", metavar="SPEC", help="compatibility spec file (YAML or JSON)")
    p.add_argument("--annotation", action="append", default=[], metavar="KEY=VALUE",
                   help="manifest annotation (repeatable); org.opencontainers.image.created defaults to now")
    p.add_argument("--output", choices=("text", "json"), default="text", help="text (default) or json")
    add_registry_arguments(p, cache=False, platform_help="attach to this platform's manifest of a multi-platform "
                           "image (default: to what REF resolves to, e.g. the index)")
    p.set_defaults(func=run)


def parse_annotations(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise RegistryError(f"--annotation {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    image = ImageReference.parse(args.image)
    spec_bytes = read_input(args.spec, "spec file", SpecError, SPEC_BYTES)
    annotations = parse_annotations(args.annotation)
    client = RegistryClient(options_from_args(args, [image]))
    platform = Platform.parse(args.platform) if args.platform else None
    try:
        result = attach_spec(client, image, spec_bytes, oras_title(args.spec), platform=platform,
                             annotations=annotations, source=args.spec)
    except RegistryError as exc:
        raise RegistryError(exc.message, where=exc.where or str(image)) from None
    if args.output == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        how = ("the registry indexed it (referrers API)" if result.referrers == "referrers-api"
               else f"referrers tag {result.fallback_tag} updated (no referrers API)")
        sys.stdout.write(f"Attached to {result.image_ref}@{result.subject['digest']}\n"
                         f"Digest: {result.artifact_digest}\n{how}\n")
    return EXIT_COMPATIBLE
