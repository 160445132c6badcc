"""Registry images on a fleet of two architectures: every host is audited with the spec for its own platform,
fetched once per (image, platform) — never per host — through `fleetcompat audit` and through the playbook alike.

Hosts: amd1..3 and arm1..3, gathered by the real gatherer below captured trees (an x86_64 and an aarch64
/proc/sys/kernel/arch and cpuinfo). Images in a real docker-registry behind the counting referrers-API front:
  multi       an index (linux/amd64, linux/arm64) with one spec on the index (AVX2) and another on the arm64
              manifest (ASIMD): amd64 hosts get the index's, arm64 hosts their manifest's
  amd64only   one linux/amd64 manifest with a spec (AVX2): arm64 hosts cannot run it at all
  noart       one linux/amd64 manifest without any compatibility artifact: no-spec (arm64 hosts: incompatible)
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fleetcompat.cli import main
from fleetcompat.registry import SpecFetcher
from fleetcompat.results.fleet import FleetResult, PlatformStatus, SpecStatus, Status
from tests.support import registry_images as pushing
from tests.support.lab import REPO, VENV_BIN, push_client, run_fleetcompat, write_vars

AMD64, ARM64 = "linux/amd64", "linux/arm64"
NO_ARM64 = "image has no linux/arm64 manifest (the image is for linux/amd64, not linux/arm64)"
HOSTS = ("amd1", "amd2", "amd3", "arm1", "arm2", "arm3")


def flag_spec(flag: str, tag: str) -> bytes:
    return (f"version: v1alpha1\ncompatibilities:\n- tag: {tag}\n  description: spec attached to the {tag}\n"
            f"  rules:\n  - name: {flag.lower()}\n    matchFeatures:\n    - feature: cpu.cpuid\n"
            f"      matchExpressions:\n        {flag}: {{op: Exists}}\n").encode()


TREES = {
    "amd": ("x86_64", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\n"
                      "model name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n"
                      "flags\t\t: fpu cx8 cmov sse sse2 ssse3 sse4_1 sse4_2 popcnt avx avx2\n\n"),
    "arm": ("aarch64", "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd aes pmull sha1 sha2 crc32 cpuid\n"
                       "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\n"
                       "CPU revision\t: 1\n\n"),
}


@dataclass
class Images:
    front: object
    multi: str
    amd64_only: str
    no_artifact: str
    on_index: str  # artifact digests
    on_arm64: str
    on_amd64_only: str

    def vars(self) -> list[dict]:
        return [{"alias": "multi", "image": self.multi}, {"alias": "amd64only", "image": self.amd64_only},
                {"alias": "noart", "image": self.no_artifact}]


@pytest.fixture(scope="module")
def images(registry) -> Images:
    if registry is None:
        pytest.skip("docker-registry is not installed")
    from fleetcompat.registry import ImageReference, Platform, attach_spec
    from fleetcompat.registry.client import Repository

    client, host = push_client(registry.front), registry.front.host
    pushing.push_index(client, Repository(host, "fleet/multi"), "v1")
    multi = ImageReference.parse(f"{host}/fleet/multi:v1")
    on_index = attach_spec(client, multi, flag_spec("AVX2", "index"), "index.yaml")
    on_arm64 = attach_spec(client, multi, flag_spec("ASIMD", "arm64-manifest"), "arm64.yaml",
                           platform=Platform.parse(ARM64))
    pushing.push_image(client, Repository(host, "fleet/amd64only"), "v1", note="amd64 only")
    amd64_only = ImageReference.parse(f"{host}/fleet/amd64only:v1")
    on_amd64 = attach_spec(client, amd64_only, flag_spec("AVX2", "amd64-manifest"), "amd64.yaml")
    return Images(registry.front, str(multi), str(amd64_only), registry.without_spec, on_index.artifact_digest,
                  on_arm64.artifact_digest, on_amd64.artifact_digest)


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    """host -> a captured tree with its architecture (what `fleetcompat_gather_root` / `--root` read)."""
    base = tmp_path_factory.mktemp("trees")
    out = {}
    for name in HOSTS:
        machine, cpuinfo = TREES[name[:3]]
        (base / name / "proc" / "sys" / "kernel").mkdir(parents=True)
        (base / name / "proc" / "sys" / "kernel" / "arch").write_text(machine + "\n")
        (base / name / "proc" / "cpuinfo").write_text(cpuinfo)
        out[name] = base / name
    return out


def cell(result: FleetResult, host: str, alias: str):
    return next(h for h in result.hosts if h.name == host).outcomes[alias]


def requests_by_repository(front) -> Counter:
    return Counter(re.match(r"/v2/(fleet/[^/]+)/", path)[1] for _, path in front.log)


def check_per_platform_result(result: FleetResult, images: Images) -> None:
    multi = result.image("multi")
    by_platform = {p.platform: p for p in multi.platforms}
    assert set(by_platform) == {AMD64, ARM64}
    assert (by_platform[AMD64].subject, by_platform[AMD64].spec_digest) == ("index", images.on_index)
    assert (by_platform[ARM64].subject, by_platform[ARM64].spec_digest) == ("platform-manifest", images.on_arm64)
    assert multi.spec_status is SpecStatus.OK and multi.spec_digest is None  # two different specs
    for host in HOSTS:
        platform = AMD64 if host.startswith("amd") else ARM64
        outcome = cell(result, host, "multi")
        assert (outcome.status, outcome.platform) == (Status.COMPATIBLE, platform), host
        assert multi.set_info(outcome.best_set, outcome.platform).tag == (
            "index" if platform == AMD64 else "arm64-manifest")

    amd64_only = result.image("amd64only")
    assert [(p.platform, p.status, p.subject) for p in amd64_only.platforms] == [
        (AMD64, PlatformStatus.OK, "manifest"), (ARM64, PlatformStatus.NO_MANIFEST, None)]
    assert amd64_only.spec_digest == images.on_amd64_only
    for host in ("amd1", "amd2", "amd3"):
        assert cell(result, host, "amd64only").status is Status.COMPATIBLE
    for host in ("arm1", "arm2", "arm3"):
        outcome = cell(result, host, "amd64only")
        assert (outcome.status, outcome.reason, outcome.failing) == (Status.INCOMPATIBLE, NO_ARM64, ())

    noart = result.image("noart")
    assert noart.spec_status is SpecStatus.NO_SPEC and "compatibility artifact not found" in noart.spec_error
    assert {cell(result, h, "noart").status for h in ("amd1", "amd2", "amd3")} == {Status.NO_SPEC}
    assert {cell(result, h, "noart").status for h in ("arm1", "arm2", "arm3")} == {Status.INCOMPATIBLE}


# Registry requests of one cold run, whatever the number of hosts (here 3 per platform):
#   multi:     the index; listings of the amd64 manifest (nothing), the index and the arm64 manifest; the two
#              artifacts' manifests and spec blobs                                                          = 8
#   amd64only: the manifest; its config (platform check, once for both platforms); one listing; artifact, blob = 5
#   noart:     the manifest; its config; one listing (nothing there)                                        = 3
EXPECTED_REQUESTS = {"fleet/multi": 8, "fleet/amd64only": 5, "fleet/noart": 3}


@pytest.fixture(scope="module")
def features_args(roots, tmp_path_factory) -> list[str]:
    """`--features FILE` per host, gathered by `fleetcompat gather --root` from the host's tree."""
    tmp = tmp_path_factory.mktemp("features")
    args = []
    for name, root in roots.items():
        path = tmp / f"{name}.json"
        proc = run_fleetcompat("gather", "--root", root, "--output", path)
        assert proc.returncode == 0, proc.stderr
        args += ["--features", str(path)]
    return args


