"""``python -m bench <suite> [options]``: the same commands as ``gatepost bench``."""

from __future__ import annotations

from gatepost.cli.bench import app


def main() -> None:
    app(prog_name="python -m bench")


if __name__ == "__main__":
    main()
