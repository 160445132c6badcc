"""NFD source `storage` (source/storage/storage.go): storage.block instances from sys/block."""

from __future__ import annotations

from .core import FeatureSink

NAME = "storage"

_QUEUE_ATTRS = ("dax", "rotational", "nr_zones", "zoned")


def discover(ctx, out: FeatureSink) -> None:
    devices = ctx.devices.block()
    if devices is None:
        return  # NFD fails the source: storage.block stays absent
    instances = []
    for name in devices:
        attrs = {"name": name}
        for attr in _QUEUE_ATTRS:
            value = ctx.fs.value(f"sys/block/{name}/queue/{attr}")
            if value is not None:
                attrs[attr] = value
        instances.append(attrs)
    out.instance("storage.block", instances)
