"""The server for the latency runs: the real app under uvicorn in a child process.

Owns :func:`serve`: start uvicorn on a free 127.0.0.1 port, wait for ``/health``, stop
it afterwards. The child runs the composition root (:mod:`gatepost.benchmarks.children`)
from the ``GATEPOST_*`` variables set here.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from gatepost.benchmarks.children import child_environment, free_port, uvicorn_command
from gatepost.benchmarks.ingest.instance import Instance

__all__ = ["serve"]


@contextmanager
def serve(instance: Instance) -> Iterator[str]:
    """The real app under uvicorn in a child process on 127.0.0.1; yields its base URL.

    A child process, not a thread: on a 2-core machine the load generator and the
    server then each get a core and do not share one GIL, as in production.
    """
    port = free_port()
    log_path = instance.settings.data_dir / "uvicorn.log"
    command = uvicorn_command(port)
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, env=child_environment(instance.settings), stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base_url
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
