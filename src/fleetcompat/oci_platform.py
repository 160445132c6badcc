"""OCI platform names (`os/arch[/variant]`) of machines, without the registry client.

Shared by the registry client (matching index entries, `--platform`) and the fleet audit (each host's platform from
its gathered features), which must not import the registry client for hosts whose images need no registry.
"""

from __future__ import annotations

# uname -m / Python's platform.machine() spellings -> OCI (GOARCH, variant); GOARCH names map to themselves.
_ARCH_ALIASES = {
    "x86_64": ("amd64", ""), "x86-64": ("amd64", ""), "amd64": ("amd64", ""),
    "aarch64": ("arm64", ""), "arm64": ("arm64", ""), "armv8l": ("arm64", ""),
    "armv7l": ("arm", "v7"), "armv7": ("arm", "v7"), "armhf": ("arm", "v7"),
    "armv6l": ("arm", "v6"), "armel": ("arm", "v6"),
    "i386": ("386", ""), "i686": ("386", ""), "x86": ("386", ""),
    "ppc64el": ("ppc64le", ""),
}


def normalise_arch(arch: str) -> tuple[str, str]:
    """`x86_64` -> (`amd64`, ""), `armv7l` -> (`arm`, `v7`); unknown names are kept (lower case)."""
    lowered = arch.lower()
    return _ARCH_ALIASES.get(lowered, (lowered, ""))


def platform_of_arch(arch: str | None, os_name: str = "linux") -> str | None:
    """A machine's platform from its architecture (uname machine or GOARCH), e.g. `aarch64` -> `linux/arm64`;
    None when the architecture is unknown."""
    if not arch or not arch.strip():
        return None
    name, variant = normalise_arch(arch.strip())
    return f"{os_name.lower()}/{name}" + (f"/{variant}" if variant else "")
