"""Ages of last known statuses, as every renderer words them, counted from the run's own start."""

from __future__ import annotations

import pytest

from fleetcompat._format.last_known import age

RUN = "2026-05-04T02:00:00Z"


@pytest.mark.parametrize(("at", "expected"), [
    ("2026-05-04T01:59:30Z", "0 min ago"),
    ("2026-05-04T00:01:00Z", "119 min ago"),  # hours from 2 h on
    ("2026-05-04T00:00:00Z", "2 h ago"),
    ("2026-05-02T03:00:00Z", "47 h ago"),  # days from 2 d on
    ("2026-05-02T02:00:00Z", "2 d ago"),
    ("2026-04-01T02:00:00+02:00", "33 d ago"),  # offsets count
    ("2026-05-01T02:00:00", "3 d ago"),  # no offset: UTC
    ("2026-05-05T02:00:00Z", "0 min ago"),  # a clock ahead of this run is not "in the future"
    ("yesterday", "on yesterday"),  # unreadable: the text as it is
])
def test_age(at: str, expected: str) -> None:
    assert age(at, RUN) == expected
