"""The server-rendered admin UI (Jinja2 + htmx)."""
