"""Mounts the admin UI (``/ui``) on the FastAPI app.

Pages are Jinja2 templates with autoescaping and htmx 2 for partial updates; there are
no inline scripts or styles, so the CSP set by ``SecurityHeadersMiddleware`` stays
strict. Every view is a ``GuardedRoute`` declaring its access rule, and ``/ui`` errors
become pages (or a sign-in redirect) instead of JSON.
"""

from __future__ import annotations

from fastapi import FastAPI

from gatepost.web.errors import install_error_pages
from gatepost.web.i18n import LocaleMiddleware
from gatepost.web.rendering import build_templates
from gatepost.web.views import ROUTERS

__all__ = ["install_web"]


def install_web(app: FastAPI) -> None:
    app.state.web_templates = build_templates()
    for router in ROUTERS:
        app.include_router(router)
    install_error_pages(app)
    app.add_middleware(LocaleMiddleware)
