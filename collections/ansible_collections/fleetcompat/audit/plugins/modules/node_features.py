#!/usr/bin/python
# Copyright: fleetcompat maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_features
short_description: Gather host features in Node Feature Discovery's model
version_added: "0.1.0"
description:
  - Reads C(/proc), C(/sys), C(/etc) and C(/boot) files of the managed host (or of a tree mounted under I(root))
    and returns them as Kubernetes Node Feature Discovery (NFD) C(Features), the same JSON that
    C(nfd export features) prints, so NFD image compatibility specs evaluate against them as on a Kubernetes node.
  - "Feature sources and names are NFD's: C(cpu.cpuid), C(cpu.model), C(kernel.config), C(kernel.loadedmodule),
    C(memory.hugepages), C(network.device), C(pci.device), C(usb.device), C(storage.block), C(system.osrelease),
    C(system.dmiid), C(local.feature) and the rest."
  - "fleetcompat extensions add new feature names only (never attributes on NFD's own instances):
    C(driver.pci), C(driver.network), C(driver.nvidia), C(kernel.moduleversion), C(kernel.modulesrcversion),
    C(system.cloud) and C(cpu.info). A spec using them is not portable to NFD."
  - Only reads files, never runs commands, needs no root privileges for what is world-readable, and never
    fails because one source fails; unreadable files and failing sources are reported as warnings.
  - Uses the optional Python library pyudev for device enumeration and hardware database names when it is
    importable and I(root) is C(/); the NFD features are the same without it.
author:
  - fleetcompat maintainers (@fleetcompat)
options:
  root:
    description:
      - Directory the host's file system is read from. Every file is read below it.
      - Use C(/host) in a container with the host mounted there, or a captured C(sys)/C(proc) tree.
      - Paths are resolved inside I(root) as if chrooted there (absolute symlinks and C(..) never leave it).
    type: path
    default: /
  sources:
    description:
      - Feature sources to run. C(all) selects every source; a C(-) prefix excludes one, so C([all, -usb]) and
        C([-usb]) are the same.
      - NFD sources are C(cpu), C(kernel), C(memory), C(network), C(pci), C(usb), C(storage), C(system), C(local);
        fleetcompat extension sources are C(drivers) and C(cloud).
    type: list
    elements: str
    default: [all]
  timeout:
    description:
      - Seconds every command of this task may run on the host; C(0) means no limit.
      - Enforced on the host by the action plugin, which runs the module (and interpreter discovery) under
        C(timeout(1)); when it fires, the module's whole process group is killed and the task fails with
        C(gather timed out after N s). The host needs C(timeout(1)) (coreutils or busybox) for a non-zero value.
      - The C(fleetcompat.audit.gather) role sets it from C(fleetcompat_gather_timeout).
    type: int
    default: 0
  packed:
    description:
      - Return the features as one compact string, fact C(node_features_packed) (C(fleetcompat-packed-v1:) +
        base64 of zlib-compressed JSON), instead of C(node_features). They unpack to exactly the same value.
      - For fact caches of large fleets (C(playbooks/gather.yml) sets it) - about a third of the size, and one
        string for Ansible's cache to decode instead of about 2,000.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The module only reads files, so check mode runs it unchanged.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  facts:
    support: full
    description: Returns C(node_features) (or C(node_features_packed)) and C(node_features_summary) as facts.
notes:
  - C(system.name.nodename) is C($NODE_NAME) when set (as in NFD), else the host name from
    C(<root>/proc/sys/kernel/hostname).
  - Only regular files are read, each up to a size limit (C(/proc/cpuinfo) 16 MiB, kernel config 4 MiB, other
    sysfs/procfs files 64 KiB); FIFOs, devices and larger files are skipped with a warning naming the path.
    Element names over 1024 and values over 4096 characters are left out with a warning. See the fleetcompat
    documentation C(docs/gathering.md), "Limits and the root".
  - CPUID-only data (for example C(cpu.cpuid) names that C(/proc/cpuinfo) cannot show) is approximated;
    see the fleetcompat documentation C(docs/gathering.md).
