"""The Ansible audit against hosts and images that misbehave: a gatherer blocked on a FIFO, an interpreter that
never answers, a host reporting a 50 MB nodename, an alias-bomb and a deeply nested spec, a corrupt run
directory. Real sshd hosts (tests/support/sshlab.py) and real ansible-playbook runs: one bad host or image is
reported as `error` with its reason, everything else is audited, and nothing is left running on the hosts.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fleetcompat.limits import HOST_TEXT_LIMIT
from fleetcompat.results.fleet import FleetResult, HostStatus, SpecStatus, Status
from tests.support.lab import REPO, SPECS, VENV_BIN, Lab, ansible_env, modern_cpuinfo, run_playbook, write_vars
from tests.support.sshlab import LabUnavailable, SshLab

GATHER_TIMEOUT = 3  # fleetcompat_gather_timeout for the run: the hung hosts are stopped after it
BIG = 50 * 1024 * 1024  # characters of the nodename the `big` host reports
# ansible-playbook (and each worker it forks) may not map more than this: an alias bomb must end in an error for
# its image, not take the controller down.
ADDRESS_SPACE = 1024**3

NODENAME_SPEC = """\
version: v1alpha1
compatibilities:
- rules:
  - name: named node
    matchFeatures:
    - feature: system.name
      matchExpressions:
        nodename: {op: In, value: [node-a]}
"""


def alias_bomb() -> str:
    """'Billion laughs': 10 levels of 10 aliases each, a few hundred bytes that expand to 10^9 strings."""
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "version: v1alpha1\ncompatibilities: []\n" + "\n".join(levels) + "\n"


@dataclass
class HostileRun:
    proc: subprocess.CompletedProcess
    elapsed: float
    result: FleetResult
    reports: Path
    ssh: SshLab
    markers: dict[str, str]  # host -> a path only its blocked gatherer would have on its command line


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileRun:
    """One audit.yml run, with any_errors_fatal and a 1 GiB address-space limit: `good` (a healthy host), `fifo`
    (/proc/cpuinfo under its gather root is a FIFO), `stuck` (its Python interpreter is a script that sleeps for an
    hour), `big` (its cached facts say its nodename is 50 MB), `odd` (its cached features are malformed, so its
    evaluation fails); images: a good spec, an alias bomb, a 50,000-level nested spec, one matching the nodename."""
    try:
        ssh = SshLab()
    except LabUnavailable as exc:
        pytest.skip(str(exc))
    tmp = tmp_path_factory.mktemp("hostile")
    # The login user must reach the FIFO and the interpreter script: not under pytest's 0700 directory.
    shared = Path(tempfile.mkdtemp(prefix="fleetcompat-hostile-"))
    shared.chmod(0o755)
    try:
        (shared / "fifo-root" / "proc").mkdir(parents=True)
        os.mkfifo(shared / "fifo-root" / "proc" / "cpuinfo", 0o644)
        for d in (shared / "fifo-root", shared / "fifo-root" / "proc"):
            d.chmod(0o755)
        interpreter = shared / "sleepy-python"
        interpreter.write_text('#!/bin/sh\nsleep 3600\nexec /usr/bin/python3 "$@"\n')
        interpreter.chmod(0o755)
        modern = {"/proc/cpuinfo": modern_cpuinfo()}
        hosts = {name: ssh.add_host(name, files=modern) for name in ("good", "fifo", "stuck")}
        doc = yaml.safe_load(ssh.inventory_yaml("lab"))
        inventory_hosts = doc["all"]["children"]["lab"]["hosts"]
        inventory_hosts["fifo"]["fleetcompat_gather_root"] = str(shared / "fifo-root")
        inventory_hosts["stuck"]["ansible_python_interpreter"] = str(interpreter)
        inventory_hosts["big"] = inventory_hosts["odd"] = dict(inventory_hosts["good"])
        inventory = tmp / "hostile.yml"
        inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
        lab = Lab(ssh, inventory, hosts)

        specs = tmp / "specs"
        specs.mkdir()
        (specs / "alias-bomb.yaml").write_text(alias_bomb())
        (specs / "deep.yaml").write_text("version: v1alpha1\ncompatibilities: " + "[" * 50000 + "]" * 50000 + "\n")
        (specs / "nodename.yaml").write_text(NODENAME_SPEC)
        env = ansible_env(lab, ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp / "facts"))

        # `big`'s facts, cached as if its gatherer had reported them.
        nodename = f"{{{{ 'n' * {BIG} }}}}"
        facts = {"cacheable": True, "node_features_summary": {"nodename": nodename}, "node_features": {
            "flags": {}, "instances": {}, "attributes": {"system.name": {"elements": {"nodename": nodename}}}}}
        seed = tmp / "seed.yml"
        malformed = {"cacheable": True, "node_features": {"flags": []}}
        seed.write_text(yaml.safe_dump([
            {"name": "Cache a host's facts", "hosts": host, "gather_facts": False,
             "tasks": [{"name": "Cache the facts", "ansible.builtin.set_fact": host_facts}]}
            for host, host_facts in (("big", facts), ("odd", malformed))]))
        proc = run_playbook(lab, str(seed), env=env, timeout=120)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

        extra = write_vars(tmp / "vars.yml", fleetcompat_gather_timeout=GATHER_TIMEOUT,
                           fleetcompat_gather_use_cache=True,
                           fleetcompat_images=[{"spec": str(SPECS / "x86-64-v3.yaml")},
                                               {"spec": str(specs / "alias-bomb.yaml")},
                                               {"spec": str(specs / "deep.yaml")},
                                               {"spec": str(specs / "nodename.yaml")}],
                           fleetcompat_report_dir=str(tmp / "reports"),
                           fleetcompat_report_formats=["json", "html", "junit", "markdown"])
        started = time.monotonic()
        proc = run_playbook(lab, "audit.yml", "-e", extra, env={**env, "ANSIBLE_ANY_ERRORS_FATAL": "True"},
                            timeout=180, wrapper=("prlimit", f"--as={ADDRESS_SPACE}"))
        elapsed = time.monotonic() - started
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        result = FleetResult.load(tmp / "reports" / "fleet-result.json")
        yield HostileRun(proc, elapsed, result, tmp / "reports", ssh,
                         {"fifo": str(shared / "fifo-root"), "stuck": str(interpreter)})
    finally:
        ssh.close()
        subprocess.run(["rm", "-rf", str(shared)], check=False)


def host(run: HostileRun, name: str):
    return next(h for h in run.result.hosts if h.name == name)


def test_hung_hosts_time_out_and_the_rest_is_audited(hostile):
    assert hostile.elapsed < 90
    hung = host(hostile, "stuck")
    assert hung.status is HostStatus.ERROR
    # The gather attempt is recorded with the host (playbooks/gather.yml), so the reason says when it was.
    assert hung.reason.startswith(f"gathering failed: gather timed out after {GATHER_TIMEOUT} s (stopped on the host)")
    # The gatherer itself refuses a FIFO without blocking (HostFS): that host is gathered, with a warning.
    assert host(hostile, "fifo").status is HostStatus.OK
    assert "fifo-root/proc/cpuinfo: a FIFO, not read" in hostile.proc.stdout + hostile.proc.stderr
    good = host(hostile, "good")
    assert good.status is HostStatus.OK
    assert good.outcomes["x86-64-v3"].status is Status.COMPATIBLE
    assert "gather timed out after 3 s (stopped on the host)" in hostile.proc.stdout


def test_nothing_is_left_running_on_the_hung_hosts(hostile):
    """Only sshd (the listener and ControlPersist sessions) runs in each host's namespace afterwards: not the
    gatherer blocked on the FIFO, nor the interpreter script or its sleep."""
    if not hostile.ssh.use_netns:
        pytest.skip("needs network namespaces: the hosts' processes are told apart by namespace")
    by_name = {h.name: h for h in hostile.ssh.hosts}
    for name in ("fifo", "stuck"):
        pids = subprocess.run(["ip", "netns", "pids", by_name[name].netns], capture_output=True, text=True,
                              check=True).stdout.split()
        processes = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                     for pid in pids if Path(f"/proc/{pid}").exists()]
        assert processes and all(p.startswith("sshd") for p in processes), (name, processes)


def test_one_bad_spec_is_an_error_for_its_image_only(hostile):
    result = hostile.result
    for alias, file in (("alias-bomb", "alias-bomb.yaml"), ("deep", "deep.yaml")):
        image = result.image(alias)
        assert image.spec_status is SpecStatus.ERROR
        assert file in image.spec_error and "\n" not in image.spec_error
        assert host(hostile, "good").outcomes[alias].status is Status.ERROR
    assert host(hostile, "good").outcomes["x86-64-v3"].status is Status.COMPATIBLE
    assert host(hostile, "good").outcomes["nodename"].status is Status.INCOMPATIBLE


def test_a_failed_evaluation_stops_nobody_even_with_any_errors_fatal(hostile):
    """The run has any_errors_fatal: `odd`'s evaluation fails, and it is still reported, with everyone else."""
    odd = host(hostile, "odd")
    assert odd.status is HostStatus.ERROR and "flags: expected a mapping" in odd.reason
    assert host(hostile, "good").outcomes["x86-64-v3"].status is Status.COMPATIBLE


