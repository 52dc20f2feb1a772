"""``gatepost demo --serve``: the demo instance stays up for a newcomer to look around.

After the scenario the API, the admin UI, the MQTT gateway and the broker keep running on
127.0.0.1. The newcomer gets an administrator account of their own with a fresh random
password, printed once (the demo's own administrator password is never shown); it lives
as long as the instance, whose data directory is removed when the demo stops. Ctrl-C
(SIGINT) or SIGTERM stops everything, in reverse order of starting.
"""

from __future__ import annotations

import secrets
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from rich.console import Console

__all__ = ["NEWCOMER", "Login", "newcomer_login", "serve_until_stopped"]

NEWCOMER = "newcomer"
"""The username of the newcomer's administrator account."""


@dataclass(frozen=True, repr=False)
class Login:
    """Where and how to sign in (the password is never in a repr)."""

    url: str
    tenant: str
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Login(url={self.url}, tenant={self.tenant}, username={self.username})"


def newcomer_login(
    call: Callable[..., Any],
    check: Callable[[Any, int], Any],
    admin: str,
    *,
    base: str,
    tenant: str,
) -> Login:
    """Create the newcomer's administrator account (a fresh random password) over the API."""
    password = secrets.token_urlsafe(18)
    body = {"username": NEWCOMER, "password": password, "role": "admin"}
    check(call("POST", "/api/v1/users", admin, json=body), 201)
    url = f"{base}/ui/login?{urlencode({'tenant': tenant})}"
    return Login(url=url, tenant=tenant, username=NEWCOMER, password=password)


def serve_until_stopped(console: Console, login: Login) -> None:
    """Print the sign-in details and wait for Ctrl-C or SIGTERM (the caller stops what runs)."""
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_term) if main else None
    lines = [
        "",
        "[bold]The demo instance is running.[/] Sign in to the admin UI:",
        f"  URL:           {login.url}",
        f"  organisation:  {login.tenant}",
        f"  username:      {login.username}",
        f"  password:      {login.password}",
        "  (a fresh administrator account for this run, shown once; it goes when the demo stops)",
        "Press Ctrl-C to stop.",
    ]
    for line in lines:
        console.print(line, soft_wrap=True)
    console.file.flush()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    console.print("Stopping the demo instance (server, MQTT gateway, broker).", soft_wrap=True)
