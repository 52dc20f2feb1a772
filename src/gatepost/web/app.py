"""Mounts the admin UI on the FastAPI app (placeholder until views are added)."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_web"]


def install_web(app: FastAPI) -> None:
    return None
