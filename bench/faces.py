"""``python -m bench.faces [options]``: shorthand for ``gatepost bench faces``.

The benchmark itself is :mod:`gatepost.benchmarks.faces`; this module re-exports its
entry points for scripts that prefer ``from bench.faces import run``.
"""

from __future__ import annotations

import sys

from gatepost.benchmarks.faces import FacesOptions, run
from gatepost.cli.bench import app

__all__ = ["FacesOptions", "main", "run"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    app(args=["faces", *args], prog_name="python -m bench")


if __name__ == "__main__":
    main()
