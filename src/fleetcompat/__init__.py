"""fleetcompat: evaluate NFD image-compatibility specs against whole fleets of hosts."""

__version__ = "0.1.0"
