"""The exit-code contract: 0 compatible, 1 incompatible, 2 anything else — a crash never reads as a verdict."""

from __future__ import annotations

import pytest

from fleetcompat.cli import main
from tests.support.hostile import FEATURES, SPEC


def _crash(*_args, **_kwargs):
    raise ZeroDivisionError("a bug\nspanning lines")


@pytest.fixture
def crashing_engine(monkeypatch):
    """A bug in the engine, wherever it is called from (the CLI imports it by name)."""
    import fleetcompat.cli.validate as validate

    monkeypatch.setattr(validate, "evaluate_spec", _crash)


def test_unexpected_exception_exits_2_with_one_line(crashing_engine, capsys, monkeypatch):
    monkeypatch.delenv("FLEETCOMPAT_DEBUG", raising=False)
    code = main(["validate", "--spec", str(SPEC), "--features", str(FEATURES)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("fleetcompat: internal error: ZeroDivisionError: a bug spanning lines; "
                   "FLEETCOMPAT_DEBUG=1 shows the traceback\n")


def test_debug_variable_shows_the_traceback(crashing_engine, capsys, monkeypatch):
    monkeypatch.setenv("FLEETCOMPAT_DEBUG", "1")
    code = main(["validate", "--spec", str(SPEC), "--features", str(FEATURES)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback (most recent call last)" in err and "_crash" in err
    assert err.rstrip().splitlines()[-1].startswith("fleetcompat: internal error: ZeroDivisionError")


def test_error_messages_are_one_bounded_line(tmp_path, capsys):
    spec = tmp_path / ("x" * 50 + ".yaml")
    spec.write_text("version: v1alpha1\ncompatibilities:\n- rules:\n  - name: \"" + "n\\n" * 2000 + "\"\n    "
                    "matchFeatures: 7\n")
    assert main(["spec", "lint", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) <= 520, err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--no-such-flag"])
    assert stop.value.code == 2
