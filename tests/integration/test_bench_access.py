"""Smoke test of ``gatepost bench access``: a 2-second run at a low rate over MQTT and
HTTPS against its own real Mosquitto (scripts/mosquitto.sh), SQLite, and the real
gatepost worker process; the ``--json`` line's shape, and nothing lost or duplicated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gatepost.cli import app
from tests.support.services import missing

pytestmark = pytest.mark.slow

KEYS = {"transport", "rate", "seconds", "sent", "decided", "lost", "duplicated", "p50_ms",
        "p99_ms", "floor_p99_ms"}  # fmt: skip


def test_a_short_access_benchmark_reports_every_arrival_decided_once() -> None:
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        missing("the mosquitto binary (scripts/install-system-deps.sh)")
    args = ["bench", "access", "--rate", "20", "--seconds", "2", "--transport", "both",
            "--persons", "5", "--devices", "3", "--frame-rate", "5", "--frame-seconds", "1",
            "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout.strip().splitlines()[-1])
    assert KEYS <= document.keys() and document["transport"] == "mqtt"
    runs = {run["transport"]: run for run in document["runs"]}
    assert set(runs) == {"floor", "mqtt", "https", "face", "plate"}
    for name in ("mqtt", "https", "face", "plate"):
        run = runs[name]
        assert KEYS <= run.keys()
        assert run["lost"] == 0 and run["duplicated"] == 0, run
        assert run["sent"] == run["decided"] > 0, run
        assert run["p50_ms"] <= run["p99_ms"] and run["floor_p99_ms"] > 0
