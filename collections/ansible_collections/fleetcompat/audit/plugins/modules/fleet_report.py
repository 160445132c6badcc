# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
# This file only documents the action plugin plugins/action/fleet_report.py, which runs on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Write the fleet result and its reports (JSON, HTML, JUnit, Markdown) on the controller
version_added: "0.1.0"
description:
  - Collects, for every host in O(hosts), what the gather step and M(fleetcompat.audit.image_compat) left in its
    host variables, builds the fleet result (hosts x images) and writes it with its reports into O(output_dir).
  - Hosts are never dropped. A host whose gather result is unreachable is C(unreachable), one whose gathering
    failed (or that failed before gathering) is C(error), each with the reason; neither counts as incompatible.
    An image whose spec could not be resolved is C(error) for every host, one without a compatibility artifact
    C(no-spec), with the reason stated once; a host whose platform the image has no manifest for is
    C(incompatible) with that reason. The result records per registry image and platform which spec (subject) the
    hosts were audited with.
  - Run it once (C(run_once=true)) after the per-host steps, with O(hosts=ansible_play_hosts_all).
  - The renderers are the ones of C(fleetcompat report).
options:
  run_dir:
    description: Run directory returned by M(fleetcompat.audit.image_specs).
    type: path
    required: true
  hosts:
    description: Every host of the audit, reachable or not (normally C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  gather_result_var:
    description: Name of the host variable registered from M(fleetcompat.audit.node_features).
    type: str
    default: fleetcompat_gather_result
  compat_result_var:
    description: Name of the host variable registered from M(fleetcompat.audit.image_compat).
    type: str
    default: fleetcompat_compat_result
  features_fact:
    description: Name of the fact holding a host's features.
    type: str
    default: node_features
  summary_fact:
    description: Name of the fact holding a host's hardware summary.
    type: str
    default: node_features_summary
  output_dir:
    description: Directory for the result and reports (created if missing).
    type: path
    default: reports
  formats:
    description: What to write, C(json) being the fleet result itself.
    type: list
    elements: str
    choices: [json, html, junit, markdown]
    default: [json, html, junit]
  inventory:
    description: Inventory name recorded in the result.
    type: str
  limit:
    description: C(--limit) recorded in the result.
    type: str
  keep_run_dir:
    description: Keep the run directory (for debugging); by default it is removed.
    type: bool
    default: false
attributes:
  check_mode:
    description: >-
      Supported: managed hosts are only read; the reports are written on the controller in check mode as well,
      since producing them is the point of an audit.
    support: full
  idempotent:
    description: >-
      Never reports C(changed): it changes no managed host; the files it writes on the controller are output
      that is rewritten on every run.
    support: full
seealso:
  - module: fleetcompat.audit.fleet_gate
extends_documentation_fragment:
  - fleetcompat.audit.controller
  - fleetcompat.audit.controller.publish
"""

EXAMPLES = r"""
- name: Write the fleet result and reports
  fleetcompat.audit.fleet_report:
    run_dir: "{{ fleetcompat_specs.run_dir }}"
    hosts: "{{ ansible_play_hosts_all }}"
    output_dir: "{{ playbook_dir }}/../reports"
    formats: [json, html, junit, markdown]
  run_once: true
  register: fleetcompat_report
"""

RETURN = r"""
result_file:
  description: Path of the fleet result JSON (when C(json) is among O(formats)).
  returned: always
  type: str
  sample: reports/fleet-result.json
reports:
  description: Format to path of every file written.
  returned: always
  type: dict
  sample: {json: reports/fleet-result.json, html: reports/fleet-report.html, junit: reports/fleet-junit.xml}
verdict:
  description: The default gate verdict over all images and hosts.
  returned: always
  type: dict
  contains:
    code:
      description: 0 pass, 1 incompatible, 2 undecidable.
      type: int
    decision:
      description: C(pass), C(fail) or C(undecidable).
      type: str
    reason:
      description: One line.
      type: str
hosts:
  description: Host counts by host status (C(ok), C(unreachable), C(error)).
  returned: always
  type: dict
  sample: {ok: 3, unreachable: 1, error: 0}
images:
  description: Per image alias, host counts by outcome status.
  returned: always
  type: dict
  sample: {x86-64-v3: {compatible: 2, incompatible: 1, unreachable: 1, error: 0, no-spec: 0}}
compatible_hosts:
  description: Per image alias, the hosts that can run it.
  returned: always
  type: dict
  sample: {x86-64-v3: [node1, node2]}
history_run:
  description: The run's id in the history store (null when O(history=false) or recording failed).
  returned: always
  type: int
  sample: 42
"""
