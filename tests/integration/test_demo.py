"""`gatepost demo` (what `make demo` runs) completes and every check in it passes, over
HTTP and over its own real Mosquitto broker and MQTT gateway; `gatepost demo --serve`
keeps the instance up for a newcomer's sign-in and stops everything on Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from gatepost.demo import run as demo
from gatepost.ingest.broker_process import broker_problem
from tests.support.services import REPO_ROOT, missing

MQTT_ROWS = [
    "door opened over MQTT",
    "event stored at the real time",
    "anti-passback blocks a shared card",
    "forged message refused",
    "replayed message refused",
    "stranger's card refused over MQTT",
    "duress PIN opens with a silent alert",
    "car enters by plate over MQTT",
    "face recognised at a door over MQTT",
    "staff member enters the office",
    "cleaner refused outside their hours",
    "stale message refused",
]
_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ROW = re.compile(r"^│ (.+?)\s+│ (.+?)\s+│ (.+?)\s+│ (ok|FAIL) │$", re.MULTILINE)


@pytest.fixture
def broker_available() -> None:
    problem = broker_problem()
    if problem is not None:
        missing(f"gatepost's own MQTT broker ({problem})")


@pytest.mark.usefixtures("broker_available")
def test_demo_runs_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo.console, "width", 240)  # one line per check row
    started = time.perf_counter()
    demo.run_demo(tmp_path / "demo")  # raises SystemExit(1) if any of its checks fails
    seconds = time.perf_counter() - started
    out = capsys.readouterr().out
    rows = {name: result for name, _, _, result in _ROW.findall(out)}
    assert "FAIL" not in out
    for name in [*MQTT_ROWS, "door camera sees a stranger", "barrier does not know the other car"]:
        assert rows.get(name) == "ok", (name, rows)
    assert "Audit chain" in out and "intact" in out
    assert not (tmp_path / "demo" / "mosquitto" / "mosquitto.pid").exists()  # broker stopped
    assert seconds < 60, f"the demo took {seconds:.0f} s"


class _Lines:
    """The subprocess's output, line by line, read on a thread (never blocks the test)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str] | None) -> None:
        for line in stream or ():
            self._queue.put(line)

    def until(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.seen)[-4000:]}")


def _sign_in(url: str, tenant: str, username: str, password: str) -> int:
    """Sign in through /ui/login as a browser would; the dashboard's status code. The
    cookies are Secure (a browser keeps them for 127.0.0.1), so they are carried by hand."""
    origin = url.split("/ui/", 1)[0]
    with httpx.Client(base_url=origin, timeout=30) as http:
        page = http.get(url)
        assert page.status_code == 200, page.text
        token = _FORM_CSRF.search(page.text)
        assert token, page.text
        form_cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
        signed_in = http.post(
            "/ui/login",
            data={
                "tenant": tenant,
                "username": username,
                "password": password,
                "csrf_token": token.group(1),
            },
            headers={"Cookie": form_cookie},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        assert signed_in.headers["location"] == "/ui/"
        session = "; ".join(f"{k}={v}" for k, v in signed_in.cookies.items())
        return http.get("/ui/", headers={"Cookie": session}).status_code


@pytest.mark.usefixtures("broker_available")
def test_demo_serve_signs_a_newcomer_in_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "gatepost", "demo", "--serve", "--demo-dir", str(data_dir)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _Lines(process.stdout)
        url = lines.until(r"URL:\s+(http://127\.0\.0\.1:\d+/ui/login\S*)", 120).group(1)
        tenant = lines.until(r"organisation:\s+(\S+)", 5).group(1)
        username = lines.until(r"username:\s+(\S+)", 5).group(1)
        password = lines.until(r"password:\s+(\S+)", 5).group(1)
        lines.until(r"Press Ctrl-C to stop", 5)
        assert "FAIL" not in "".join(lines.seen)
        pid = int((data_dir / "mosquitto" / "mosquitto.pid").read_text())
        assert Path(f"/proc/{pid}").exists()
        assert _sign_in(url, tenant, username, password) == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, "".join(lines.seen)[-4000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "the demo's broker is still running"
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)
