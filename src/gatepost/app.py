"""Gatepost: the composition root, with ordered, named start steps and a reverse stop.

One class wires the process together: the service container from settings, the API
app, the admin UI mounted on it, (``mqtt.enabled``) the MQTT device gateway and
(``webhooks.enabled``) the notifier that sends webhooks and MQTT notifications. Each
part is a :class:`Step` with a ``start`` and an optional ``stop``; :meth:`Gatepost.start`
runs the steps in order and :meth:`Gatepost.stop` runs the stops of the steps that started, in
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
from gatepost.api.methods import route_table
from gatepost.domain.ports import Clock, SystemClock
from gatepost.ingest.broker_accounts import broker_accounts_for
from gatepost.ingest.gateway import MqttGateway, default_worker_name, gateway_outbox
from gatepost.ingest.gateway_commands import CommandOutbox
from gatepost.ingest.notify_publisher import MqttNotificationPublisher
from gatepost.services.container import Container, build_container
from gatepost.services.webhook_dispatch import HttpxSender, Notifier, WebhookDispatcher
from gatepost.settings import Settings
from gatepost.web import app as web_ui

__all__ = ["Gatepost", "Step", "compose_app", "container_for", "install_ui"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One named part of the process: ``start`` brings it up, ``stop`` (if any) ends it."""

    name: str
    start: Callable[[], None]
    stop: Callable[[], None] | None = None


def install_ui(app: FastAPI) -> None:
    """Mount the admin UI on an API app, then re-check that every route declares a rule
    (and build the table of each path's methods now, not on the first request)."""
    web_ui.install_web(app)
    refuse_undeclared_routes(app)
    route_table(app)


def compose_app(container: Container) -> FastAPI:
    """The full application (API and admin UI) for a container the caller owns."""
    app = create_app(container)
    install_ui(app)
    return app


def container_for(settings: Settings, *, clock: Clock | None = None) -> Container:
    """The services for a process that serves devices: with MQTT on, device commands
    go to the gateway's outbox (the ``gateway`` step sends them) and the broker's device
    accounts follow the device registry."""
    clock = clock or SystemClock()
    commands = CommandOutbox(clock=clock) if settings.mqtt.enabled else None
    return build_container(
        settings,
        clock=clock,
        commands=commands,
        broker_accounts=broker_accounts_for(settings),
    )


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
        self._gateway: MqttGateway | None = None
        self._notifier: tuple[Notifier, HttpxSender, MqttNotificationPublisher | None] | None = None

    @classmethod
    def with_container(cls, container: Container) -> Self:
        """A Gatepost around a container built (and later closed) by the caller."""
        return cls(container.settings, clock=container.clock, container=container)

    # -- the steps, in start order -----------------------------------------------------

    def steps(self) -> list[Step]:
        """The parts of the process in start order (stop order is the reverse)."""
        steps = [
            Step("container", self.init_container, self.stop_container),
            Step("api", self.init_api, self.stop_api),
            Step("web", self.init_web),
        ]
        if self.settings.mqtt.enabled:
            steps.append(Step("gateway", self.start_gateway, self.stop_gateway))
        if self.settings.webhooks.enabled:
            steps.append(Step("notifier", self.start_notifier, self.stop_notifier))
        return steps

    def init_container(self) -> None:
        """The services, built from settings (or the container given)."""
        if self._given_container is not None:
            self._container = self._given_container
            return
        self._container = container_for(self.settings, clock=self._clock)

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

    def start_gateway(self) -> None:
        """The MQTT device gateway (``mqtt.enabled``), when the container sends device
        commands to a gateway outbox (one built here does; a container given without
        one, as tests build, runs no gateway). The broker's accounts are brought in step
        first."""
        if gateway_outbox(self.container) is None:
            log.info("the container has no gateway outbox: the MQTT gateway is not started")
            return
        self.container.devices.sync_broker_accounts()
        gateway = MqttGateway(self.settings, self.container, worker_name=default_worker_name())
        gateway.start()
        self._gateway = gateway

    def stop_gateway(self) -> None:
        gateway, self._gateway = self._gateway, None
        if gateway is not None:
            gateway.stop()

    def start_notifier(self) -> None:
        """The notifier (``webhooks.enabled``): sends queued webhooks and, with
        ``mqtt.enabled``, publishes MQTT notifications through its own connection."""
        publisher = None
        if self.settings.mqtt.enabled:
            publisher = MqttNotificationPublisher(self.settings, worker_name=default_worker_name())
            publisher.start()
        hooks = self.settings.webhooks
        sender = HttpxSender(timeout=hooks.timeout_seconds)
        dispatcher = WebhookDispatcher(
            tx=self.container.tx,
            clock=self.container.clock,
            settings=hooks,
            sender=sender,
            publisher=publisher,
        )
        notifier = Notifier(dispatcher, poll_seconds=hooks.poll_seconds)
        notifier.start()
        self._notifier = (notifier, sender, publisher)

    def stop_notifier(self) -> None:
        parts, self._notifier = self._notifier, None
        if parts is not None:
            notifier, sender, publisher = parts
            notifier.stop()
            sender.close()
            if publisher is not None:
                publisher.stop()

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
    def gateway(self) -> MqttGateway | None:
        """The MQTT gateway while its step runs (None without MQTT or a gateway outbox)."""
        return self._gateway

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
