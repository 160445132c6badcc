"""`fleetcompat gate` exit codes for every status, thresholds and --allow-unreachable, through the real CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fleetcompat.cli import main
from tests.support.fleet_synthetic import BAD, EVAL_ERROR, GATHER_ERROR, GOOD, UNREACHABLE, mini_fleet, spec_text


def gate(tmp_path, capsys, result, *args):
    path = tmp_path / "result.json"
    result.dump(path)
    code = main(["gate", str(path), *args])
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).strip().splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


@pytest.mark.parametrize(("hosts", "args", "code", "words"), [
    ({"a": GOOD, "b": GOOD}, [], 0, "pass: app: compatible on all 2 hosts"),
    ({"a": GOOD, "b": BAD}, [], 1, "fail: app: 1 of 2 hosts incompatible (b)"),
    ({"a": GOOD, "b": UNREACHABLE}, [], 2, "undecidable: app: 1 unreachable of 2 hosts (b) (--allow-unreachable"),
    ({"a": GOOD, "b": UNREACHABLE}, ["--allow-unreachable"], 0, "pass: app: compatible on all 1 hosts"),
    ({"a": GOOD, "b": GATHER_ERROR}, ["--allow-unreachable"], 2, "undecidable: app: 1 error of 2 hosts (b)"),
    ({"a": GOOD, "b": EVAL_ERROR}, [], 2, "undecidable: app: 1 error of 2 hosts (b)"),
    ({"a": BAD, "b": UNREACHABLE}, [], 1, "fail: app: 1 of 2 hosts incompatible (a)"),
    ({"a": UNREACHABLE}, ["--allow-unreachable"], 2, "undecidable: app: no audited hosts"),
    ({"a": GOOD, "b": BAD, "c": BAD, "d": GOOD}, ["--min-compatible", "50%"], 0,
     "pass: app: 2 of 4 hosts compatible, 50% required (2)"),
    ({"a": GOOD, "b": BAD, "c": BAD, "d": GOOD}, ["--min-compatible", "3"], 1,
     "fail: app: 2 of 4 hosts compatible, 3 hosts required (3)"),
    ({"a": GOOD, "b": BAD, "c": UNREACHABLE, "d": GOOD}, ["--min-compatible", "75%"], 2,
     "undecidable: app: 2 of 4 hosts compatible, 75% required (3); 1 unreachable could change that"),
    ({"a": GOOD, "b": BAD, "c": UNREACHABLE, "d": GOOD}, ["--min-compatible", "75%", "--allow-unreachable"], 1,
     "fail: app: 2 of 3 hosts compatible, 75% required (3)"),
])
def test_exit_codes_per_host_status(tmp_path, capsys, hosts, args, code, words):
    got_code, line = gate(tmp_path, capsys, mini_fleet(hosts), *args)
    assert got_code == code
    assert line.startswith(f"fleetcompat gate: {words}")


def test_image_level_problems_and_require(tmp_path, capsys):
    result = mini_fleet({"a": GOOD, "b": GOOD},
                        {"app": spec_text(), "nospec": None, "broken": "!registry: 401 Unauthorized"})
    code, line = gate(tmp_path, capsys, result)
    assert code == 2 and line == "fleetcompat gate: undecidable: nospec: the image has no compatibility spec " \
                                 "(+1 more images)"
    assert gate(tmp_path, capsys, result, "--require", "broken") == (
        2, "fleetcompat gate: undecidable: broken: spec error: registry: 401 Unauthorized")
    assert gate(tmp_path, capsys, result, "--require", "app", "--allow-unreachable") == (
        0, "fleetcompat gate: pass: app: compatible on all 2 hosts")


def test_definite_failure_wins_over_undecidable(tmp_path, capsys):
    result = mini_fleet({"a": GOOD, "b": BAD}, {"app": spec_text(), "nospec": None})
    assert gate(tmp_path, capsys, result)[0] == 1


def test_several_images_pass(tmp_path, capsys):
    result = mini_fleet({"a": GOOD}, {"one": spec_text(), "two": spec_text(kernel_min=5)})
    assert gate(tmp_path, capsys, result) == (0, "fleetcompat gate: pass: 2 images compatible on all audited hosts")


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    result = mini_fleet({"a": GOOD})
    code, line = gate(tmp_path, capsys, result, "--require", "nope")
    assert code == 2 and line.startswith("fleetcompat: error: ") and "--require nope: no such image" in line
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "fleetcompat.fleet-result/v1"}')
    assert main(["gate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"fleetcompat: error: {bad}: does not match fleetcompat.fleet-result/v1") and "\n" not in err
    with pytest.raises(SystemExit) as info:
        main(["gate", str(bad), "--min-compatible", "lots"])
    assert info.value.code == 2
    assert "expected a host count N or a percentage N%" in capsys.readouterr().err


def test_installed_command(tmp_path):
    path = tmp_path / "result.json"
    mini_fleet({"a": GOOD, "b": BAD}).dump(path)
    run = subprocess.run([sys.executable, "-m", "fleetcompat", "gate", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1 and run.stdout.startswith("fleetcompat gate: fail: app:") and not run.stderr
