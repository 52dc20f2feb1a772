"""The server-rendered admin UI (Jinja2 + htmx), mounted by :func:`gatepost.web.app.install_web`."""

__all__: list[str] = []
