"""`fleetcompat audit` with a history and `fleetcompat history ...`: an unreachable host shows its last known
status in every report, the verbs read the store back, and a broken store never costs the reports."""

from __future__ import annotations

import datetime
import json
from dataclasses import replace
from pathlib import Path

import pytest

from fleetcompat.cli import main
from fleetcompat.history.url import open_store
from fleetcompat.results.fleet import FleetResult, Status
from tests.support.fleet_synthetic import BAD, GOOD, UNREACHABLE, mini_fleet, spec_text
from tests.support.history import open_report, rfc3339
from tests.support.hostile import assert_one_line_error, fleetcompat, make_fifo
from tests.support.net import free_port

FORMATS = ("--format", "json", "--format", "html", "--format", "junit", "--format", "markdown")


@pytest.fixture
def fleet(tmp_path: Path) -> dict:
    """A spec file, an SSH target that is down today, and a history holding a run 3 days ago in which that host
    was reached and compatible (and a second host incompatible)."""
    spec = tmp_path / "app.yaml"
    spec.write_text(spec_text())
    target = f"127.0.0.1:{free_port()}"
    url = f"sqlite://{tmp_path / 'history.db'}"
    earlier = mini_fleet({target: GOOD, "other": BAD})
    three_days_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3, hours=1)
    earlier.run = replace(earlier.run, started_at=rfc3339(three_days_ago))
    earlier_file = tmp_path / "earlier.json"
    earlier.dump(earlier_file)
    assert main(["history", "record", str(earlier_file), "--history", url]) == 0
    return {"spec": spec, "target": target, "url": url, "earlier": earlier, "out": tmp_path / "reports"}


def audit(fleet: dict, *extra: str) -> int:
    return main(["audit", "--spec", str(fleet["spec"]), "--host", fleet["target"], "--output-dir", str(fleet["out"]),
                 *FORMATS, "--history", fleet["url"], *extra])


def test_unreachable_host_shows_its_last_known_status(fleet: dict, capsys, page) -> None:
    assert audit(fleet) == 2  # still undecidable: the old verdict is not a fresh one
    stdout = capsys.readouterr().out
    assert "unreach · ok 3 d ago" in stdout
    result = FleetResult.load(fleet["out"] / "fleet-result.json")
    cell = result.hosts[0].outcomes["app"]
    assert cell.status is Status.UNREACHABLE
    assert cell.last_known.status is Status.COMPATIBLE and cell.last_known.at == fleet["earlier"].run.started_at
    assert "(last known: compatible 3 d ago)" in (fleet["out"] / "fleet-junit.xml").read_text()
    assert "last known:<br>**app**: compatible 3 d ago" in (fleet["out"] / "fleet-report.md").read_text()
    # The run is recorded after the reports, with the last known status.
    store = open_store(fleet["url"])
    assert [r.unreachable for r in store.runs()] == [1, 0]
    assert store.last().to_dict() == result.to_dict()
    store.close()
    # The HTML matrix cell and its drill-down, in a real browser.

    open_report(page, fleet["out"] / "fleet-report.html")
    cell_button = page.locator("button.cell").first
    cell_text = cell_button.inner_text()
    cell_button.click()
    drill = page.locator("#drill-body").inner_text()
    assert cell_text == "unreach · ok 3 d ago"
    assert f"compatible 3 d ago (run of {fleet['earlier'].run.started_at})" in drill
    assert not page.problems


def test_no_history_neither_reads_nor_records(fleet: dict, capsys) -> None:
    assert audit(fleet, "--no-history") == 2
    assert "unreach ·" not in capsys.readouterr().out  # the matrix cell is plain "unreach"
    result = FleetResult.load(fleet["out"] / "fleet-result.json")
    assert result.hosts[0].outcomes["app"].last_known is None
    store = open_store(fleet["url"])
    assert len(store.runs()) == 1
    store.close()


