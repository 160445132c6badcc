# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
# This file only documents the action plugin plugins/action/cached_fleet_report.py, which runs on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cached_fleet_report
short_description: Evaluate the whole fleet from cached facts and write its reports, in one controller-side step
version_added: "0.1.0"
description:
  - The report stage of the two-stage path (C(playbooks/gather.yml), then C(playbooks/report.yml)). Reads every
    host's cached facts (C(node_features), C(node_features_summary), C(fleetcompat_gathered)) from Ansible's fact
    cache as stored and its groups from the inventory (not each host's variables through C(hostvars)), resolves
    the images once, evaluates each distinct feature set once per spec, builds the fleet result and writes it with
    its reports into O(output_dir). It contacts no host
    and runs no task per host, so 10,000 cached hosts cost seconds; it is the same code as
    C(fleetcompat audit --facts-cache).
  - The latest gather attempt decides a host's status. A host that was unreachable or failed then is reported so,
    with when that was and how old its cached features are; a host with no cached facts is C(unreachable) with
    "no cached facts". No host of O(hosts) is dropped.
  - Run it once, e.g. in a play on C(localhost), with O(hosts) the whole inventory (C(groups['all'])) and the
    same fact cache the gather stage wrote.
options:
  hosts:
    description: Every host of the fleet (cached or not).
    type: list
    elements: str
    required: true
  images:
    required: true
  output_dir:
    description: Directory for the reports (created if missing).
    type: path
    default: reports
  formats:
    description:
      - Reports to write. C(junit-compact) writes C(fleet-junit.xml) with a testcase per image and hardware
        profile instead of per host (for CI systems that cap uploads, and much faster for large fleets).
    type: list
    elements: str
    choices: [json, html, junit, junit-compact, markdown]
    default: [json, html, junit]
  inventory:
    description: Recorded as the run's inventory.
    type: str
  limit:
    description: Recorded as the run's limit.
    type: str
attributes:
  check_mode:
    description: Writes the reports on the controller in check mode too; no managed host is changed.
    support: full
seealso:
  - module: fleetcompat.audit.node_features
  - module: fleetcompat.audit.fleet_report
extends_documentation_fragment:
  - fleetcompat.audit.controller
  - fleetcompat.audit.controller.images
  - fleetcompat.audit.controller.publish
"""

EXAMPLES = r"""
- name: Evaluate the fleet from cached facts
  hosts: localhost
  gather_facts: false
  tasks:
    - name: One step for the whole inventory
      fleetcompat.audit.cached_fleet_report:
        hosts: "{{ groups['all'] }}"
        images:
          - spec: examples/specs/x86-64-v3.yaml
        output_dir: reports
"""

RETURN = r"""
result_file:
  description: Path of the fleet result JSON (empty if C(json) is not among O(formats)).
  returned: success
  type: str
reports:
  description: Report format -> path.
  returned: success
  type: dict
verdict:
  description: The default gate decision (every image on every host) with C(code), C(decision), C(reason).
  returned: success
  type: dict
hosts:
  description: Host counts by status (C(ok), C(unreachable), C(error)).
  returned: success
  type: dict
"""
