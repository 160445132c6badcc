# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
# This file only documents the action plugin plugins/action/fleet_gate.py, which runs on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fleet_gate
short_description: Decide a deployment from a fleet result and name the compatible hosts per image
version_added: "0.1.0"
description:
  - Reads the fleet result written by M(fleetcompat.audit.fleet_report) and takes the decision of
    C(fleetcompat gate) (one implementation). It passes when every required image is compatible on every audited host
    (or on at least O(min_compatible) of them), fails when hosts are incompatible, and is undecidable when unreachable
    hosts or errors could change the answer.
  - With O(enforce=true) (the default) the task fails unless the decision is C(pass), so the run stops before a
    deploy play. Either way it returns, per image, the compatible hosts and the group memberships
    (C(<group_prefix><alias>)) for M(ansible.builtin.add_host), so a following play can deploy only there.
options:
  result:
    description: The fleet result JSON.
    type: path
    required: true
  require:
    description: Aliases of the images that must be compatible; empty means every image in the result.
    type: list
    elements: str
    default: []
  min_compatible:
    description: Pass when at least C(N) hosts, or C(N%) of the audited hosts, can run each required image.
    type: str
  allow_unreachable:
    description: Leave unreachable hosts out of the decision instead of treating them as undecidable.
    type: bool
    default: false
  enforce:
    description: Fail the task unless the decision is C(pass).
    type: bool
    default: true
  group_prefix:
    description: Prefix of the per-image group names; non-word characters of aliases become C(_).
    type: str
    default: fleetcompat_compatible_
  waivers:
    description:
      - Waivers to apply (C(fleetcompat gate --waivers)), the path of a waivers YAML file on the controller, or
        its entries as a list, each with C(image), C(hosts) (names, globs or inventory groups), C(justification),
        C(owner), C(expires) (date) and optionally C(set), C(rule), C(statuses), C(ticket).
      - Covered cells get status C(waived) and pass; their hosts are in the image's group; expired entries waive
        nothing and are named by the gate. See docs/reports.md.
    type: raw
attributes:
  check_mode:
    description: Fully supported; nothing is changed.
    support: full
seealso:
  - module: fleetcompat.audit.fleet_report
extends_documentation_fragment:
  - fleetcompat.audit.controller
"""

EXAMPLES = r"""
- name: Gate on the CUDA image; at least 90% of the fleet must run it
  fleetcompat.audit.fleet_gate:
    result: reports/fleet-result.json
    require: [cuda]
    min_compatible: "90%"
    allow_unreachable: true
  run_once: true
  register: fleetcompat_gate

- name: Put the compatible hosts into fleetcompat_compatible_<alias> groups
  ansible.builtin.add_host:
    name: "{{ item.host }}"
    groups: "{{ item.group }}"
  loop: "{{ fleetcompat_gate.memberships }}"
  run_once: true
  changed_when: false
"""

RETURN = r"""
code:
  description: 0 pass, 1 incompatible, 2 undecidable (the exit code of C(fleetcompat gate)).
  returned: always
  type: int
decision:
  description: C(pass), C(fail) or C(undecidable).
  returned: always
  type: str
reason:
  description: One line saying why.
  returned: always
  type: str
  sample: "cuda: 1 of 4 hosts incompatible (node3)"
required:
  description: The aliases the decision was taken on.
  returned: always
  type: list
  elements: str
compatible_hosts:
  description: Per image alias, the hosts that can run it (compatible, or waived).
  returned: always
  type: dict
groups:
  description: Group name to the hosts to put into it.
  returned: always
  type: dict
  sample: {fleetcompat_compatible_cuda: [node1, node2]}
memberships:
  description: The same as a flat list of C({host, group}) for an M(ansible.builtin.add_host) loop.
  returned: always
  type: list
  elements: dict
"""
