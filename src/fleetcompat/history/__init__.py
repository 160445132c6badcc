"""History of audit runs: every `fleetcompat audit` records its fleet result in a store (embedded SQLite by
default, PostgreSQL for several controllers), read back by `fleetcompat history list|show|trend|export`, by the
audit itself (an unreachable host's last known status) and by baselines (`HistoryStore.last()`).

`open_store(url)` (in `fleetcompat.history.url`) picks the implementation; `interface.py` names the contract.
"""
