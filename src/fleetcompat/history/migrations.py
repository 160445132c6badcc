"""Versioned schema migrations, one entry per version, for both backends.

Each store applies, in one transaction per version and under a lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL an
advisory transaction lock, so several controllers starting at once migrate once), every migration whose version
is not in its `schema_migrations` table yet. A store whose highest version is above the last one here was written
by a newer fleetcompat and is refused rather than misread.

Tables (version 1):
- `runs`: one row per recorded run: its meta data, counts for `history list`, the image aliases in the order of
  `run_hosts.cells`, the status of each entry of the result's outcome table, and the result itself without its
  hosts (zlib-compressed JSON: images, profiles, outcomes, run).
- `run_images`: per run and image, hosts by status (`history trend` reads only this table and `runs`).
- `run_hosts`: per run and host, the host entry (status, reason, groups, profile) and its cells as outcome
  indices, in the image order of `runs.aliases`; the index on (name, status) finds a host's last good run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: dict[str, tuple[str, ...]]  # dialect ("sqlite", "postgresql") -> SQL statements


# Written once per dialect where they differ: the id column, binary and floating-point types.
_RUNS = """CREATE TABLE runs (
  id {id},
  started_at TEXT NOT NULL,
  started_epoch {real} NOT NULL,
  recorded_at TEXT NOT NULL,
  duration_s {real},
  tool TEXT NOT NULL,
  inventory TEXT,
  hosts INTEGER NOT NULL,
  unreachable INTEGER NOT NULL,
  images INTEGER NOT NULL,
  incompatible_cells INTEGER NOT NULL,
  aliases TEXT NOT NULL,
  outcome_statuses TEXT NOT NULL,
  document {blob} NOT NULL
)"""
_COMMON = (
    "CREATE INDEX runs_started ON runs (started_epoch, id)",
    """CREATE TABLE run_images (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  alias TEXT NOT NULL,
  reference TEXT NOT NULL,
  spec_digest TEXT,
  compatible INTEGER NOT NULL,
  incompatible INTEGER NOT NULL,
  unreachable INTEGER NOT NULL,
  error INTEGER NOT NULL,
  no_spec INTEGER NOT NULL,
  PRIMARY KEY (run_id, position)
)""",
    """CREATE TABLE run_hosts (
  run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  groups TEXT NOT NULL,
  profile TEXT,
  cells TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
)""",
    "CREATE INDEX run_hosts_name ON run_hosts (name, status, run_id)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, images and hosts", {
        "sqlite": (_RUNS.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL", blob="BLOB"), *_COMMON),
        "postgresql": (_RUNS.format(id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", real="DOUBLE PRECISION",
                                    blob="BYTEA"), *_COMMON),
    }),
    # Waivers (issue 12) added the cell status `waived`; runs recorded before have none.
    Migration(2, "waived cells per image", {
        dialect: ("ALTER TABLE run_images ADD COLUMN waived INTEGER NOT NULL DEFAULT 0",)
        for dialect in ("sqlite", "postgresql")
    }),
)

LATEST = MIGRATIONS[-1].version
