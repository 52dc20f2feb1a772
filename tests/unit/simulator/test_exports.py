"""Every simulator module exports a sorted, complete ``__all__``."""

from __future__ import annotations

import importlib
import pkgutil

import gatepost.simulator


def test_every_simulator_module_has_a_sorted_and_complete_all() -> None:
    names = [m.name for m in pkgutil.iter_modules(gatepost.simulator.__path__)]
    assert {"backlog", "credentials", "device", "door", "https", "messages"} <= set(names)
    for module in [gatepost.simulator] + [
        importlib.import_module(f"gatepost.simulator.{name}") for name in names
    ]:
        assert module.__doc__, module.__name__
        assert module.__all__ == sorted(module.__all__), module.__name__
        assert all(hasattr(module, export) for export in module.__all__), module.__name__
