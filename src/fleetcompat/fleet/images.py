"""The list of images a fleet audit checks (`fleetcompat_images` in Ansible, `--image/--spec/--images` in the CLI).

Each entry names exactly one of a registry reference (`image`) or a local spec file (`spec`), plus optional
`alias`, `tags`, `platform` and `required` (the gate fails when a required image is not compatible). Relative
spec paths are relative to the current directory (the repository root for the playbooks).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetcompat.errors import FleetcompatError
from fleetcompat.files import read_input
from fleetcompat.limits import LIST_BYTES
from fleetcompat.yamlsrc import LocatedDocument, load_located, type_name

ENTRY_KEYS = ("alias", "image", "spec", "tags", "platform", "required")
_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


class ImageListError(FleetcompatError):
    """The image list is malformed (unknown key, both or neither of image/spec, duplicate alias, ...)."""


@dataclass(frozen=True, slots=True)
class ImageEntry:
    alias: str
    image: str | None = None  # registry reference, e.g. registry.example:5000/ml/cuda-app:12.4
    spec: str | None = None  # local spec file
    tags: tuple[str, ...] = ()
    platform: str | None = None
    required: bool = False

    @property
    def reference(self) -> str:
        """What the user named: the image reference or the spec file."""
        return self.image or self.spec or ""

    @property
    def group_suffix(self) -> str:
        """The alias as a valid Ansible group-name part (`fleetcompat_compatible_<suffix>`)."""
        return group_suffix(self.alias)

    def to_dict(self) -> dict[str, Any]:
        return {"alias": self.alias, "image": self.image, "spec": self.spec, "tags": list(self.tags),
                "platform": self.platform, "required": self.required}


def group_suffix(alias: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", alias)


def default_alias(reference: str, is_file: bool) -> str:
    """`examples/specs/cuda-app.yaml` -> `cuda-app`; `reg:5000/ml/cuda-app:12.4` -> `cuda-app`."""
    if is_file:
        return Path(reference).stem
    name = reference.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ImageListError(f"tags: expected a list of strings or 'a,b', got {type_name(value)}", where=where)
    return tuple(t.strip() for t in value if t.strip())


def _optional_str(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ImageListError(f"{key}: expected a non-empty string, got {type_name(value)}", where=where)
    return value.strip()


def parse_entry(entry: Any, where: str) -> ImageEntry:
    if not isinstance(entry, dict):
        raise ImageListError(f"expected a mapping with 'image' or 'spec', got {type_name(entry)}", where=where)
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise ImageListError(f"unknown key {unknown[0]!r} (allowed: {', '.join(ENTRY_KEYS)})", where=where)
    image = _optional_str(entry, "image", where)
    spec = _optional_str(entry, "spec", where)
    if spec is not None:
        spec = os.path.normpath(spec)  # reports show /repo/examples/x.yaml, not /repo/inventories/local/../../…
    if (image is None) == (spec is None):
        raise ImageListError("give exactly one of 'image' (registry reference) or 'spec' (local file)", where=where)
    if spec is not None and entry.get("platform") is not None:
        raise ImageListError("'platform' selects a registry manifest; it has no meaning for a local spec file",
                             where=where)
    alias = _optional_str(entry, "alias", where) or default_alias(image or spec or "", spec is not None)
    if not _ALIAS.match(alias):
        raise ImageListError(f"alias {alias!r}: use letters, digits, '_', '.', '-' (starting with a letter or digit)",
                             where=where)
    required = entry.get("required", False)
    if not isinstance(required, bool):
        raise ImageListError(f"required: expected true or false, got {type_name(required)}", where=where)
    return ImageEntry(alias, image, spec, _tags(entry.get("tags"), where), _optional_str(entry, "platform", where),
                      required)


def parse_images(entries: Any, source: str = "images", doc: LocatedDocument | None = None) -> list[ImageEntry]:
    """Check a list of image entries; errors name the entry (`source[i]` or `file:line`)."""
    if not isinstance(entries, list):
        raise ImageListError(f"expected a list of images, got {type_name(entries)}", where=source)
    images: list[ImageEntry] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = doc.where((index,)) if doc else f"{source}[{index}]"
        image = parse_entry(entry, where)
        suffix = image.group_suffix
        if suffix in seen:
            raise ImageListError(
                f"alias {image.alias!r} is already used by entry {seen[suffix]} (set 'alias' to tell them apart)",
                where=where)
        seen[suffix] = index
        images.append(image)
    if not images:
        raise ImageListError("no images to check", where=source)
    return images


def load_images_file(path: str) -> list[ImageEntry]:
    """A YAML/JSON file holding the list, or a mapping with the list under `fleetcompat_images` (a vars file)."""
    doc = load_located(read_input(path, "image list", ImageListError, LIST_BYTES), path, ImageListError)
    data = doc.data
    if isinstance(data, dict) and "fleetcompat_images" in data:
        inner = LocatedDocument(data["fleetcompat_images"], path,
                                {k[1:]: v for k, v in doc.lines.items() if k[:1] == ("fleetcompat_images",)})
        return parse_images(inner.data, path, inner)
    return parse_images(data, path, doc)


def images_from_cli(image_refs: Sequence[str], spec_files: Sequence[str], images_files: Sequence[str],
                    tags: Iterable[str], platform: str | None) -> list[ImageEntry]:
    """`--images FILE`, `--image REF` and `--spec FILE` (all repeatable), in that order, as one checked list."""
    entries: list[Any] = []
    for path in images_files:
        entries.extend(e.to_dict() for e in load_images_file(path))
    tag_list = list(tags)
    entries.extend({"image": ref, "tags": tag_list, "platform": platform} for ref in image_refs)
    entries.extend({"spec": path, "tags": tag_list} for path in spec_files)
    return parse_images(entries, "command line")
