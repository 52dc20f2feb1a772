"""Matching: per-tenant face galleries (exact or approximate nearest-neighbour search)
and, later, fuzzy plate matching. Works on protected templates only; knows nothing of
storage or HTTP."""
