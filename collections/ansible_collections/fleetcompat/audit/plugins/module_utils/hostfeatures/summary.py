"""`summarize()`: the few facts a fleet report shows per host, computed from gathered features only."""

from __future__ import annotations

# PCI class prefixes (NFD's 4-digit class) of the device kinds reports count.
_DEVICE_KINDS = (
    ("gpus", ("0300", "0302", "0380")),  # VGA, 3D and other display controllers
    ("nics", ("02",)),  # network controllers
    ("nvme", ("0108",)),  # non-volatile memory controllers
)


def _attributes(features: dict, name: str) -> dict[str, str]:
    return (features.get("attributes", {}).get(name) or {}).get("elements") or {}


def _instances(features: dict, name: str) -> list[dict[str, str]] | None:
    feature = features.get("instances", {}).get(name)
    if feature is None:
        return None
    return [(i or {}).get("attributes") or {} for i in feature.get("elements") or ()]


def _count(text: str | None) -> int | None:
    # isdecimal, not isdigit: int() takes every decimal digit, but not "²" (a digit that is not decimal).
    return int(text) if text is not None and text.isdecimal() else None


def _by_vendor(devices: list[dict[str, str]], prefixes) -> list[dict]:
    """Devices of the given classes grouped by vendor, then model, with hwdb names where gathered."""
    vendors: dict[str, dict] = {}
    for device in devices:
        if not device.get("class", "").startswith(prefixes):
            continue
        group = vendors.setdefault(device.get("vendor", ""), {"vendor": device.get("vendor", ""), "count": 0,
                                                              "models": {}})
        group["count"] += 1
        if device.get("vendor_name"):
            group["vendor_name"] = device["vendor_name"]
        model = group["models"].setdefault(device.get("device", ""), {"device": device.get("device", ""), "count": 0})
        model["count"] += 1
        if device.get("device_name"):
            model["name"] = device["device_name"]
    return [dict(group, models=sorted(group["models"].values(), key=lambda m: m["device"]))
            for _, group in sorted(vendors.items())]


def summarize(features: dict) -> dict:
    """Compact per-host summary from NFD-form features (plus fleetcompat's extension features when present)."""
    model = _attributes(features, "cpu.model")
    info = _attributes(features, "cpu.info")
    topology = _attributes(features, "cpu.topology")
    release = _attributes(features, "system.osrelease")
    cpuid = (features.get("flags", {}).get("cpu.cpuid") or {}).get("elements") or {}
    levels = [level for level in (_count(k[len("X86_64_V"):]) for k in cpuid if k.startswith("X86_64_V"))
              if level is not None]
    hugepages = {k[len("hugepages-"):]: _count(v) for k, v in _attributes(features, "memory.hugepages").items()
                 if k.startswith("hugepages-")}
    # driver.pci carries hwdb names when udev was available; pci.device is the NFD fallback.
    pci = _instances(features, "driver.pci")
    if pci is None:
        pci = _instances(features, "pci.device") or []
    cloud = _attributes(features, "system.cloud")
    summary = {
        "nodename": _attributes(features, "system.name").get("nodename"),
        "arch": info.get("arch"),
        "cpu": {
            "vendor": model.get("vendor_id"),
            "model_name": info.get("model_name"),
            "cpus": _count(info.get("cpus")),
            "sockets": _count(topology.get("socket_count")),
            "hardware_multithreading": topology.get("hardware_multithreading"),
            "hypervisor": model.get("hypervisor"),
            "x86_64_level": max(levels) if levels else None,
        },
        "kernel": _attributes(features, "kernel.version").get("full"),
        "os": {
            "id": release.get("ID"),
            "version_id": release.get("VERSION_ID"),
            "pretty_name": release.get("PRETTY_NAME"),
        },
        "numa_nodes": _count(_attributes(features, "memory.numa").get("node_count")),
        "hugepages": hugepages,
        "nvidia_driver": _attributes(features, "driver.nvidia").get("version"),
        "cloud": {"provider": cloud.get("provider"), "instance_type": cloud.get("instance_type")},
    }
    for key, prefixes in _DEVICE_KINDS:
        summary[key] = _by_vendor(pci, prefixes)
    return summary
