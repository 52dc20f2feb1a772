"""Gatepost, the composition root: step order, reverse stop, failed starts, the UI mount.

The container is real but never queried: its SQLite file is never opened.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from gatepost.api.app import create_app
from gatepost.app import Gatepost, Step, compose_app
from gatepost.security.kek import create_key_file
from gatepost.services.container import build_container
from gatepost.settings import Settings


class Boom(Exception):
    """The failure a test step raises on start."""


class RecordedGatepost(Gatepost):
    """The real steps, each wrapped to record ``start <name>`` and ``stop <name>``.

    ``fail_after`` inserts a step named ``boom`` that raises on start right after the
    named step.
    """

    def __init__(self, settings: Settings, *, fail_after: str | None = None) -> None:
        super().__init__(settings)
        self.record: list[str] = []
        self._fail_after = fail_after

    def steps(self) -> list[Step]:
        steps: list[Step] = []
        for step in super().steps():
            steps.append(self._recorded(step))
            if step.name == self._fail_after:
                steps.append(self._recorded(Step("boom", _raise_boom, lambda: None)))
        return steps

    def _recorded(self, step: Step) -> Step:
        def start() -> None:
            self.record.append(f"start {step.name}")
            step.start()

        stop: Callable[[], None] | None = None
        if step.stop is not None:
            inner = step.stop

            def stop() -> None:
                self.record.append(f"stop {step.name}")
                inner()

        return Step(step.name, start, stop)


def _raise_boom() -> None:
    raise Boom("the step failed")


def _ui_paths(app: FastAPI) -> list[str]:
    paths = (context.path or "" for context in iter_route_contexts(app.routes))
    return [path for path in paths if path.startswith("/ui")]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for building apps only: the database file is never opened."""
    built = Settings(
        env="test",
        data_dir=tmp_path / "data",
        db={"url": f"sqlite:///{tmp_path}/unused.db"},
        server={"allowed_hosts": ["testserver"]},
        webhooks={"enabled": False},  # no notifier: nothing may open the database
    )
    create_key_file(built.key_file)
    return built


def test_start_runs_steps_in_order_and_stop_in_reverse(settings: Settings) -> None:
    gatepost = RecordedGatepost(settings)
    gatepost.start()
    assert gatepost.running == ("container", "api", "web")
    assert gatepost.record == ["start container", "start api", "start web"]
    gatepost.stop()
    # The web step has nothing to stop; the others stop in reverse.
    assert gatepost.record[3:] == ["stop api", "stop container"]
    assert not gatepost.running


def test_stop_after_failed_start_stops_only_started_steps(settings: Settings) -> None:
    gatepost = RecordedGatepost(settings, fail_after="api")
    with pytest.raises(Boom):
        gatepost.start()
    assert gatepost.record == [
        "start container",
        "start api",
        "start boom",
        "stop api",
        "stop container",
    ]
    assert gatepost.running == ()
    with pytest.raises(RuntimeError, match="start"):
        _ = gatepost.app


def test_stop_is_idempotent_when_called_again_or_before_start(settings: Settings) -> None:
    gatepost = RecordedGatepost(settings)
    gatepost.stop()
    assert gatepost.record == []
    with gatepost:
        pass
    gatepost.stop()
    gatepost.stop()
    assert gatepost.record == [
        "start container",
        "start api",
        "start web",
        "stop api",
        "stop container",
    ]


def test_start_refused_when_already_running(settings: Settings) -> None:
    with Gatepost(settings) as gatepost, pytest.raises(RuntimeError, match="already running"):
        gatepost.start()


def test_parts_unavailable_when_not_started(settings: Settings) -> None:
    gatepost = Gatepost(settings)
    with pytest.raises(RuntimeError, match="start"):
        _ = gatepost.container
    with pytest.raises(RuntimeError, match="start"):
        _ = gatepost.app


def test_given_container_used_and_left_to_its_owner(settings: Settings) -> None:
    container = build_container(settings)
    try:
        with Gatepost.with_container(container) as gatepost:
            assert gatepost.container is container
            assert gatepost.app.state.container is container
        assert gatepost.running == ()
        # Still the caller's: the app of a second Gatepost is built from it.
        with Gatepost.with_container(container) as again:
            assert again.app.state.container is container
    finally:
        container.close()


def test_container_refused_when_built_from_other_settings(settings: Settings) -> None:
    container = build_container(settings)
    try:
        other = settings.model_copy()
        with pytest.raises(ValueError, match="other settings"):
            Gatepost(other, container=container)
    finally:
        container.close()


def test_ui_routes_only_when_composed(settings: Settings) -> None:
    container = build_container(settings)
    try:
        assert _ui_paths(create_app(container)) == []
        assert "/ui/login" in _ui_paths(compose_app(container))
        with Gatepost.with_container(container) as gatepost:
            assert "/ui/login" in _ui_paths(gatepost.app)
    finally:
        container.close()
