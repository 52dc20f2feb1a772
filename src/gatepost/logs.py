"""Logging for `gatepost serve`: plain records, and access logs without query strings.

Query strings can carry search terms (a name, a phone number), so the access log keeps
only the path (SECURITY.md 25). Everything else gatepost logs uses ids and codes only.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["RedactQueryString", "uvicorn_log_config"]


class RedactQueryString(logging.Filter):
    """Drops ``?query`` from uvicorn access records (args: client, method, path, ...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if "?" in path:
                record.args = (*args[:2], path.split("?", 1)[0] + "?…", *args[3:])
        return True


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_query": {"()": "gatepost.logs.RedactQueryString"}},
        "formatters": {
            "default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "access": {"format": "%(asctime)s access %(message)s"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["redact_query"],
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": level,
                "propagate": False,
                "filters": ["redact_query"],
            },
            "gatepost": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }
