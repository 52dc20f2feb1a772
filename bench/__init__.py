"""Benchmarks in a source checkout: ``python -m bench <suite>`` (see README.md).

The code lives in :mod:`gatepost.benchmarks` so that ``gatepost bench <suite>`` works
from any installation; this package is only a thin command-line wrapper around it.
"""
