"""`gatepost bench access`: arrival -> decision -> command latency over MQTT and HTTPS.

A throw-away instance (its own Mosquitto via scripts/mosquitto.sh, SQLite or a temporary
PostgreSQL database, a door with N carded persons and M devices), the real gatepost in
``--workers`` child processes (API plus MQTT gateway), and simulated devices
(:mod:`gatepost.simulator`) driving card arrivals open-loop at ``--rate``. The broker's
own round trip (a bare client's publish echoed back by another) is the floor, measured
in the same run. Modules, in the order a run uses them:

- :mod:`.instance`: broker, database, rules, persons and devices;
- :mod:`.server`: the gatepost worker processes;
- :mod:`.load`: the floor, MQTT and HTTPS phases and their results;
- :mod:`.runner`: the run's order, the table and the JSON (:func:`run`).
"""

from __future__ import annotations

from gatepost.benchmarks.access.load import PhaseResult
from gatepost.benchmarks.access.runner import TARGET_P99_MS, AccessOptions, run

__all__ = ["AccessOptions", "PhaseResult", "TARGET_P99_MS", "run"]
