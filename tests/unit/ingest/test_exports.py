"""Every ingest module exports a sorted, complete ``__all__`` and no side effects."""

from __future__ import annotations

import importlib
import pkgutil

import gatepost.ingest


def test_every_ingest_module_has_a_sorted_and_complete_all() -> None:
    names = [m.name for m in pkgutil.iter_modules(gatepost.ingest.__path__)]
    assert {"broker_accounts", "envelope", "messages", "topics"} <= set(names)
    for name in names:
        module = importlib.import_module(f"gatepost.ingest.{name}")
        assert module.__doc__, module.__name__
        assert module.__all__ == sorted(module.__all__), module.__name__
        assert all(hasattr(module, export) for export in module.__all__), module.__name__
