"""How much the gatherer reads from a host and how much of what the host says it passes on.

Stdlib only, Python 3.9+ (runs on managed hosts). Every limit is a named constant with the measured size it was
chosen from, so docs/gathering.md and the security notes can quote them. A file over its limit is skipped with a
warning naming it; a reported string over its limit is left out with a warning (never truncated: a cut value is
one the host never reported, and a spec could match on it).
"""

from __future__ import annotations

import re

KIB = 1024
MIB = 1024 * KIB

# --- files ----------------------------------------------------------------------------------------------------------

# A sysfs/procfs attribute is at most one page: 4 KiB on x86, 64 KiB on arm64/ppc64le kernels with 64 KiB pages.
# Measured: the largest attribute in the fixtures is 803 bytes (a cpu `uevent`), /etc/os-release here 267 bytes.
ATTRIBUTE_LIMIT = 64 * KIB
# /proc/cpuinfo is 0.9-1.4 KiB per logical CPU (measured: 42,818 bytes for 32 CPUs, 42,028 for 48, 2,682 for 2
# here). 8192 CPUs (Linux's largest NR_CPUS) at 2 KiB each is 16 MiB; a 512-CPU host needs well under 1 MiB.
CPUINFO_LIMIT = 16 * MIB
# Kernel config, compressed file and decompressed text alike: measured 100,956 bytes decompressed (23,612
# compressed) here; distribution kernels (Ubuntu, Fedora, RHEL) are 250-300 KB. The decompressed limit also stops a
# gzip bomb in /proc/config.gz.
KCONFIG_LIMIT = 4 * MIB
# /proc/modules (about 100 bytes per loaded module; distribution hosts load 100-500) and modules.builtin (about
# 50 bytes per built-in module, under 150 KB on distribution kernels). Not present on this machine (no modules).
MODULE_LIST_LIMIT = 4 * MIB
# /proc/self/mountinfo: measured 1,606 bytes here; about 150 bytes per mount, so 8 MiB is 50,000 mounts (a busy
# Kubernetes node has a few thousand).
MOUNTINFO_LIMIT = 8 * MIB
# NFD's own limit for a features.d file (source/local: larger files are skipped); the NFD fixture `big_file` is
# 70,262 bytes and is skipped.
LOCAL_FEATURE_FILE_LIMIT = 65536
# Entries read from one directory. Measured: 1,051 (a NUMA node directory in the hwloc fixtures); an 8192-CPU
# host has 8192 cpu directories, a Kubernetes node a few thousand network interfaces.
DIRECTORY_ENTRY_LIMIT = 65536
# Linux's MAXSYMLINKS: lookups give ELOOP after 40 links, and so does the resolution inside the root.
SYMLINK_LIMIT = 40

# --- what the host reports ------------------------------------------------------------------------------------------

# Feature element names (keys). Measured: 39 characters (a kernel.config name); Kubernetes label names are at most
# 317 (253 prefix + "/" + 63).
ELEMENT_NAME_LIMIT = 1024
# Element values. Measured: 76 characters (kernel.config LSM); the longest legitimate value known is
# CONFIG_CMDLINE, below COMMAND_LINE_SIZE (4096 on arm64/ppc64, 2048 on x86); host names are at most 64
# (HOST_NAME_MAX), Kubernetes node names 253. 4096 also keeps every digit string below Python's int() limit (4300).
ELEMENT_VALUE_LIMIT = 4096
# Warnings passed on per gather, and characters per warning (a path is at most PATH_MAX, 4096 bytes).
WARNING_COUNT_LIMIT = 100
WARNING_LENGTH_LIMIT = 4200

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` with lone surrogates (undecodable file names, $NODE_NAME) replaced by U+FFFD.

    File contents are decoded with errors="replace" already; names from directory listings and symlink targets
    carry surrogate escapes, which JSON writers (Ansible's fact cache, `ensure_ascii=False`) cannot encode.
    """
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def one_line(text: str, limit: int) -> str:
    """`text` as one printable line of at most `limit` characters (plus "..."): control characters (escape
    sequences, CR, newlines) escaped, lone surrogates replaced. For text from a host that reaches a terminal."""
    text = clean_text(text)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def _fits(kind: str, feature: str, name: str, value: str, problems: list[str]) -> bool:
    if len(name) > ELEMENT_NAME_LIMIT:
        problems.append(f"{kind} {feature!r}: an element name of {len(name)} characters is longer than "
                        f"{ELEMENT_NAME_LIMIT}, left out")
        return False
    if len(value) > ELEMENT_VALUE_LIMIT:
        problems.append(f"{kind} {feature!r} element {name!r}: value of {len(value)} characters is longer than "
                        f"{ELEMENT_VALUE_LIMIT}, left out")
        return False
    return True


def _plain(texts, limit: int) -> bool:
    """All `texts` ASCII and at most `limit` long: nothing to check one by one (the common case, at C speed)."""
    return not texts or (max(map(len, texts)) <= limit and "".join(texts).isascii())


def _bounded_elements(kind: str, feature: str, elements: dict, problems: list[str]) -> dict:
    if _plain(elements, ELEMENT_NAME_LIMIT) and (kind == "flags" or _plain(list(elements.values()),
                                                                           ELEMENT_VALUE_LIMIT)):
        return elements
    kept = {}
    for name, value in elements.items():
        if _fits(kind, feature, name, value if isinstance(value, str) else "", problems):
            kept[clean_text(name)] = clean_text(value) if isinstance(value, str) else value
    return kept


def bounded_features(features: dict) -> tuple[dict, list[str]]:
    """NFD-form `features` with over-long names and values left out and lone surrogates replaced; plus warnings.

    Runs on everything a gatherer hands over: in `gather()` on the host and again on the controller for what a
    remote host printed (which need not come from this gatherer).
    """
    problems: list[str] = []
    out: dict = {}
    for kind in ("flags", "attributes", "instances"):
        section = {}
        for feature, body in (features.get(kind) or {}).items():
            if len(feature) > ELEMENT_NAME_LIMIT:  # only a remote document brings feature names of its own
                problems.append(f"{kind}: a feature name of {len(feature)} characters is longer than "
                                f"{ELEMENT_NAME_LIMIT}, left out")
                continue
            elements = body.get("elements")
            if kind == "instances":
                kept = [{"attributes": _bounded_elements(kind, feature, item.get("attributes") or {}, problems)}
                        for item in elements or ()]
            else:
                kept = _bounded_elements(kind, feature, elements or {}, problems)
            section[clean_text(feature)] = {"elements": kept}
        out[kind] = section
    return out, problems


def bounded_warnings(warnings) -> list[str]:
    """At most WARNING_COUNT_LIMIT distinct warnings, each one line of at most WARNING_LENGTH_LIMIT characters
    (file names in them come from the host), plus a count of the rest."""
    unique = list(dict.fromkeys(warnings))
    kept = [one_line(w, WARNING_LENGTH_LIMIT) for w in unique[:WARNING_COUNT_LIMIT]]
    if len(unique) > WARNING_COUNT_LIMIT:
        kept.append(f"{len(unique) - WARNING_COUNT_LIMIT} more warnings left out")
    return kept
