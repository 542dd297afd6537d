"""fork_from: parsing what users write."""

from __future__ import annotations

import pytest

from trailmark.errors import InvalidInput
from trailmark.sdk.fork import ForkPoint, parse_fork_from


def test_run_and_step() -> None:
    assert parse_fork_from("abc123?step=500") == ForkPoint("abc123", 500)
    assert parse_fork_from("abc123?_step=7") == ForkPoint("abc123", 7)
    assert parse_fork_from("mnist/abc123?step=0") == ForkPoint("abc123", 0, "mnist")
    assert ForkPoint("a", 1, "p").to_json() == {"run": "a", "step": 1, "project": "p"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc123", "needs the run and the step"),
        ("abc123?epoch=3", "one step"),
        ("abc123?step=x", "integer"),
        ("abc123?step=-1", "0 or more"),
        ("bad id!?step=1", "run id"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_fork_from(text)
