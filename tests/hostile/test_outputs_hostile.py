"""Outputs never destroy: special files are not replaced, temp files are not predictable or followed, a run's
files land as a set, concurrent runs on one directory are serialised."""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys

import pytest

from fleetcompat.errors import FleetcompatError
from fleetcompat.files import write_file, write_files
from tests.support.hostile import (
    FEATURES,
    SPEC,
    WALL_S,
    assert_one_line_error,
    fleetcompat,
    make_char_device,
    make_fifo,
)


@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    run = fleetcompat("audit", "--spec", SPEC, "--features", FEATURES, "--output-dir", out, "--quiet")
    assert run.code in (0, 1), run.stderr
    return out / "fleet-result.json"


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_report_never_replaces_a_special_file(tmp_path, result_file, special):
    target = tmp_path / "report.html"
    make_fifo(target) if special == "fifo" else make_char_device(target, 1, 3)
    run = fleetcompat("report", result_file, "--html", target, "--quiet")
    assert_one_line_error(run, str(target), "exists and is a", "'-' for standard output")
    mode = target.lstat().st_mode
    assert stat.S_ISFIFO(mode) if special == "fifo" else stat.S_ISCHR(mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left behind


def test_report_to_standard_output(result_file):
    run = fleetcompat("report", result_file, "--html", "-", "--quiet", "--exit-zero")
    assert run.code == 0, run.stderr
    assert run.stdout.lstrip().startswith("<!DOCTYPE html>")


def test_report_files_are_written_as_a_set(tmp_path, result_file):
    good = tmp_path / "report.html"
    good.write_text("previous report")
    bad = make_fifo(tmp_path / "junit.xml")
    run = fleetcompat("report", result_file, "--html", good, "--junit", bad, "--quiet")
    assert_one_line_error(run, str(bad))
    assert good.read_text() == "previous report"  # not replaced: its sibling could not be written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.html"]


def test_temp_file_is_neither_predictable_nor_followed(tmp_path):
    """The old writer used `.NAME.PID.tmp` and followed a symlink planted there onto any file."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    target = tmp_path / "out.json"
    os.symlink(victim, tmp_path / f".{target.name}.{os.getpid()}.tmp")
    write_file(target, "report")
    assert victim.read_text() == "precious"
    assert target.read_text() == "report" and not target.is_symlink()
    assert target.stat().st_mode & 0o777 == 0o644 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_symlink_target_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "out.html"
    os.symlink(victim, link)
    with pytest.raises(FleetcompatError, match="exists and is a symlink"):
        write_files({link: "x"})
    assert victim.read_text() == "precious" and link.is_symlink()


def test_concurrent_runs_on_one_output_directory_are_serialised(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    held = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = fleetcompat("audit", "--spec", SPEC, "--features", FEATURES, "--output-dir", out, "--quiet")
        assert_one_line_error(run, str(out), "another fleetcompat run is writing reports here")
        assert not (out / "fleet-result.json").exists()
    finally:
        os.close(held)
    run = fleetcompat("audit", "--spec", SPEC, "--features", FEATURES, "--output-dir", out, "--quiet")
    assert run.code in (0, 1), run.stderr
    assert (out / "fleet-result.json").exists()


def test_two_audits_at_once_never_interleave(tmp_path):
    """Two real runs started together: each either writes a complete set or refuses with the lock message."""
    out = tmp_path / "reports"
    argv = [sys.executable, "-m", "fleetcompat", "audit", "--spec", str(SPEC), "--features", str(FEATURES),
            "--output-dir", str(out), "--quiet"]
    procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=WALL_S)[1] for p in procs]
    for proc, err in zip(procs, errors, strict=True):
        assert proc.returncode in (0, 1) or "another fleetcompat run" in err, err
    assert (out / "fleet-result.json").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
