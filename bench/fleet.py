"""Benchmark: the Ansible fleet audit against plain fact gathering, over the same real sshd hosts (issue 6).

Starts N sshd hosts (network namespaces with their own addresses, or 127.0.0.1 ports) with a clean login user,
and, when Debian's docker-registry is installed, a registry behind a counting front with 2 images whose
compatibility specs are attached (else the 2 images are local spec files). Then, side by side and with the same
warm ssh ControlPersist connections, it times

  A  ansible-playbook playbooks/audit.yml   (gather, resolve 2 specs once, evaluate, write JSON/HTML/JUnit)
  B  ansible all -m ansible.builtin.setup   (Ansible's own fact gathering, the baseline)
  C  fleetcompat audit --host ...           (paramiko direct mode: no Ansible, no OpenSSH client)

and prints the ratio A/B (goal <= 1.2), the time per host, and the registry requests per audit run for N hosts
and for 1 host (goal: the same, i.e. independent of N). Needs root (sshd for another user, namespaces).

Usage: python -m bench.fleet [--hosts 6] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.support.sshlab import SshLab

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SPECS = REPO / "examples" / "specs"
IMAGE_SPECS = ("x86-64-v3.yaml", "hugepages-vfio.yaml")


def start_registry(workdir: Path):
    """(front, process, [image refs]) with the two example specs attached, or None without docker-registry."""
    from tests.support.registry_images import push_image
    from tests.support.registry_servers import REGISTRY_BINARY, RegistryFront, RegistryProcess

    if not os.access(REGISTRY_BINARY, os.X_OK):
        return None
    from fleetcompat.registry import ImageReference, RegistryClient, RegistryOptions, attach_spec
    from fleetcompat.registry.client import Repository

    process = RegistryProcess(workdir / "registry")
    front = RegistryFront(process.host, referrers=True)
    client = RegistryClient(RegistryOptions(plain_http_registries=frozenset({front.host}), cache_dir=None))
    refs = []
    for spec in IMAGE_SPECS:
        name = f"bench/{Path(spec).stem}"
        push_image(client, Repository(front.host, name), "v1")
        ref = f"{front.host}/{name}:v1"
        attach_spec(client, ImageReference.parse(ref), (SPECS / spec).read_bytes(), spec)
        refs.append(ref)
    return front, process, refs


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # fleetcompat audit exits 1 when some host is incompatible
        sys.exit(f"bench: {' '.join(argv[:3])} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=6, help="sshd hosts (>= 4)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command (median reported)")
    args = parser.parse_args()
    if args.hosts < 4:
        parser.error("--hosts must be at least 4")
    work = Path(tempfile.mkdtemp(prefix="fleetcompat-bench-"))
    registry = None
    with SshLab() as lab:
        for i in range(args.hosts):
            lab.add_host(f"h{i + 1}")
        inventory = work / "hosts.yml"
        inventory.write_text(lab.inventory_yaml("bench"))
        registry = start_registry(work)
        try:
            variables: dict = {"fleetcompat_report_dir": str(work / "reports")}
            if registry:
                front, _, refs = registry
                variables["fleetcompat_images"] = [{"image": ref} for ref in refs]
                variables["fleetcompat_registry"] = {"plain_http_registries": [front.host],
                                                     "cache_dir": str(work / "spec-cache")}
                image_args = [a for ref in refs for a in ("--image", ref)] + ["--plain-http-registry", front.host,
                                                                              "--cache-dir", str(work / "cli-cache")]
            else:
                variables["fleetcompat_images"] = [{"spec": str(SPECS / s)} for s in IMAGE_SPECS]
                image_args = [a for s in IMAGE_SPECS for a in ("--spec", str(SPECS / s))]
            extra = work / "vars.yml"
            extra.write_text(yaml.safe_dump(variables))
            env = {**os.environ, **lab.ansible_env(), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                   "ANSIBLE_FORKS": str(max(5, args.hosts)), "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
            audit = [str(BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/audit.yml", "-e", f"@{extra}"]
            setup = [str(BIN / "ansible"), "-i", str(inventory), "all", "-m", "ansible.builtin.setup"]
            direct = [str(BIN / "fleetcompat"), "audit", "--quiet", "--output-dir", str(work / "direct"),
                      "--identity", str(lab.client_key), "--known-hosts", str(lab.known_hosts),
                      *[a for h in lab.hosts for a in ("--host", h.target)], *image_args]

            timed([str(BIN / "ansible"), "-i", str(inventory), "all", "-m", "ansible.builtin.ping"], env)  # warm mux
            times: dict[str, list[float]] = {"audit": [], "setup": [], "direct": []}
            for _ in range(args.repeat):
                times["audit"].append(timed(audit, env))
                times["setup"].append(timed(setup, env))
                times["direct"].append(timed(direct, env))

            requests = {}
            if registry:
                for label, limit in ((f"{args.hosts} hosts", []), ("1 host", ["--limit", "h1"])):
                    shutil.rmtree(work / "spec-cache", ignore_errors=True)  # cold: every spec really fetched
                    front.reset_counts()
                    timed(audit + limit, env)
                    requests[label] = front.counts["total"]
        finally:
            if registry:
                registry[0].stop()
                registry[1].stop()
            shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"fleet audit benchmark: {args.hosts} sshd hosts ({'network namespaces' if lab.use_netns else '127.0.0.1'}),"
          f" 2 images ({'registry' if registry else 'local spec files'}), median of {args.repeat} runs")
    for key, label in (("audit", "A ansible-playbook playbooks/audit.yml"), ("setup", "B ansible all -m setup"),
                       ("direct", "C fleetcompat audit --host (paramiko)")):
        print(f"  {label:40} {med[key]:6.2f} s   {med[key] / args.hosts:5.3f} s/host")
    print(f"  ratio A/B = {med['audit'] / med['setup']:.2f} (goal <= 1.2);  C/B = {med['direct'] / med['setup']:.2f}")
    if requests:
        print("  registry requests per audit run (cold spec cache): "
              + ", ".join(f"{label}: {count}" for label, count in requests.items())
              + ("  (independent of N)" if len(set(requests.values())) == 1 else "  (DEPENDS ON N)"))
    else:
        print("  registry requests: docker-registry not installed, local spec files used")


if __name__ == "__main__":
    main()