def audit_in_process(images: Images, image_list: list[dict], features_args: list[str], tmp: Path):
    """`fleetcompat audit` in this process: (exit code, SpecFetcher.fetch calls, result, reports directory)."""
    fetches: Counter = Counter()
    original = SpecFetcher.fetch

    def counting(self, ref, platform=None):
        fetches[(str(ref), str(platform) if platform else None)] += 1
        return original(self, ref, platform)

    write_vars(tmp / "images.yml", fleetcompat_images=image_list)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SpecFetcher, "fetch", counting)
        code = main(["audit", *features_args, "--images", str(tmp / "images.yml"), "--plain-http-registry",
                     images.front.host, "--cache-dir", str(tmp / "cache"), "--output-dir", str(tmp / "reports"),
                     "--format", "json", "--format", "junit", "--quiet"])
    return code, fetches, FleetResult.load(tmp / "reports" / "fleet-result.json"), tmp / "reports"


@pytest.fixture(scope="module")
def cli_run(images, features_args, tmp_path_factory):
    """The audit of the three images, counting SpecFetcher.fetch calls and registry requests."""
    images.front.reset_counts()
    code, fetches, result, reports = audit_in_process(images, images.vars(), features_args,
                                                      tmp_path_factory.mktemp("cli"))
    return code, fetches, requests_by_repository(images.front), result, reports