def test_what_a_host_says_about_itself_is_capped_in_the_reports(hostile):
    big = host(hostile, "big")
    assert big.status is HostStatus.OK
    nodename = big.summary["nodename"]
    assert nodename == "n" * HOST_TEXT_LIMIT + f"… ({BIG} characters)"
    shown = [e.actual for r in big.outcomes["nodename"].failing for t in r.terms for e in t.expressions]
    assert shown == ["n" * HOST_TEXT_LIMIT + f"… ({BIG} characters)"]
    hints = [h.text for h in big.outcomes["nodename"].remediation.hints]
    assert hints and all(len(text) < 2 * HOST_TEXT_LIMIT for text in hints), [len(t) for t in hints]
    for report in hostile.reports.iterdir():
        assert report.stat().st_size < 1024 * 1024, report
    assert host(hostile, "good").outcomes["nodename"].status is Status.INCOMPATIBLE


def test_an_internal_error_is_one_line_naming_the_task_and_host(tmp_path):
    """A run directory whose record lacks its entry (KeyError in the plugin): one line, the traceback on demand."""
    run_dir = tmp_path / "fleetcompat-run-corrupt"
    run_dir.mkdir()
    (run_dir / "images.json").write_text('[{"version": 2}]')
    playbook = tmp_path / "compat.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Evaluate", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Evaluate against a corrupt run directory",
         "fleetcompat.audit.image_compat": {"run_dir": str(run_dir), "features": {}}}]}]))
    expected = ("fleetcompat: internal error: KeyError: 'entry' (fleetcompat.audit.image_compat on localhost); "
                "FLEETCOMPAT_DEBUG=1 shows the traceback")
    for debug in ("", "1"):
        env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
               "FLEETCOMPAT_DEBUG": debug}
        proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stdout[-3000:]
        if debug:
            assert expected.split(";")[0] in proc.stdout and "Traceback (most recent call last)" in proc.stdout
            assert "from_record" in proc.stdout
        else:
            assert expected in proc.stdout, proc.stdout[-3000:]
            assert "Traceback" not in proc.stdout + proc.stderr
