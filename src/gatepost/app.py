"""Gatepost: the composition root, with ordered, named start steps and a reverse stop.

One class wires the process together: the service container from settings, the API
app, the admin UI mounted on it (and, with issue 10, the device gateway). Each part is a
:class:`Step` with a ``start`` and an optional ``stop``; :meth:`Gatepost.start` runs the
steps in order and :meth:`Gatepost.stop` runs the stops of the steps that started, in
reverse. A step that fails to start stops what had already started before the error
propagates. Nothing runs at import time.

Every way of serving gatepost (``gatepost serve``, the demo, the load benchmarks, the
test client) goes through here, so the API package never imports the web package.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from fastapi import FastAPI

from gatepost.api.app import create_app, refuse_undeclared_routes
from gatepost.domain.ports import Clock
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from gatepost.web import app as web_ui

__all__ = ["Gatepost", "Step", "compose_app", "install_ui"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One named part of the process: ``start`` brings it up, ``stop`` (if any) ends it."""

    name: str
    start: Callable[[], None]
    stop: Callable[[], None] | None = None


def install_ui(app: FastAPI) -> None:
    """Mount the admin UI on an API app, then re-check that every route declares a rule."""
    web_ui.install_web(app)
    refuse_undeclared_routes(app)


def compose_app(container: Container) -> FastAPI:
    """The full application (API and admin UI) for a container the caller owns."""
    app = create_app(container)
    install_ui(app)
    return app


class Gatepost:
    """The process: ``start()`` runs :meth:`steps` in order, ``stop()`` undoes them.

    ``with Gatepost(settings) as gatepost:`` starts on entry and stops on exit. A
    container passed in (:meth:`with_container`) is used as is and left open on stop:
    whoever built it closes it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        container: Container | None = None,
    ) -> None:
        if container is not None and container.settings is not settings:
            raise ValueError("the container was built from other settings")
        self.settings = settings
        self._clock = clock
        self._given_container = container
        self._container: Container | None = None
        self._app: FastAPI | None = None
        self._running: list[Step] = []

    @classmethod
    def with_container(cls, container: Container) -> Self:
        """A Gatepost around a container built (and later closed) by the caller."""
        return cls(container.settings, clock=container.clock, container=container)

    # -- the steps, in start order -----------------------------------------------------

    def steps(self) -> list[Step]:
        """The parts of the process in start order (stop order is the reverse)."""
        return [
            Step("container", self.init_container, self.stop_container),
            Step("api", self.init_api, self.stop_api),
            Step("web", self.init_web),
            # The device gateway (issue 10, Part 2) goes here:
            # Step("gateway", self.start_gateway, self.stop_gateway).
        ]

    def init_container(self) -> None:
        """The services, built from settings (or the container given)."""
        self._container = self._given_container or build_container(self.settings, clock=self._clock)

    def stop_container(self) -> None:
        container, self._container = self._container, None
        if container is not None and container is not self._given_container:
            container.close()

    def init_api(self) -> None:
        """The FastAPI app with the API routes only."""
        self._app = create_app(self.container)

    def stop_api(self) -> None:
        self._app = None

    def init_web(self) -> None:
        """The admin UI, mounted on the API app."""
        install_ui(self.app)

    # -- what the steps built --------------------------------------------------------------

    @property
    def container(self) -> Container:
        if self._container is None:
            raise RuntimeError("gatepost has no container: start() it first")
        return self._container

    @property
    def app(self) -> FastAPI:
        """The ASGI app to serve (API and admin UI once started)."""
        if self._app is None:
            raise RuntimeError("gatepost has no app: start() it first")
        return self._app

    @property
    def running(self) -> tuple[str, ...]:
        """The names of the steps that have started, in start order."""
        return tuple(step.name for step in self._running)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Run every step in order; on a failure, stop what started and re-raise."""
        if self._running:
            raise RuntimeError("gatepost is already running")
        for step in self.steps():
            began = time.perf_counter()
            log.info("starting %s", step.name)
            try:
                step.start()
            except BaseException:
                log.exception("%s failed to start; stopping what started", step.name)
                self.stop()
                raise
            self._running.append(step)
            log.info("started %s in %.0f ms", step.name, (time.perf_counter() - began) * 1000)
        return self

    def stop(self) -> None:
        """Stop the started steps in reverse order. Safe to call again, or before start.

        A stop that fails is logged and the others still run.
        """
        while self._running:
            step = self._running.pop()
            if step.stop is None:
                continue
            log.info("stopping %s", step.name)
            try:
                step.stop()
            except Exception:
                log.exception("%s failed to stop", step.name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
