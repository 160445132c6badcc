"""A fact cache someone else wrote: a FIFO entry, a corrupt entry and a huge entry are those hosts' errors; the
cache is only read (Ansible's own reader would block on the FIFO and delete the corrupt entry)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.hostile import FEATURES, SPEC, fleetcompat, make_fifo

PLAY = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: Cache this host's features as node_features does
      ansible.builtin.set_fact:
        node_features: "{{ lookup('ansible.builtin.file', features_file) | from_json }}"
        cacheable: true
"""


def test_hostile_fact_cache_entries_are_those_hosts_errors(tmp_path):
    cache = tmp_path / "cache"
    (tmp_path / "play.yml").write_text(PLAY)
    ansible_playbook = Path(sys.executable).with_name("ansible-playbook")
    env = {**os.environ, "ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)}
    proc = subprocess.run([ansible_playbook, "-i", "good,", "-c", "local", "-e", f"features_file={FEATURES}",
                           tmp_path / "play.yml"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (good,) = os.listdir(cache)  # the file name carries Ansible's schema prefix (s1_good on ansible-core 2.21)
    prefix = good[: -len("good")]
    make_fifo(cache / f"{prefix}fifo")
    (cache / f"{prefix}corrupt").write_text('{"__payload__": "{not json"}')
    with (cache / f"{prefix}huge").open("wb") as out:
        out.truncate(64 * 1024 * 1024)
    out = tmp_path / "reports"
    run = fleetcompat("audit", "--facts-cache", cache, "--facts-cache-timeout", "0", "--spec", SPEC,
                      "--output-dir", out, "--quiet", memory_mb=1024)
    assert run.code == 2 and "Traceback" not in run.stderr, run.stderr  # undecidable: three hosts are errors
    hosts = {h["name"]: h for h in json.loads((out / "fleet-result.json").read_text())["hosts"]}
    assert hosts["good"]["status"] == "ok"
    assert "a FIFO, not a regular file" in hosts["fifo"]["reason"]
    assert "unreadable" in hosts["corrupt"]["reason"]
    assert "larger than 32 MiB" in hosts["huge"]["reason"]
    assert sorted(os.listdir(cache)) == sorted(f"{prefix}{n}" for n in ("good", "fifo", "corrupt", "huge"))
