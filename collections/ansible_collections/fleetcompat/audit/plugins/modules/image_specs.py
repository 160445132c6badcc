# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
# This file only documents the action plugin plugins/action/image_specs.py, which runs on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_specs
short_description: Resolve the image compatibility specs of a fleet audit once, on the controller
version_added: "0.1.0"
description:
  - Reads local spec files and fetches registry images' attached NFD image compatibility specs
    (C(application/vnd.nfd.image-compatibility.v1alpha1) referrers), B(once per run) for the whole fleet, and
    writes them to a run directory on the controller that M(fleetcompat.audit.image_compat) and
    M(fleetcompat.audit.fleet_report) read. Run it with C(run_once=true); managed hosts need no registry access.
  - A registry image is fetched once per platform the audited hosts have (each host's own C(os/arch), from the
    C(cpu.info) arch in its features fact; see O(hosts)), never per host. For a multi-platform image the platform's
    manifest is searched first, then the index; RV(images[].platforms) says which subject each platform's spec came
    from. An image without a manifest for a host's platform is C(incompatible) on that host.
    O(images[].platform) overrides the hosts' platforms for that image.
  - An image whose spec cannot be had does not fail the task. Without a compatibility artifact it is returned with
    RV(images[].status=no-spec) and every host is C(no-spec) for it; when the registry is unreachable or the spec
    malformed, or O(images[].tags) select no set, with RV(images[].status=error) and every host is C(error). The
    reason is given once.
options:
  images:
    required: true
  run_dir_base:
    description: Directory in which the run directory is created (default the system temporary directory).
    type: path
  hosts:
    description:
      - The audited hosts, whose platforms registry images are resolved for. Hosts without gathered features
        are left out; a host whose features have no C(cpu.info) arch gets the index (or single manifest).
      - Default is C(ansible_play_hosts_all).
    type: list
    elements: str
  features_fact:
    description: Name of the fact holding a host's gathered features.
    type: str
    default: node_features
attributes:
  check_mode:
    description: Fully supported; only a temporary run directory is written, on the controller.
    support: full
notes:
  - Registry requests per run are independent of the number of hosts.
seealso:
  - module: fleetcompat.audit.image_compat
  - module: fleetcompat.audit.fleet_report
extends_documentation_fragment:
  - fleetcompat.audit.controller
  - fleetcompat.audit.controller.images
"""

EXAMPLES = r"""
- name: Resolve the specs once for the whole play
  fleetcompat.audit.image_specs:
    images:
      - spec: examples/specs/x86-64-v3.yaml
      - alias: cuda
        image: registry.example.com:5000/ml/cuda-app:12.4
        platform: linux/amd64
        required: true
    registry:
      plain_http_registries: [registry.example.com:5000]
  run_once: true
  register: fleetcompat_specs
"""

RETURN = r"""
run_dir:
  description: The run directory to pass to M(fleetcompat.audit.image_compat) and M(fleetcompat.audit.fleet_report).
  returned: always
  type: str
  sample: /tmp/fleetcompat-run-k2j3h4
platforms:
  description: The audited hosts' platforms the registry images were resolved for (C(unknown) without C(cpu.info)).
  returned: always
  type: list
  elements: str
  sample: [linux/amd64, linux/arm64]
images:
  description: One entry per image, in order.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The image's alias.
      type: str
      sample: cuda
    reference:
      description: The image reference or spec file given.
      type: str
    required:
      description: Whether the gate requires it by default.
      type: bool
    status:
      description: >-
        C(ok) when there is a spec (for some platform), C(no-spec) when the image has no compatibility artifact,
        C(error) otherwise.
      type: str
      sample: ok
    error:
      description: Why there is no spec (one line naming the image or file), else null.
      type: str
    platforms:
      description: Registry images, per platform of the audited hosts, which spec it gets.
      type: list
      elements: dict
      contains:
        platform:
          description: C(os/arch), or null for hosts of unknown platform.
          type: str
        status:
          description: C(ok), C(no-spec), C(error) or C(no-manifest) (the image cannot run there).
          type: str
        subject:
          description: What the spec is attached to, C(platform-manifest), C(index) or C(manifest).
          type: str
        spec_digest:
          description: Digest of the compatibility artifact.
          type: str
        reason:
          description: Why there is no spec for this platform.
          type: str
    digest:
      description: Image manifest digest (registry images).
      type: str
    spec_digest:
      description: Digest of the compatibility artifact, or C(sha256) of the spec file.
      type: str
    spec_source:
      description: Where the spec came from.
      type: str
    sets:
      description: Number of compatibility sets in the spec (0 when the platforms' specs differ).
      type: int
"""
