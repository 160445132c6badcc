# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
# This file only documents the action plugin plugins/action/image_compat.py, which runs on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_compat
short_description: Evaluate one host's gathered features against images, on the controller
version_added: "0.1.0"
description:
  - Takes a host's features (NFD model, as gathered by M(fleetcompat.audit.node_features)) and the images of the
    run, and returns per image a verdict (C(compatible), C(incompatible), C(no-spec) or C(error)) with the full
    evaluation, that is every compatibility set, rule and expression with what the spec expected and what the host
    has. Each host is evaluated with the spec for its own platform (C(cpu.info) arch); an image without a manifest
    for it is C(incompatible) with that reason.
  - Runs on the controller only; the host is not contacted and needs no registry access.
  - With O(run_dir) (from M(fleetcompat.audit.image_specs), run once) every spec is fetched once per run for the
    whole fleet, and hosts that look the same to a spec (same values for everything the spec reads) share one
    evaluation across Ansible's worker processes. With O(images) the specs are resolved by this task itself
    (for a single host or an ad-hoc check).
options:
  features:
    description:
      - The host's features in NFD's JSON shape (C(flags), C(attributes), C(instances)).
      - Default is the host's fact named by O(features_fact), read as stored (not templated, which is much faster
        for large feature sets).
    type: dict
  features_fact:
    description: Name of the fact holding the host's features when O(features) is not given.
    type: str
    default: node_features
  run_dir:
    description: Run directory returned by M(fleetcompat.audit.image_specs). Mutually exclusive with O(images).
    type: path
  images:
    description:
      - Images to resolve here, for this host alone (registry images with its own platform), as in
        M(fleetcompat.audit.image_specs). Each entry names exactly one of O(images[].image) or O(images[].spec).
      - Mutually exclusive with O(run_dir).
attributes:
  check_mode:
    description: Fully supported; nothing is changed anywhere.
    support: full
seealso:
  - module: fleetcompat.audit.image_specs
  - module: fleetcompat.audit.node_features
extends_documentation_fragment:
  - fleetcompat.audit.controller
  - fleetcompat.audit.controller.images
"""

EXAMPLES = r"""
- name: Evaluate each host (its node_features fact) against the run's images
  fleetcompat.audit.image_compat:
    run_dir: "{{ fleetcompat_specs.run_dir }}"
  register: fleetcompat_compat_result

- name: Ad hoc, one image
  fleetcompat.audit.image_compat:
    features: "{{ ansible_facts['node_features'] }}"
    images:
      - spec: examples/specs/x86-64-v3.yaml
"""

RETURN = r"""
images:
  description: Per image alias, the outcome on this host.
  returned: always
  type: dict
  sample:
    x86-64-v3:
      status: compatible
      reason: null
      bestSet: {index: 0, weight: 0, tag: x86-64-v3, description: x86-64-v3 CPU}
      evaluation: {verdict: compatible, sets: []}
  contains:
    status:
      description: C(compatible), C(incompatible), C(no-spec) or C(error).
      type: str
    reason:
      description: >-
        Why, when nothing was evaluated (no manifest for the host's platform, no spec, spec unavailable) or the
        rule engine aborted; else null.
      type: str
    bestSet:
      description: The satisfied set with the highest weight, when compatible.
      type: dict
    evaluation:
      description: The full evaluation (sets, rules, expressions with expected and actual values).
      type: dict
compatible:
  description: Aliases of the images this host can run.
  returned: always
  type: list
  elements: str
incompatible:
  description: Aliases of the images this host cannot run.
  returned: always
  type: list
  elements: str
errors:
  description: Aliases of the images that could not be decided for this host.
  returned: always
  type: list
  elements: str
no_spec:
  description: Aliases of the images that have no compatibility spec for this host.
  returned: always
  type: list
  elements: str
"""
