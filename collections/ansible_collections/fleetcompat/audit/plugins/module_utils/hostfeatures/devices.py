"""Device enumeration: sysfs directories (NFD's way) or udev through pyudev when it is importable.

Both give the same device names and drivers, so NFD features never depend on which one ran; udev adds
human-readable vendor/model names (udev database, else the hwdb via libudev) that only extension data and the
summary carry. udev describes the running system, so it is used only when the root is `/`.
"""

from __future__ import annotations

from .core import HostFS


def _import_pyudev():
    """pyudev if importable (optional: the gatherer is stdlib-only); imported only when a gather needs it."""
    try:
        import pyudev
    except ImportError:
        return None
    return pyudev


class SysfsDevices:
    """Enumerates devices by listing sysfs directories under the root."""

    def __init__(self, fs: HostFS) -> None:
        self.fs = fs

    def pci(self) -> list[str] | None:
        """PCI addresses in name order; None if `sys/bus/pci/devices` cannot be listed (NFD fails the source)."""
        return self.fs.listdir("sys/bus/pci/devices")

    def net(self) -> list[str] | None:
        names = self.fs.listdir("sys/class/net")
        return None if names is None else [n for n in names if n != "bonding_masters"]

    def block(self) -> list[str] | None:
        return self.fs.listdir("sys/block")

    def usb(self) -> list[str]:
        """USB devices (root hubs included): entries of sys/bus/usb/devices that have an idProduct."""
        names = self.fs.listdir("sys/bus/usb/devices") or []
        return [n for n in names if self.fs.lexists(f"sys/bus/usb/devices/{n}/idProduct")]

    def driver(self, subsystem: str, rel: str, name: str) -> str | None:
        """Name of the driver bound to the device at `rel` (the basename of its `driver` link)."""
        return self.fs.link_name(rel + "/driver")

    def names(self, subsystem: str, name: str) -> tuple[str | None, str | None]:
        """(vendor name, model name) from the hardware database; sysfs has none."""
        return None, None

    def close(self) -> None:
        """Release enumerator resources (sysfs holds none)."""


class UdevDevices(SysfsDevices):
    """Enumerates devices through libudev; attributes are still read from the same sysfs files."""

    def __init__(self, fs: HostFS, pyudev) -> None:
        super().__init__(fs)
        self._pyudev = pyudev
        self._context = pyudev.Context()
        self._by_name: dict[tuple[str, str], object] = {}
        self._hwdb = None

    def _list(self, subsystem: str, **properties) -> list[str]:
        names = []
        for device in self._context.list_devices(subsystem=subsystem, **properties):
            self._by_name[(subsystem, device.sys_name)] = device
            names.append(device.sys_name)
        return sorted(names)

    def pci(self) -> list[str] | None:
        return self._list("pci")

    def net(self) -> list[str] | None:
        return self._list("net")

    def block(self) -> list[str] | None:
        return self._list("block", DEVTYPE="disk")

    def usb(self) -> list[str]:
        return [n for n in self._list("usb", DEVTYPE="usb_device")
                if self.fs.lexists(f"sys/bus/usb/devices/{n}/idProduct")]

    def _device(self, subsystem: str, name: str):
        device = self._by_name.get((subsystem, name))
        if device is None:
            try:
                device = self._pyudev.Devices.from_name(self._context, subsystem, name)
            except (self._pyudev.DeviceNotFoundError, ValueError):
                return None
            self._by_name[(subsystem, name)] = device
        return device

    def driver(self, subsystem: str, rel: str, name: str) -> str | None:
        device = self._device(subsystem, name)
        return device.driver if device is not None else None

    def names(self, subsystem: str, name: str) -> tuple[str | None, str | None]:
        device = self._device(subsystem, name)
        if device is None:
            return None, None
        properties = dict(device.properties)
        if "ID_VENDOR_FROM_DATABASE" not in properties and "MODALIAS" in properties:
            properties.update(self._hwdb_lookup(properties["MODALIAS"]))
        return properties.get("ID_VENDOR_FROM_DATABASE"), properties.get("ID_MODEL_FROM_DATABASE")

    def _hwdb_lookup(self, modalias: str) -> dict[str, str]:
        """Query the hwdb directly: without a running udevd the udev database has no *_FROM_DATABASE keys.

        pyudev binds udev_hwdb_* but has no public wrapper; any failure just means "no names".
        """
        try:
            from pyudev._util import udev_list_iterate

            libudev = self._context._libudev
            if self._hwdb is None:
                self._hwdb = libudev.udev_hwdb_new(self._context)
            entry = libudev.udev_hwdb_get_properties_list_entry(self._hwdb, modalias.encode(), 0)
            return {k.decode(): v.decode() for k, v in udev_list_iterate(libudev, entry)}
        except Exception:  # optional enrichment: the hwdb or the private API may be missing
            return {}

    def close(self) -> None:
        if self._hwdb is not None:
            self._context._libudev.udev_hwdb_unref(self._hwdb)
            self._hwdb = None


def device_backend(fs: HostFS, use_udev: bool | None = None) -> SysfsDevices:
    """udev if `use_udev` (None: when pyudev and libudev work and the root is `/`), else sysfs."""
    if use_udev is False:
        return SysfsDevices(fs)
    pyudev = _import_pyudev() if fs.root == "/" else None
    if pyudev is None:
        if use_udev:
            raise RuntimeError("udev needs pyudev and the root / (it describes the running system)")
        return SysfsDevices(fs)
    try:
        return UdevDevices(fs, pyudev)
    except Exception:  # pyudev without a loadable libudev
        if use_udev:
            raise
        return SysfsDevices(fs)
