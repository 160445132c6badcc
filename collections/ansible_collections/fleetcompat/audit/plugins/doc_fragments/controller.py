# Copyright: fleetcompat maintainers
# Apache License 2.0 (see LICENSE in the repository)
"""Documentation shared by the collection's controller-side action plugins (their doc stubs in plugins/modules/)."""

from __future__ import annotations


class ModuleDocFragment:
    # Every controller-side plugin: image_specs, image_compat, fleet_report, fleet_gate.
    DOCUMENTATION = r"""
options: {}
attributes:
  diff_mode:
    description: Not applicable.
    support: none
  platform:
    description: Runs on the controller.
    platforms: posix
notes:
  - This is an action plugin. It runs in the controller's Python (the one running ansible-playbook) and imports
    the C(fleetcompat) package from it, so Ansible and the C(fleetcompat) command share one code base; install the
    repository into that Python (e.g. C(scripts/setup.sh) and C(.venv/bin/ansible-playbook)). Managed hosts are
    not contacted by it.
author:
  - fleetcompat maintainers (@fleetcompat)
"""

    # The images to check and how registries are reached: image_specs, image_compat.
    IMAGES = r"""
options:
  images:
    description:
      - The images to check. Each entry names exactly one of O(images[].image) or O(images[].spec).
    type: list
    elements: dict
    suboptions:
      alias:
        description:
          - Short name used in reports and in the gate's group names (C(fleetcompat_compatible_<alias>)).
          - Default is the spec file's name without extension, or the image repository's last path segment.
        type: str
      image:
        description: Registry reference, C(registry/repository:tag) or C(...@sha256:...).
        type: str
      spec:
        description: Local spec file (YAML or JSON); relative paths are relative to the current directory.
        type: path
      tags:
        description: Keep only the compatibility sets with one of these tags (NFD's C(--tags)).
        type: list
        elements: str
        default: []
      platform:
        description:
          - Platform (C(os/arch[/variant])) whose manifest (then the index) gives the spec, for every host.
          - Default is each host's own platform.
        type: str
      required:
        description: The gate (M(fleetcompat.audit.fleet_gate)) requires this image when no explicit list is given.
        type: bool
        default: false
  registry:
    description: How registries are reached. Credentials come from Docker/Podman auth files.
    type: dict
    default: {}
    suboptions:
      plain_http:
        description: Use plain HTTP for every registry.
        type: bool
        default: false
      plain_http_registries:
        description: Use plain HTTP for these C(host:port) registries only.
        type: list
        elements: str
        default: []
      ca_file:
        description: CA bundle (PEM) for registry TLS certificates.
        type: path
      timeout:
        description: Seconds one registry request (retries included) may take.
        type: float
        default: 8.0
      cache_dir:
        description: Content-addressed spec cache; default C($XDG_CACHE_HOME/fleetcompat).
        type: path
      offline:
        description: Use only the spec cache; never contact a registry.
        type: bool
        default: false
"""

    # What is done with a built fleet result: fleet_report, cached_fleet_report.
    PUBLISH = r"""
options:
  waivers:
    description:
      - Waivers to apply (C(fleetcompat report --waivers)), the path of a waivers YAML file on the controller, or
        its entries as a list, each with C(image), C(hosts) (names, globs or inventory groups), C(justification),
        C(owner), C(expires) (date) and optionally C(set), C(rule), C(statuses), C(ticket).
      - Covered cells get status C(waived), recorded in the fleet result with the entries applied; expired entries
        waive nothing and are named by the gate. See docs/drift.md.
    type: raw
  history:
    description: >-
      Record the run in the history store and show unreachable hosts' last known status, as C(fleetcompat audit)
      does. If the store cannot be used, the reports are still written and the task fails.
    type: bool
    default: true
  history_url:
    description: >-
      History store (C(sqlite:///PATH), C(postgresql://...)); default C($FLEETCOMPAT_HISTORY), else
      C($XDG_DATA_HOME/fleetcompat/history.db) on the controller.
    type: str
"""
