"""Benchmarks run by ``gatepost bench <name>`` (numbers, not tests).

Each benchmark builds a real, throw-away instance (temporary data directory, temporary
PostgreSQL database), measures the production code path and, in the same run and on
the same engine, a raw baseline, so every number comes with its own point of
comparison. Nothing here is imported by the application itself.
"""
