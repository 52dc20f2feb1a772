"""Script lines of ``gatepost device simulate`` (gatepost.simulator.script)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatepost.simulator.script import ScriptError, Step, parse_line, parse_lines


def test_each_kind_of_line_becomes_its_step(tmp_path: Path) -> None:
    (tmp_path / "face.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    text = "# morning\ncard 04A2B3C4D5\npin 4711\nqr visitor 42\n\nexit\nface face.jpg\nwait 0.5\n"
    steps = list(parse_lines(text.splitlines(), base=tmp_path))
    kinds = [(s.line, s.arrival.kind if s.arrival else "wait") for s in steps]
    assert kinds == [
        (2, "card"),
        (3, "pin"),
        (4, "qr"),
        (6, "exit_button"),
        (7, "face"),
        (8, "wait"),
    ]
    assert steps[2].arrival is not None and steps[2].arrival.value == "visitor 42"
    assert steps[4].arrival is not None and steps[4].arrival.frame == b"\xff\xd8 not really a jpeg"
    assert steps[5] == Step(8, wait=0.5)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("card", "card needs a number"),
        ("card 12-34", "card needs a number"),
        ("pin 12", "pin needs 4-12 digits"),
        ("qr", "qr needs"),
        ("exit now", "exit takes nothing"),
        ("plate missing.jpg", "cannot read"),
        ("wait soon", "wait needs a number"),
        ("wait 7200", "0-3600"),
        ("open sesame", "unknown step 'open'"),
    ],
)
def test_a_bad_line_is_refused_with_its_number(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message) as caught:
        parse_line(line, number=7, base=tmp_path)
    assert str(caught.value).startswith("line 7: ")
