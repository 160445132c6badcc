"""playbooks/report.yml reads each host's facts straight from Ansible's fact cache (jsonfile entries with
fleetcompat's bounded reader) and its groups from the inventory, not through hostvars: a damaged entry is that
host's error (the report still runs, and the entry is left as it is), and group_names are Ansible's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from fleetcompat.hostfeatures import gather
from fleetcompat.hostfeatures.packed import pack
from fleetcompat.results.fleet import FleetResult, HostStatus
from tests.support import REPO
from tests.support.lab import SPECS, VENV_BIN

GATHERED = {"at": "2026-05-04T10:00:00Z", "status": "ok", "reason": "", "featuresAt": "2026-05-04T10:00:00Z"}


def test_report_stage_reads_the_cache_and_the_inventory_directly(tmp_path):
    features = gather("/", use_udev=False)[0]
    facts = {"node_features_packed": pack(features), "fleetcompat_gathered": GATHERED}
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    cache = tmp_path / "facts"
    # Written by Ansible's own jsonfile plugin, in a child (the plugin loader is process-wide state).
    script = ("import json, sys\n"
              "from ansible.plugins.loader import cache_loader, init_plugin_loader\n"
              "init_plugin_loader()\n"
              "cache = cache_loader.get('ansible.builtin.jsonfile', _uri=sys.argv[1], _prefix='', _timeout=0)\n"
              "for name in ('web1', 'db1', 'loose', 'damaged'): cache.set(name, json.load(open(sys.argv[2])))\n")
    subprocess.run([sys.executable, "-c", script, str(cache), str(tmp_path / "facts.json")], check=True, timeout=60)
    (damaged,) = [p for p in cache.iterdir() if p.name.endswith("damaged")]
    damaged.write_text('{"__payload__": "{not json')
    inventory = tmp_path / "fleet.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "hosts": {"loose": None, "damaged": None, "never": None},
        "children": {"dc1": {"children": {"rack1": {"hosts": {"web1": None}}, "rack2": {"hosts": {"db1": None}}}}},
        "vars": {"fleetcompat_images": [{"spec": str(SPECS / "x86-64-v3.yaml")}]}}}))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_CACHE_PLUGIN": "jsonfile",
           "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache), "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0",
           "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/report.yml",
                           "-e", f"fleetcompat_report_dir={tmp_path / 'r'}", "-e", "fleetcompat_history=false"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    hosts = {h.name: h for h in FleetResult.load(tmp_path / "r" / "fleet-result.json").hosts}
    assert {n: (h.status, h.groups) for n, h in hosts.items() if n != "damaged"} == {
        "web1": (HostStatus.OK, ("dc1", "rack1")), "db1": (HostStatus.OK, ("dc1", "rack2")),
        "loose": (HostStatus.OK, ("ungrouped",)), "never": (HostStatus.UNREACHABLE, ("ungrouped",))}
    assert (hosts["damaged"].status, hosts["damaged"].reason) == (
        HostStatus.ERROR, f"{damaged}:1:17: not JSON: Unterminated string starting at")
    assert damaged.read_text() == '{"__payload__": "{not json'  # Ansible's own get() would have erased it
