"""Benchmarks that print ratios measured side by side in one run. Run from the repository root as
`python -m bench.NAME` (so `tests.support`, the tests' labs and synthetic fleets, imports without path edits)."""
