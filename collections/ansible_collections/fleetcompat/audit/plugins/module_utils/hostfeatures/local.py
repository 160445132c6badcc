"""NFD source `local` (source/local/local.go): feature files in features.d (hooks are deprecated, not run)."""

from __future__ import annotations

import datetime
import re

from .core import FeatureSink
from .limits import LOCAL_FEATURE_FILE_LIMIT

NAME = "local"

FEATURES_DIR = "etc/kubernetes/node-feature-discovery/features.d"
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)


def parse_rfc3339(text: str) -> datetime.datetime | None:
    """Go's time.Parse(time.RFC3339, text), None on error (Python 3.9's fromisoformat rejects "Z")."""
    match = _RFC3339.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    if zone == "Z":
        tz = datetime.timezone.utc  # noqa: UP017 - datetime.UTC needs Python 3.11; this runs on 3.9
    else:
        sign = -1 if zone[0] == "-" else 1
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        stamp = datetime.datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    return stamp + datetime.timedelta(seconds=float(fraction)) if fraction else stamp


def parse_feature_file(lines, now: datetime.datetime) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(features, labels, problems) of one file; `# +directive` lines steer the lines after them."""
    features: dict[str, str] = {}
    labels: dict[str, str] = {}
    problems: list[str] = []
    expiry, skip_feature, skip_label = now, False, False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("# +"):
                key, sep, value = line[3:].partition("=")
                if key == "expiry-time":
                    parsed = parse_rfc3339(value.strip()) if sep else None
                    if parsed is None:
                        problems.append(f"invalid expiry-time directive {line!r} (ignored)")
                    else:
                        expiry = parsed
                elif key == "no-feature":
                    skip_feature = True
                elif key == "no-label":
                    skip_label = True
                else:
                    problems.append(f"unknown feature file directive {key!r}")
            continue
        if expiry < now:
            continue
        key, sep, value = line.partition("=")
        value = value if sep else "true"
        for target, skip in ((features, skip_feature), (labels, skip_label)):
            if skip:
                target.pop(key, None)
            else:
                target[key] = value
        skip_feature = skip_label = False  # both apply to the next key only
    return features, labels, problems


def discover(ctx, out: FeatureSink) -> None:
    fs = ctx.fs
    features: dict[str, str] = {}
    labels: dict[str, str] = {}
    now = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 - runs on Python 3.9
    for name in fs.listdir(FEATURES_DIR) or ():
        if name.startswith("."):
            continue
        rel = f"{FEATURES_DIR}/{name}"
        # NFD skips files over 64 KiB and non-regular ones; HostFS does both and says so in a warning.
        text = fs.read(rel, LOCAL_FEATURE_FILE_LIMIT)
        if text is None:
            continue
        file_features, file_labels, problems = parse_feature_file(text.split("\n"), now)
        for problem in problems:
            ctx.warn(f"{fs.path(rel)}: {problem}")
        features.update(file_features)  # later files override earlier ones
        labels.update(file_labels)
    out.attribute("local.feature", features)
    out.attribute("local.label", labels)
