"""fleetcompat's extension features: names NFD never produces (see docs/extensions.md).

Plain data so the controller's feature catalog can import it and `spec lint` can warn that a spec using them
is not portable to NFD. Each entry: (feature, kinds, element keys or None when the keys are open-ended).
"""

EXTENSION_FEATURES = (
    ("cpu.info", "attribute", "arch model_name cpus"),
    ("driver.pci", "instance",
     "address class vendor device subsystem_vendor subsystem_device driver module version vendor_name device_name"),
    ("driver.network", "instance", "name address bus driver module version"),
    ("driver.nvidia", "attribute", "version major"),
    ("kernel.moduleversion", "attribute", None),
    ("kernel.modulesrcversion", "attribute", None),
    ("system.cloud", "attribute", "provider instance_type"),
)
