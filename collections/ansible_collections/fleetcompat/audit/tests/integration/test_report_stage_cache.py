"""playbooks/report.yml reads each host's facts straight from Ansible's fact cache and its groups from the
inventory, not through hostvars: the hosts' groups are Ansible's group_names (nested groups included), a fact
cached under an `ansible_` prefix is read as `ansible_facts` shows it, a host never cached is listed, and a host
whose entry is a FIFO (which Ansible's own reader would wait on forever) is that host's error."""

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
    prefixed = {f"ansible_{key}": value for key, value in facts.items()}
    (tmp_path / "facts.json").write_text(json.dumps({"plain": facts, "prefixed": prefixed}))
    cache = tmp_path / "facts"
    # Written by Ansible's own jsonfile plugin, in a child (the plugin loader is process-wide state).
    script = ("import json, sys\n"
              "from ansible.plugins.loader import cache_loader, init_plugin_loader\n"
              "init_plugin_loader()\n"
              "cache = cache_loader.get('ansible.builtin.jsonfile', _uri=sys.argv[1], _prefix='', _timeout=0)\n"
              "facts = json.load(open(sys.argv[2]))\n"
              "for name in ('web1', 'db1', 'loose', 'piped'): cache.set(name, facts['plain'])\n"
              "cache.set('prefixed', facts['prefixed'])\n")
    subprocess.run([sys.executable, "-c", script, str(cache), str(tmp_path / "facts.json")], check=True, timeout=60)
    [entry] = [path for path in cache.iterdir() if path.name.endswith("piped")]
    entry.unlink()
    os.mkfifo(entry)
    inventory = tmp_path / "fleet.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "hosts": {"loose": None, "prefixed": None, "never": None, "piped": None},
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
    assert {n: (h.status, h.groups) for n, h in hosts.items()} == {
        "web1": (HostStatus.OK, ("dc1", "rack1")), "db1": (HostStatus.OK, ("dc1", "rack2")),
        "loose": (HostStatus.OK, ("ungrouped",)), "prefixed": (HostStatus.OK, ("ungrouped",)),
        "never": (HostStatus.UNREACHABLE, ("ungrouped",)), "piped": (HostStatus.ERROR, ("ungrouped",))}
    assert hosts["piped"].reason == f"{entry}: cannot read fact cache entry: a FIFO, not a regular file"
    assert hosts["prefixed"].outcomes == hosts["loose"].outcomes