def test_cli_audits_each_host_with_its_platforms_spec(cli_run, images):
    code, _, _, result, _ = cli_run
    assert code == 1  # arm64 hosts cannot run amd64only
    check_per_platform_result(result, images)


def test_cli_fetches_once_per_image_and_platform_not_per_host(cli_run, images):
    _, fetches, requests, _, _ = cli_run
    assert fetches == Counter({(ref, platform): 1 for ref in (images.multi, images.amd64_only, images.no_artifact)
                               for platform in (AMD64, ARM64)})
    assert {repo: requests[repo] for repo in EXPECTED_REQUESTS} == EXPECTED_REQUESTS, images.front.log


def test_junit_names_the_missing_manifest(cli_run):
    junit = (cli_run[4] / "fleet-junit.xml").read_text()
    assert f'message="incompatible: {NO_ARM64}"' in junit
    assert 'name="platform linux/arm64" value="ok (platform-manifest): referrers-api: artifact' in junit


def test_explicit_platform_applies_to_every_host(images, features_args, tmp_path):
    entry = {"alias": "multi-amd64", "image": images.multi, "platform": AMD64}
    code, fetches, result, _ = audit_in_process(images, [entry], features_args, tmp_path)
    assert code == 1 and fetches == Counter({(images.multi, AMD64): 1})
    assert [(p.platform, p.subject) for p in result.image("multi-amd64").platforms] == [(AMD64, "index")]
    for host in HOSTS:  # the arm64 hosts too are audited with the amd64 spec (the index's), and lack AVX2
        outcome = cell(result, host, "multi-amd64")
        assert outcome.platform == AMD64
        assert outcome.status is (Status.COMPATIBLE if host.startswith("amd") else Status.INCOMPATIBLE)
    failing = [(t.feature, e.element) for r in cell(result, "arm1", "multi-amd64").failing for t in r.terms
               for e in t.expressions]
    assert failing == [("cpu.cpuid", "AVX2")]


def test_playbook_audits_each_host_with_its_platforms_spec(images, roots, tmp_path):
    """The same fleet through playbooks/audit.yml (local connection, the real gatherer below each tree)."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {
        name: {**local, "fleetcompat_gather_root": str(root)} for name, root in roots.items()}}}))
    extra = write_vars(tmp_path / "vars.yml", fleetcompat_images=images.vars(),
                       fleetcompat_registry={"plain_http_registries": [images.front.host],
                                             "cache_dir": str(tmp_path / "cache")},
                       fleetcompat_report_dir=str(tmp_path / "reports"),
                       fleetcompat_run_dir_base=str(tmp_path / "runs"), fleetcompat_report_formats=["json"])
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    images.front.reset_counts()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/audit.yml", "-e",
                           extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    check_per_platform_result(FleetResult.load(tmp_path / "reports" / "fleet-result.json"), images)
    # image_specs resolved each image once per platform for the whole play: the same requests as the CLI.
    requests = requests_by_repository(images.front)
    assert {repo: requests[repo] for repo in EXPECTED_REQUESTS} == EXPECTED_REQUESTS, images.front.log
