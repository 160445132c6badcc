"""The paramiko direct mode over the same real sshd hosts: statuses, verdicts, host keys, timeouts."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from fleetcompat.results.fleet import FleetResult, HostStatus, Status
from tests.support.lab import SPECS, Lab, run_fleetcompat


def test_audit_over_ssh_matches_the_playbook_statuses(lab: Lab, tmp_path):
    out = tmp_path / "reports"
    proc = run_fleetcompat("audit", *lab.targets("node1", "node2", "node3", "down"), *lab.ssh_args(),
                           "--spec", SPECS / "x86-64-v3.yaml", "--spec", SPECS / "hugepages-vfio.yaml",
                           "--output-dir", out, "--quiet")
    assert proc.returncode == 1, proc.stderr  # node3 cannot run x86-64-v3
    result = FleetResult.load(out / "fleet-result.json")
    by_target = {h.name: h for h in result.hosts}
    node = {name: by_target[lab.names[name].target] for name in ("node1", "node2", "node3", "down")}
    assert node["down"].status is HostStatus.UNREACHABLE and "Connection refused" in node["down"].reason
    assert [node[n].outcomes["x86-64-v3"].status for n in ("node1", "node2", "node3")] == [
        Status.COMPATIBLE, Status.COMPATIBLE, Status.INCOMPATIBLE]
    assert node["node3"].summary["os"]["id"] == "ubuntu"
    assert {node[n].outcomes["hugepages-vfio"].status for n in ("node1", "node2", "node3")} == {Status.INCOMPATIBLE}


def test_validate_several_hosts(lab: Lab):
    proc = run_fleetcompat("validate", "--spec", SPECS / "x86-64-v3.yaml", *lab.targets("node1", "node3"),
                           *lab.ssh_args(), "--output", "json")
    assert proc.returncode == 1, proc.stderr
    docs = json.loads(proc.stdout)
    verdicts = {name: docs[lab.names[name].target]["verdict"] for name in ("node1", "node3")}
    assert verdicts == {"node1": "compatible", "node3": "incompatible"}


def test_gather_one_host_prints_its_features(lab: Lab):
    proc = run_fleetcompat("gather", *lab.targets("node3"), *lab.ssh_args(), "--sources", "cpu,system")
    assert proc.returncode == 0, proc.stderr
    features = json.loads(proc.stdout)
    assert "AVX2" not in features["flags"]["cpu.cpuid"]["elements"]
    assert features["attributes"]["system.osrelease"]["elements"]["ID"] == "ubuntu"
    assert "kernel.version" not in features["attributes"]  # only the sources asked for


def test_unknown_host_key_is_refused_unless_new_keys_are_accepted(lab: Lab, tmp_path):
    known = tmp_path / "known_hosts"
    target = lab.targets("node2")
    proc = run_fleetcompat("gather", "--summary", *target, "--identity", lab.lab.client_key, "--known-hosts", known)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "is not in" in proc.stderr and "--accept-new-host-keys" in proc.stderr
    proc = run_fleetcompat("gather", "--summary", *target, "--identity", lab.lab.client_key, "--known-hosts", known,
                           "--accept-new-host-keys")
    assert proc.returncode == 0, proc.stderr
    assert lab.names["node2"].known_hosts_name in known.read_text()
    # A recorded key that no longer matches is refused even with --accept-new-host-keys.
    other = lab.lab.known_hosts.read_text().splitlines()[0].split()  # node1's key
    known.write_text(f"{lab.names['node2'].known_hosts_name} {other[1]} {other[2]}\n")
    proc = run_fleetcompat("gather", "--summary", *target, "--identity", lab.lab.client_key, "--known-hosts", known,
                           "--accept-new-host-keys")
    assert proc.returncode == 2 and "host key mismatch" in proc.stderr


@pytest.fixture
def silent_server():
    """Accepts TCP connections and never says a word (a hung host)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_host_times_out_without_holding_up_the_others(lab: Lab, silent_server, tmp_path):
    proc = run_fleetcompat("audit", "--host", f"fcaudit@127.0.0.1:{silent_server}", *lab.targets("node1"),
                           *lab.ssh_args(), "--ssh-timeout", "1.5", "--spec", SPECS / "x86-64-v3.yaml",
                           "--output-dir", tmp_path, "--quiet")
    assert proc.returncode == 2, proc.stderr  # undecidable: one host unreachable
    result = FleetResult.load(tmp_path / "fleet-result.json")
    hung = next(h for h in result.hosts if h.name.endswith(f":{silent_server}"))
    assert hung.status is HostStatus.UNREACHABLE and "timed out after 1.5s" in hung.reason
    assert result.image("x86-64-v3") and result.run.duration_s < 10


def test_missing_remote_python_is_an_error_with_the_reason(lab: Lab, tmp_path):
    proc = run_fleetcompat("audit", *lab.targets("node1"), *lab.ssh_args(), "--remote-python", "/usr/bin/python9",
                           "--spec", SPECS / "x86-64-v3.yaml", "--output-dir", tmp_path, "--quiet")
    assert proc.returncode == 2
    host = FleetResult.load(tmp_path / "fleet-result.json").hosts[0]
    assert host.status is HostStatus.ERROR and "/usr/bin/python9 not found on the host" in host.reason
