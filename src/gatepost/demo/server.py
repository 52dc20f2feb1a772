"""Runs the real app with uvicorn on a free loopback port in a background thread.

The app comes from the composition root (:class:`gatepost.app.Gatepost`), started on
entry (with the MQTT gateway when the settings enable it) and stopped once the server
has shut down.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from gatepost.app import Gatepost
from gatepost.ingest.gateway import MqttGateway
from gatepost.services.container import Container

__all__ = ["BackgroundServer", "free_port"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BackgroundServer:
    """``with BackgroundServer(container) as url:`` serves until the block ends.

    The container stays the caller's: it is used as is and not closed here.
    """

    def __init__(self, container: Container, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self._gatepost = Gatepost.with_container(container)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway(self) -> MqttGateway | None:
        """The MQTT gateway while serving (None without ``mqtt.enabled``)."""
        return self._gatepost.gateway

    def __enter__(self) -> str:
        self._gatepost.start()
        try:
            config = uvicorn.Config(
                self._gatepost.app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                server_header=False,
            )
            server = self._server = uvicorn.Server(config)
            thread = self._thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 20
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the server did not start")
                time.sleep(0.02)
        except BaseException:
            self._shut_down()
            raise
        return self.url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._shut_down()

    def _shut_down(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        self._gatepost.stop()
