"""``python -m bench.ingest [options]``: shorthand for ``gatepost bench ingest``.

The benchmark itself is :mod:`gatepost.benchmarks.ingest`; this module re-exports its
entry points for scripts that prefer ``from bench.ingest import run``.
"""

from __future__ import annotations

import sys

from gatepost.benchmarks.ingest import IngestOptions, run
from gatepost.cli.bench import app

__all__ = ["IngestOptions", "main", "run"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    app(args=["ingest", *args], prog_name="python -m bench")


if __name__ == "__main__":
    main()