def test_history_verbs(fleet: dict, tmp_path: Path, capsys) -> None:
    later = mini_fleet({fleet["target"]: UNREACHABLE, "other": GOOD})
    later_file = tmp_path / "later.json"
    later.dump(later_file)
    url = fleet["url"]
    assert main(["history", "record", str(later_file), "--history", url]) == 0
    assert "recorded run 2" in capsys.readouterr().out

    assert main(["history", "list", "--json", "--history", url]) == 0
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["hosts"], r["unreachable"], r["incompatibleCells"]) for r in runs] == [(2, 2, 1, 0),
                                                                                             (1, 2, 0, 1)]
    assert main(["history", "list", "--history", url]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[:4] == ["run", "started", "took", "hosts"]

    assert main(["history", "trend", "--json", "--history", url]) == 0
    points = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(p["run"], p["compatible"], p["compatibleShare"]) for p in points] == [(1, 1, 0.5), (2, 1, 0.5)]
    assert main(["history", "trend", "--history", url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["run", "started", "hosts", "app"] and table[2].split()[-1] == "50.0%"

    baseline = tmp_path / "baseline.json"
    assert main(["history", "show", "last", "-o", str(baseline), "--history", url]) == 0
    assert "fleetcompat: 2 hosts × 1 images" in capsys.readouterr().out
    assert FleetResult.load(baseline).to_dict() == later.to_dict()
    assert main(["history", "export", "1", "--history", url]) == 0
    assert FleetResult.from_dict(json.loads(capsys.readouterr().out)).to_dict() == fleet["earlier"].to_dict()


# -- hostile ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "fragment"), [
    ("foo://bar", "unknown history URL"),
    ("history.db", "unknown history URL"),
    ("sqlite://relative.db", "absolute path"),
    ("sqlite:relative.db", "sqlite:///ABSOLUTE/PATH"),
    ("postgresql://host:notaport/db", "not a valid postgresql URL"),
    ("postgresql://", "not a valid postgresql URL"),
])
def test_garbage_history_url_is_one_line(url: str, fragment: str) -> None:
    assert_one_line_error(fleetcompat("history", "list", "--history", url), fragment)


def test_password_never_shown_and_a_dead_server_is_one_line() -> None:
    run = fleetcompat("history", "list", "--history", f"postgresql://ops:s3cret@127.0.0.1:{free_port()}/fleet")
    assert_one_line_error(run, "postgresql://ops:***@127.0.0.1", "cannot connect to the history database")
    assert "s3cret" not in run.stderr


@pytest.mark.parametrize(("args", "fragment"), [
    (("show", "yesterday"), "expected a run id"),
    (("export", "-3"), "expected a run id"),
    (("list", "--limit", "-1"), "expected a whole number"),
    (("trend", "--runs", "x"), "expected a whole number"),
])
def test_bad_arguments_exit_2(args: tuple[str, ...], fragment: str, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        main(["history", *args, "--history", f"sqlite://{tmp_path / 'h.db'}"])
    assert exited.value.code == 2
    assert fragment in capsys.readouterr().err


def one_line_error(capsys, *fragments: str) -> str:
    """In-process runs: exactly one line on stderr, naming what it must."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.mark.parametrize("kind", ["fifo", "text", "damaged", "newer"])
def test_broken_store_costs_no_report_and_exits_2(fleet: dict, tmp_path: Path, kind: str, capsys) -> None:
    """In-process (the store is checked without blocking before SQLite opens it; a FIFO cannot hang this)."""
    database = tmp_path / f"{kind}.db"
    expected = {"fifo": "not a regular file", "text": "not an SQLite database", "damaged": "history store:",
                "newer": "newer than this fleetcompat knows"}[kind]
    if kind == "fifo":
        make_fifo(database)
    elif kind == "text":
        database.write_text("these are my notes, not a database\n")
    elif kind == "damaged":
        database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    else:
        store = open_store(f"sqlite://{database}")
        with store._transaction():
            store._db.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01T00:00:00Z')")
        store.close()
    fleet = {**fleet, "url": f"sqlite://{database}"}
    # --exit-zero waives the verdict, not a history that failed.
    for extra in (("-q",), ("-q", "--exit-zero")):
        assert audit(fleet, *extra) == 2
        one_line_error(capsys, "fleetcompat: error: history:", expected, "the reports were written")
        assert (fleet["out"] / "fleet-result.json").exists() and (fleet["out"] / "fleet-report.html").exists()
    if kind == "fifo":
        assert database.is_fifo()  # untouched


def test_default_store_follows_xdg_data_home_and_the_environment(fleet: dict, tmp_path: Path, monkeypatch,
                                                                 capsys) -> None:
    data_home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    common = ["audit", "--spec", str(fleet["spec"]), "--host", fleet["target"], "--output-dir", str(fleet["out"]),
              "-q"]
    assert main(common) == 2  # unreachable: undecidable
    store = open_store(f"sqlite://{data_home / 'fleetcompat' / 'history.db'}")
    assert len(store.runs()) == 1
    store.close()
    chosen = tmp_path / "chosen.db"
    monkeypatch.setenv("FLEETCOMPAT_HISTORY", f"sqlite://{chosen}")
    assert main(common) == 2
    store = open_store(f"sqlite://{chosen}")
    assert len(store.runs()) == 1
    store.close()
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # invalid per the XDG spec: ~/.local/share is used
    monkeypatch.delenv("FLEETCOMPAT_HISTORY")
    from fleetcompat.history.url import default_path

    assert default_path() == Path.home() / ".local" / "share" / "fleetcompat" / "history.db"


def test_export_refuses_a_fifo_target(fleet: dict, tmp_path: Path) -> None:
    target = make_fifo(tmp_path / "out.json")
    assert_one_line_error(fleetcompat("history", "export", "last", "-o", target, "--history", fleet["url"]),
                          "exists and is a FIFO")
