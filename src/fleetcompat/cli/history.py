"""`fleetcompat history list|show|trend|export|record`: the runs `fleetcompat audit` recorded.

The store is chosen with `--history URL` (sqlite:///PATH, postgresql://...), else $FLEETCOMPAT_HISTORY, else the
SQLite file under $XDG_DATA_HOME (docs/history.md). `show`/`export` take a run id or `last`; `export -o FILE`
writes the run's fleet result, usable wherever a result file is (e.g. as a baseline).
"""

from __future__ import annotations

import argparse
import json
import sys

from fleetcompat._format.style import use_colour
from fleetcompat._format.terminal import TerminalFormat, clean, share
from fleetcompat.errors import EXIT_COMPATIBLE
from fleetcompat.files import STDOUT, write_file
from fleetcompat.history.interface import HistoryError, HistoryStore, TrendPoint
from fleetcompat.history.url import ENVIRONMENT_VARIABLE, open_store
from fleetcompat.results.fleet import FleetResult, dumps

LAST = "last"


def add_history_arguments(parser: argparse._ActionsContainer, *, optional: bool = False) -> None:
    """--history URL (and, where recording is optional, --no-history)."""
    parser.add_argument("--history", metavar="URL",
                        help=f"history store: sqlite:///PATH or postgresql://[USER@]HOST[:PORT]/DB (default: "
                        f"${ENVIRONMENT_VARIABLE}, else $XDG_DATA_HOME/fleetcompat/history.db)")
    if optional:
        parser.add_argument("--no-history", action="store_true",
                            help="do not record this run nor look up unreachable hosts' last known status")


BASELINE_HELP = "'last': the latest run in the history store (--history) that started before this result"


def load_baseline(value: str, result: FleetResult, history_url: str | None) -> FleetResult:
    """A baseline named on the command line: a fleet result file, or `last`, the latest recorded run that started
    before `result` (`audit` records its own run, which must not be its own baseline)."""
    if value != LAST:
        return FleetResult.load(value)
    store = open_store(history_url)
    try:
        baseline = store.last(before=result.run.started_at)
    finally:
        store.close()
    if baseline is None:
        raise HistoryError(f"--baseline last: the history store has no run that started before this result "
                           f"({result.run.started_at}); record one with `fleetcompat audit` or `history record`")
    return baseline


def _run_id(text: str) -> int | str:
    if text == LAST:
        return LAST
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a run id (a positive number, see `history list`) or "
                                         f"'last', got {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "history",
        help="recorded audit runs: list, show, trend (compatible share per image), export, record",
        description="The runs `fleetcompat audit` recorded in the history store. Exit 0, or 2 on a store "
        "problem (one line).",
    )
    verbs = p.add_subparsers(dest="history_command", metavar="SUBCOMMAND", required=True)
    listing = verbs.add_parser("list", help="recorded runs, newest first")
    listing.add_argument("--limit", type=_count, default=20, metavar="N", help="at most N runs (20; 0: all)")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    listing.set_defaults(func=run_list)
    show = verbs.add_parser("show", help="one run's terminal matrix (RUN: an id or 'last')")
    show.add_argument("run", type=_run_id, metavar="RUN")
    show.add_argument("-o", "--output", metavar="FILE", help="also write the run's fleet result (JSON) here")
    show.add_argument("--rows", type=int, default=40, metavar="N", help="profile rows in the matrix (40)")
    show.set_defaults(func=run_show)
    export = verbs.add_parser("export", help="one run's fleet result as JSON (RUN: an id or 'last')")
    export.add_argument("run", type=_run_id, metavar="RUN")
    export.add_argument("-o", "--output", default=STDOUT, metavar="FILE", help="where ('-': standard output)")
    export.set_defaults(func=run_export)
    trend = verbs.add_parser("trend", help="compatible share per image over time")
    trend.add_argument("--image", action="append", metavar="ALIAS", help="only these images (repeatable)")
    trend.add_argument("--runs", type=_count, metavar="N", help="only the latest N runs")
    trend.add_argument("--json", action="store_true", help="JSON lines: one per run and image, with counts")
    trend.set_defaults(func=run_trend)
    record = verbs.add_parser("record", help="record a fleet result file (e.g. one written by playbooks/audit.yml)")
    record.add_argument("result", metavar="RESULT.json")
    record.set_defaults(func=run_record)
    for sub in (listing, show, export, trend, record):
        add_history_arguments(sub)


