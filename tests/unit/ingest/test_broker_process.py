"""What stops gatepost's own broker from starting is said plainly, with the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gatepost.ingest import broker_process
from gatepost.ingest.broker_process import BrokerUnavailable, broker_problem, own_broker


def test_a_missing_mosquitto_names_the_install_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    problem = broker_problem()
    assert problem is not None
    assert "mosquitto is not installed" in problem
    assert "scripts/install-system-deps.sh" in problem
    never = own_broker(Path("/nowhere"))
    with pytest.raises(BrokerUnavailable, match="install-system-deps"), never:
        pass  # pragma: no cover - never started


def test_the_script_outside_a_checkout_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker_process, "BROKER_SCRIPT", Path("/nowhere/scripts/mosquitto.sh"))
    problem = broker_problem()
    assert problem is not None and "source checkout" in problem
