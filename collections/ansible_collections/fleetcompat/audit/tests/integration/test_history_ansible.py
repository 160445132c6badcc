"""playbooks/audit.yml records its runs too (the fleet_report action plugin, as `fleetcompat audit`): a host that is
down shows its last known status from an earlier run, and a broken store fails the play after the reports."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from fleetcompat.cli import main
from fleetcompat.history.url import open_store
from fleetcompat.results.fleet import FleetResult, Status
from tests.support import REPO
from tests.support.fleet_synthetic import GOOD, mini_fleet
from tests.support.history import rfc3339
from tests.support.hostile import make_fifo
from tests.support.net import free_port

SPEC = REPO / "examples" / "specs" / "x86-64-v3.yaml"


def audit_playbook(tmp_path: Path, history_url: str) -> subprocess.CompletedProcess:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {
        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "down": {"ansible_host": "127.0.0.1", "ansible_port": free_port(), "ansible_connection": "ssh",
                 "ansible_user": "nobody"}}}}))
    extra = {"fleetcompat_images": [{"spec": str(SPEC)}], "fleetcompat_report_dir": str(tmp_path / "reports"),
             "fleetcompat_report_formats": ["json", "markdown"], "fleetcompat_history_url": history_url}
    bin_dir = str(Path(sys.executable).parent)
    return subprocess.run([f"{bin_dir}/ansible-playbook", "-i", str(inventory), "playbooks/audit.yml", "-e",
                           json.dumps(extra)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})


def test_audit_playbook_records_and_shows_last_known(tmp_path: Path, capsys) -> None:
    url = f"sqlite://{tmp_path / 'history.db'}"
    earlier = mini_fleet({"down": GOOD, "localhost": GOOD}, {"x86-64-v3": SPEC.read_text()})
    earlier.run = replace(earlier.run, started_at=rfc3339(datetime.datetime.now(datetime.UTC)
                                                          - datetime.timedelta(days=2, hours=3)))
    earlier.dump(tmp_path / "earlier.json")
    assert main(["history", "record", str(tmp_path / "earlier.json"), "--history", url]) == 0
    before = earlier.hosts[0].outcomes["x86-64-v3"].status

    proc = audit_playbook(tmp_path, url)
    assert "fleetcompat:" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]
    result = FleetResult.load(tmp_path / "reports" / "fleet-result.json")
    down = next(h for h in result.hosts if h.name == "down")
    assert down.outcomes["x86-64-v3"].status is Status.UNREACHABLE
    assert down.outcomes["x86-64-v3"].last_known.status is before
    assert f"{before} 2 d ago" in (tmp_path / "reports" / "fleet-report.md").read_text()
    store = open_store(url)
    assert store.last().to_dict() == result.to_dict()
    assert [r.hosts for r in store.runs()] == [2, 2]
    store.close()


def test_audit_playbook_fails_after_the_reports_when_the_store_is_broken(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "history.db")
    proc = audit_playbook(tmp_path, f"sqlite://{fifo}")
    assert proc.returncode != 0
    assert "history: " in proc.stdout and "not a regular file" in proc.stdout and "the reports were written" in \
        proc.stdout, proc.stdout[-3000:]
    assert (tmp_path / "reports" / "fleet-result.json").exists() and fifo.is_fifo()