def _with_store(args: argparse.Namespace, action) -> int:
    store = open_store(args.history)
    try:
        return action(store)
    finally:
        store.close()


def _load(store: HistoryStore, run: int | str) -> FleetResult:
    if run == LAST:
        last = store.last()
        if last is None:
            raise HistoryError("no runs recorded yet", where=store.url)
        return last
    return store.load(int(run))


def run_list(args: argparse.Namespace) -> int:
    def action(store: HistoryStore) -> int:
        runs = store.runs(args.limit or None)
        if args.json:
            write_file(STDOUT, "".join(json.dumps({
                "id": r.run_id, "startedAt": r.started_at, "recordedAt": r.recorded_at, "durationSeconds": r.duration_s,
                "hosts": r.hosts, "unreachable": r.unreachable, "images": r.images,
                "incompatibleCells": r.incompatible_cells, "inventory": r.inventory, "tool": r.tool},
                ensure_ascii=False) + "\n" for r in runs))
            return EXIT_COMPATIBLE
        from tabulate import tabulate

        rows = [[r.run_id, clean(r.started_at), f"{r.duration_s or 0:.1f}s", r.hosts, r.unreachable or "", r.images,
                 r.incompatible_cells or "", clean(r.inventory or "")] for r in runs]
        write_file(STDOUT, tabulate(rows, headers=["run", "started", "took", "hosts", "unreachable", "images",
                                                   "incompatible cells", "inventory"],
                                    tablefmt="simple", disable_numparse=True) + "\n" if rows
                   else f"no runs recorded in {store.url}\n")
        return EXIT_COMPATIBLE

    return _with_store(args, action)


def run_show(args: argparse.Namespace) -> int:
    def action(store: HistoryStore) -> int:
        result = _load(store, args.run)
        if args.output:
            write_file(args.output, dumps(result.to_dict()))
        if args.output != STDOUT:
            sys.stdout.write(TerminalFormat(colour=use_colour(sys.stdout), max_rows=args.rows).render(result))
            sys.stdout.flush()
        return EXIT_COMPATIBLE

    return _with_store(args, action)


def run_export(args: argparse.Namespace) -> int:
    def action(store: HistoryStore) -> int:
        write_file(args.output, dumps(_load(store, args.run).to_dict()))
        return EXIT_COMPATIBLE

    return _with_store(args, action)


def trend_table(points: list[TrendPoint]) -> str:
    """Runs as rows (oldest first), images as columns, the compatible share in each cell."""
    from tabulate import tabulate

    aliases = list(dict.fromkeys(p.alias for p in points))
    runs: dict[int, dict] = {}
    for p in points:
        row = runs.setdefault(p.run_id, {"started": p.started_at, "hosts": p.hosts})
        row[p.alias] = share(p.compatible, p.hosts)
    rows = [[run_id, clean(row["started"]), row["hosts"], *(row.get(a, "") for a in aliases)]
            for run_id, row in runs.items()]
    return tabulate(rows, headers=["run", "started", "hosts", *map(clean, aliases)], tablefmt="simple",
                    disable_numparse=True) + "\n"


def run_trend(args: argparse.Namespace) -> int:
    def action(store: HistoryStore) -> int:
        points = store.trend(args.image, args.runs)
        if args.json:
            write_file(STDOUT, "".join(json.dumps({
                "run": p.run_id, "startedAt": p.started_at, "image": p.alias, "specDigest": p.spec_digest,
                "hosts": p.hosts, "compatible": p.compatible, "incompatible": p.incompatible,
                "unreachable": p.unreachable, "error": p.error, "noSpec": p.no_spec, "compatibleShare": p.share},
                ensure_ascii=False) + "\n" for p in points))
        else:
            write_file(STDOUT, trend_table(points) if points else f"no runs recorded in {store.url}\n")
        return EXIT_COMPATIBLE

    return _with_store(args, action)


def run_record(args: argparse.Namespace) -> int:
    result = FleetResult.load(args.result)

    def action(store: HistoryStore) -> int:
        print(f"history: recorded run {store.record(result)} in {store.url}", flush=True)
        return EXIT_COMPATIBLE

    return _with_store(args, action)
