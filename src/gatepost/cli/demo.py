"""`gatepost demo`: an embedded instance doing the main job, end to end over HTTP."""

from __future__ import annotations


def demo() -> None:
    """Run a complete embedded gatepost and show what happens."""
    from gatepost.demo.run import run_demo

    run_demo()
