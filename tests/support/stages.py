"""Helpers for the two-stage tests: slicing like AWX, inventories per slice, comparable fleet results."""

from __future__ import annotations

import copy
import os
import re
import sys
from pathlib import Path

import yaml

from fleetcompat.results.fleet import FleetResult

# "(last gather attempt 2026-05-04T10:00:00Z (3 s ago); features cached from ...)": when, not what
_WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ (?:s|min|h|d) ago\)")


def awx_slices(hosts: list[str], count: int) -> list[list[str]]:
    """AWX's rule (Inventory.get_sliced_hosts): hosts ordered by name, slice n of K takes hosts[n-1::K]."""
    ordered = sorted(hosts)
    count = min(count, len(ordered))
    return [ordered[n::count] for n in range(count)]


def inventory_with(doc: dict, keep: list[str]) -> dict:
    """The inventory with only `keep`'s hosts, every group's vars kept (what AWX gives a slice job)."""
    out = copy.deepcopy(doc)

    def prune(group: dict) -> None:
        if isinstance(group.get("hosts"), dict):
            group["hosts"] = {name: v for name, v in group["hosts"].items() if name in keep}
        for child in (group.get("children") or {}).values():
            prune(child)

    prune(out["all"])
    return out


def load_inventory(path) -> dict:
    return yaml.safe_load(path.read_text())


def comparable(result: FleetResult) -> dict[str, tuple]:
    """Host for host and cell for cell, with the times in reasons left out (two runs happen at different times)."""
    def when_free(text):
        return _WHEN.sub("<time>", text) if text else text

    return {h.name: (h.groups, h.status, when_free(h.reason), h.profile, h.summary,
                     {a: (o.status, o.best_set, o.failing, when_free(o.reason)) for a, o in h.outcomes.items()})
            for h in result.hosts}


REPO = Path(__file__).resolve().parents[2]


def start_job(private: Path, ident: str, playbook, inventory: dict, cache, cmdline: str, env: dict[str, str]):
    """One job as AWX runs it, with ansible-runner: its own private data dir and ident, no env files, the fact
    cache directory given explicitly (with fact_cache_type='' runner leaves ANSIBLE_CACHE_PLUGIN_CONNECTION alone).
    Returns run_async's (thread, runner)."""
    import ansible_runner

    private.mkdir(parents=True)
    envvars = {**env, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
               "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache),
               "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0",
               "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    return ansible_runner.run_async(
        private_data_dir=str(private), ident=ident, project_dir=str(REPO), playbook=str(playbook),
        inventory=inventory, envvars=envvars, cmdline=cmdline, fact_cache_type="", suppress_env_files=True,
        quiet=True)


def finish_job(job):
    thread, runner = job
    thread.join(timeout=1800)
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    return runner
