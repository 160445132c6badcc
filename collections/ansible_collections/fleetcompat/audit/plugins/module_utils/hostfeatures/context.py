"""What every source of one gather shares: the host files, the device enumerator, cpuinfo, arch, kernel release."""

from __future__ import annotations

import os
import re

from .core import HostFS, parse_key_values, trimmed
from .limits import CPUINFO_LIMIT

# uname machine -> Go's GOARCH (the architecture names NFD is built for and OCI platforms use).
_GOARCH = {
    "x86_64": "amd64", "amd64": "amd64", "i386": "386", "i486": "386", "i586": "386", "i686": "386",
    "aarch64": "arm64", "arm64": "arm64", "ppc64le": "ppc64le", "ppc64": "ppc64", "ppc": "ppc",
    "s390x": "s390x", "ia64": "ia64", "riscv64": "riscv64", "mips64": "mips64", "loongarch64": "loong64",
}

_PROCESSOR_KEY = re.compile(r"^processor(?: \d+)?$")


class CpuInfo:
    """`/proc/cpuinfo` parsed once: the first value of each key, the processor count and the feature words."""

    def __init__(self, text: str | None) -> None:
        self.present = text is not None
        self.fields: dict[str, str] = {}
        self.processors = 0
        for key, value in parse_key_values(text or ""):
            if _PROCESSOR_KEY.match(key):
                self.processors += 1
            self.fields.setdefault(key, value)
        # x86 "flags", arm/arm64 "Features", s390x "features" (ia64's "features" is prose, never matched).
        words = self.fields.get("flags") or self.fields.get("Features") or self.fields.get("features") or ""
        self.flags = frozenset(words.split())

    def get(self, key: str) -> str | None:
        return self.fields.get(key)


def arch_from_cpuinfo(cpu: CpuInfo) -> str:
    """GOARCH guessed from cpuinfo's shape, for captured trees without /proc/sys/kernel/arch."""
    fields = cpu.fields
    if fields.get("vendor_id") == "IBM/S390" or "# processors" in fields:
        return "s390x"
    if "vendor_id" in fields and "flags" in fields:
        # Only 32-bit x86 kernels print the fdiv_bug/f00f_bug lines.
        return "386" if "fdiv_bug" in fields else "amd64"
    if "CPU implementer" in fields:
        return "arm64" if "asimd" in cpu.flags else "arm"
    if fields.get("arch") == "IA-64":
        return "ia64"
    if "isa" in fields:
        return "riscv64"
    model = fields.get("cpu", "")
    if model.startswith("POWER"):
        return "ppc64le"
    if model:
        return "ppc64"
    return "unknown"


class Context:
    """One gather's shared, lazily computed host facts. Sources only read through `fs` and `devices`."""

    def __init__(self, fs: HostFS, devices, environ=None) -> None:
        self.fs = fs
        self.devices = devices
        self.environ = os.environ if environ is None else environ
        self._cpuinfo: CpuInfo | None = None
        self._arch: str | None = None
        self._kernel_release: str | None = None
        self._kernel_release_read = False

    @property
    def cpuinfo(self) -> CpuInfo:
        if self._cpuinfo is None:
            self._cpuinfo = CpuInfo(self.fs.read_cached("proc/cpuinfo", CPUINFO_LIMIT))
        return self._cpuinfo

    @property
    def arch(self) -> str:
        if self._arch is None:
            machine = self.fs.value("proc/sys/kernel/arch")
            if machine and machine.startswith("arm") and machine != "arm64":
                self._arch = "arm"  # armv7l, armv6l, ...
            elif machine:
                self._arch = _GOARCH.get(machine, machine)
            else:
                self._arch = arch_from_cpuinfo(self.cpuinfo)
        return self._arch

    @property
    def x86(self) -> bool:
        return self.arch in ("amd64", "386")

    @property
    def kernel_release(self) -> str | None:
        """`/proc/sys/kernel/osrelease`, trimmed (NFD's kernel version string before sanitising)."""
        if not self._kernel_release_read:
            self._kernel_release_read = True
            self._kernel_release = self.fs.value("proc/sys/kernel/osrelease") or None
        return self._kernel_release

    def dmi(self, name: str) -> str | None:
        """A DMI id attribute; `sys/class/dmi/id` as a fallback for old captures (NFD reads only the first)."""
        for base in ("sys/devices/virtual/dmi/id/", "sys/class/dmi/id/"):
            text = self.fs.read_cached(base + name)
            if text is not None:
                return trimmed(text)
        return None

    def warn(self, message: str) -> None:
        self.fs.warn(message)
