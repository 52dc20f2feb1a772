"""`gatepost demo` (what `make demo` runs) completes and every check in it passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatepost.demo import run as demo


def test_demo_runs_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo.run_demo(tmp_path / "demo")  # raises SystemExit(1) if any of its checks fails
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "door camera sees a stranger" in out
    assert "barrier does not know the" in out
    assert "Audit chain" in out and "intact" in out
