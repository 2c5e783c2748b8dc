"""``stopkit watch``: the table of live updates against each simulator, and bad input."""

from __future__ import annotations

import pytest

from stopkit.cli import main


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("pacifica", ["ACCEPTED", "TRIGGERED", "FILLED"]),
        ("aries", ["ACCEPTED", "FILLED"]),  # Aries shows no trigger
        # Children of activated stops, parents linked by heuristic; the documented stream carries open
        # orders only, so a fill shows as a GAP line naming the child (docs/venues/b2trader.md).
        ("b2trader", ["TRIGGERED"]),
    ],
)
def test_watch_simulator_prints_one_line_per_change(
    venue: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--simulator places the demo orders, moves the price through them and prints each change once."""
    assert main(["watch", venue, "--simulator"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["time", "order", "id"]
    statuses = [line.split()[5] for line in lines[1:]]
    for status in expected:
        assert status in statuses
    assert len(lines) - 1 == len({(line.split()[1], line.split()[5]) for line in lines[1:]})  # no repeats


def test_watch_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown venue or a malformed --venue-config: exit 2 with one line on stderr."""
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", "no-such-venue"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["watch", "pacifica", "--simulator", "--venue-config", "novalue"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert all(line.startswith("stopkit: error:") for line in err)
