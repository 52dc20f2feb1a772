"""Image files named on the command line: the argument type, the --json flag, and
loading a file into checked RGB pixels with an error that names the file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from gatepost.cli.context import err_console

if TYPE_CHECKING:
    from gatepost.vision.images import RgbImage

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "ImageFiles",
    "JsonFlag",
    "Unusable",
    "load_image",
    "timed_over",
]

T = TypeVar("T")

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 80_000_000

ImageFiles = Annotated[
    list[Path],
    typer.Argument(
        help="Image files (JPEG, PNG or WebP).",
        exists=True,
        dir_okay=False,
        show_default=False,
        metavar="IMAGE",
    ),
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts instead of text for people.")
]


class Unusable(Exception):
    """A file the command cannot use; the message names the file."""


def load_image(path: Path) -> RgbImage:
    """The file's upright RGB pixels; raises Unusable naming the file and the problem."""
    from gatepost.vision.images import BadImage, decode_rgb

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Unusable(f"{path}: the file is larger than {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise Unusable(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        return decode_rgb(data, max_bytes=MAX_FILE_BYTES, max_pixels=MAX_PIXELS)
    except BadImage as exc:
        raise Unusable(f"{path}: {exc.message}") from exc


def timed_over(
    paths: Sequence[Path], work: Callable[[RgbImage], T], unusable: list[Path]
) -> Iterator[tuple[Path, T, float]]:
    """``(path, work(image), ms)`` per file; ms times ``work`` only, not decoding.

    A file that cannot be used is reported on stderr, appended to ``unusable`` and
    skipped, so the others are still processed (commands then exit with status 2).
    """
    for path in paths:
        try:
            image = load_image(path)
        except Unusable as exc:
            err_console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            unusable.append(path)
            continue
        started = time.perf_counter()
        result = work(image)
        yield path, result, round((time.perf_counter() - started) * 1000, 1)