seealso:
  - name: Node Feature Discovery feature sources
    description: NFD's own description of the sources and feature names.
    link: https://kubernetes-sigs.github.io/node-feature-discovery/stable/usage/customization-guide.html#available-features
"""

EXAMPLES = r"""
- name: Gather NFD features of every host
  fleetcompat.audit.node_features:

- name: Gather without USB and local feature files
  fleetcompat.audit.node_features:
    sources: [all, -usb, -local]

- name: Only CPU and kernel features
  fleetcompat.audit.node_features:
    sources: [cpu, kernel]

- name: Gather the host from inside a container that mounts it at /host
  fleetcompat.audit.node_features:
    root: /host

- name: Show a compact summary
  ansible.builtin.debug:
    var: node_features_summary
"""

RETURN = r"""
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: complex
  contains:
    node_features:
      description:
        - The host's features in NFD's C(Features) JSON form (C(nfd export features)).
        - "C(flags) maps feature names to C({elements: {name: {}}}), C(attributes) to C({elements: {key: value}})
          and C(instances) to C({elements: [{attributes: {key: value}}]}). All values are strings."
        - A feature that could not be discovered is absent; one discovered with nothing in it is present and empty.
      returned: unless O(packed)
      type: dict
      sample:
        flags:
          cpu.cpuid:
            elements: {AVX2: {}, X86_64_V3: {}}
        attributes:
          kernel.version:
            elements: {full: 6.8.0-45-generic, major: "6", minor: "8", revision: "0"}
        instances:
          pci.device:
            elements:
              - attributes:
                  {class: "0300", vendor: 10de, device: "2330", subsystem_vendor: 10de, subsystem_device: 16c1}
    node_features_packed:
      description: C(node_features) packed into one string (see O(packed)).
      returned: when O(packed)
      type: str
      sample: "fleetcompat-packed-v1:eJyrVkrOz0vOz0lVslJQSs..."
    node_features_summary:
      description:
        - A compact summary for reports, computed from C(node_features).
        - C(gpus), C(nics) and C(nvme) count PCI devices by vendor and model, with hardware database names
          where pyudev could look them up.
      returned: always
      type: dict
      sample:
        nodename: gpu-node-1
        arch: amd64
        cpu: {vendor: AMD, model_name: AMD EPYC 9654 96-Core Processor, cpus: 192, sockets: 2,
              hardware_multithreading: "true", hypervisor: none, x86_64_level: 4}
        kernel: 6.8.0-45-generic
        os: {id: ubuntu, version_id: "22.04", pretty_name: Ubuntu 22.04.4 LTS}
        numa_nodes: 2
        hugepages: {1Gi: 0, 2Mi: 1024}
        nvidia_driver: 550.54.14
        cloud: {provider: aws, instance_type: p5.48xlarge}
        gpus:
          - vendor: 10de
            vendor_name: NVIDIA Corporation
            count: 8
            models:
              - {device: "2330", name: "GH100 [H100 SXM5 80GB]", count: 8}
        nics: []
        nvme: []
"""

# Ansible wants the documentation strings above the imports.
import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.fleetcompat.audit.plugins.module_utils.hostfeatures import (  # noqa: E402
    SourceSelectionError,
    gather,
    parse_sources,
    summarize,
)
from ansible_collections.fleetcompat.audit.plugins.module_utils.hostfeatures.packed import pack  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "default": "/"},
            "sources": {"type": "list", "elements": "str", "default": ["all"]},
            # Consumed by the action plugin before the module runs; declared so the module accepts the option.
            "timeout": {"type": "int", "default": 0},
            "packed": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    root = module.params["root"]
    try:
        sources = parse_sources(module.params["sources"])
    except SourceSelectionError as exc:
        module.fail_json(msg=f"sources: {exc}")
    if not os.path.isdir(root):
        module.fail_json(msg=f"root {root} is not a directory")
    features, warnings = gather(root, sources)
    for warning in warnings:
        module.warn(warning)
    stored = {"node_features_packed": pack(features)} if module.params["packed"] else {"node_features": features}
    module.exit_json(changed=False, ansible_facts={**stored, "node_features_summary": summarize(features)})


if __name__ == "__main__":
    main()
