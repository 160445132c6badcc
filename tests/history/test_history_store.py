"""The history store against SQLite and a real PostgreSQL server: round trips, ordering, trend, last known
statuses across runs (a kernel upgrade flips a host, a host goes unreachable), migrations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fleetcompat.history.interface import HistoryError
from fleetcompat.history.lastknown import with_last_known
from fleetcompat.history.migrations import LATEST
from fleetcompat.history.url import open_store
from fleetcompat.results.fleet import FleetResult, LastKnown, Status
from tests.support.fleet_synthetic import BAD, GOOD, UNREACHABLE, build_fleet, mini_fleet


def at(result: FleetResult, started_at: str) -> FleetResult:
    result.run = replace(result.run, started_at=started_at)
    return result


@pytest.fixture
def store(history_url: str):
    opened = open_store(history_url)
    yield opened
    opened.close()


def test_round_trip_is_exact(store) -> None:
    """A run comes back as the same fleet result: statuses, failing expressions, profiles, host errors, no-spec
    images, platforms-free registry fields."""
    result = build_fleet(120, 4, 9, unreachable=4, gather_errors=3, no_spec_images=1, spec_error_images=1)
    run_id = store.record(result)
    assert store.load(run_id).to_dict() == result.to_dict()
    assert store.last().to_dict() == result.to_dict()


def test_runs_trend_and_last_in_start_order(store) -> None:
    """Runs are ordered by their start time, not by when they were recorded (a controller may record late)."""
    monday = at(mini_fleet({"a": GOOD, "b": GOOD}), "2026-03-02T02:00:00Z")
    tuesday = at(mini_fleet({"a": GOOD, "b": BAD}), "2026-03-03T02:00:00Z")
    sunday = at(mini_fleet({"a": BAD, "b": BAD}), "2026-03-01T02:00:00Z")
    ids = [store.record(r) for r in (monday, tuesday, sunday)]
    assert [r.run_id for r in store.runs()] == [ids[1], ids[0], ids[2]]
    assert [r.incompatible_cells for r in store.runs()] == [1, 0, 2]
    assert store.runs(limit=1)[0].started_at == "2026-03-03T02:00:00Z"
    assert store.last_id() == ids[1]
    # A baseline for Tuesday's run, which is already recorded: the run before it.
    assert store.last_id(before="2026-03-03T02:00:00Z") == ids[0]
    assert store.last(before=tuesday.run.started_at).to_dict() == monday.to_dict()
    assert store.last(before="2026-03-01T02:00:00Z") is None
    trend = store.trend()
    assert [(p.started_at, p.compatible, p.hosts) for p in trend] == [
        ("2026-03-01T02:00:00Z", 0, 2), ("2026-03-02T02:00:00Z", 2, 2), ("2026-03-03T02:00:00Z", 1, 2)]
    assert [p.share for p in trend] == [0.0, 1.0, 0.5]
    assert [p.run_id for p in store.trend(limit=2)] == [ids[0], ids[1]]
    assert store.trend(aliases=["nope"]) == []


def test_last_known_is_the_latest_run_that_reached_the_host(store) -> None:
    """node-a: compatible on day 1, incompatible after a kernel downgrade on day 2, unreachable on day 3 and 4:
    its last known status is day 2's. node-b was never reached: nothing is known."""
    store.record(at(mini_fleet({"node-a": GOOD, "node-c": GOOD}), "2026-03-01T00:00:00Z"))
    store.record(at(mini_fleet({"node-a": BAD, "node-c": GOOD}), "2026-03-02T00:00:00Z"))
    store.record(at(mini_fleet({"node-a": UNREACHABLE, "node-b": UNREACHABLE, "node-c": GOOD}),
                    "2026-03-03T00:00:00Z"))
    known = store.last_known(["node-a", "node-b"])
    assert known == {"node-a": {"app": LastKnown(Status.INCOMPATIBLE, "2026-03-02T00:00:00Z")}}

    today = at(mini_fleet({"node-a": UNREACHABLE, "node-b": UNREACHABLE, "node-c": GOOD}), "2026-03-05T00:00:00Z")
    annotated = with_last_known(today, known)
    cells = {h.name: h.outcomes["app"] for h in annotated.hosts}
    assert cells["node-a"].status is Status.UNREACHABLE  # never a fresh verdict
    assert cells["node-a"].last_known == LastKnown(Status.INCOMPATIBLE, "2026-03-02T00:00:00Z")
    assert cells["node-b"].last_known is None and cells["node-c"].last_known is None
    # It survives the fleet result file and the store.
    assert FleetResult.from_dict(annotated.to_dict()).to_dict() == annotated.to_dict()
    assert store.load(store.record(annotated)).to_dict() == annotated.to_dict()


def test_last_known_per_image_of_that_run(store) -> None:
    """Images are matched by alias; an image the host's last good run did not audit has no last known status."""
    store.record(at(mini_fleet({"n1": GOOD}, {"app": None, "old": "!registry: 401"}), "2026-03-01T00:00:00Z"))
    known = store.last_known(["n1", "unknown-host"])
    assert known == {"n1": {"app": LastKnown(Status.NO_SPEC, "2026-03-01T00:00:00Z"),
                            "old": LastKnown(Status.ERROR, "2026-03-01T00:00:00Z")}}
    annotated = with_last_known(at(mini_fleet({"n1": UNREACHABLE}, {"app": None, "new": None}),
                                   "2026-03-04T00:00:00Z"), known)
    assert annotated.hosts[0].outcomes["app"].last_known.status is Status.NO_SPEC
    assert annotated.hosts[0].outcomes["new"].last_known is None


def test_migrations_are_recorded_once_and_a_newer_schema_is_refused(history_url: str) -> None:
    first = open_store(history_url)
    first.record(mini_fleet({"a": GOOD}))
    assert first.schema_version() == LATEST
    first.close()
    again = open_store(history_url)  # reopening migrates nothing and keeps the runs
    assert len(again.runs()) == 1
    with again._transaction():
        again._db.execute(again._sql("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
                          (LATEST + 1, "from the future", "2030-01-01T00:00:00Z"))
    again.close()
    with pytest.raises(HistoryError, match=f"schema version {LATEST + 1}, newer than this fleetcompat knows"):
        open_store(history_url)


def test_unknown_run_is_one_line(store) -> None:
    with pytest.raises(HistoryError, match="no run 42 in the history store"):
        store.load(42)
    assert store.last() is None and store.runs() == [] and store.trend() == []


def test_two_postgresql_controllers_share_one_history(postgres_url: str) -> None:
    """Two controllers (connections) migrate the same empty database at once and both record into it."""
    import threading

    stores, errors = [], []

    def open_one() -> None:
        try:
            stores.append(open_store(postgres_url))
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(stores) == 3
    ids = [s.record(mini_fleet({f"host-{n}": GOOD})) for n, s in enumerate(stores)]
    assert len(set(ids)) == 3
    assert sorted(r.run_id for r in stores[0].runs()) == sorted(ids)
    for s in stores:
        s.close()
