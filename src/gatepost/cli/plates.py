"""`gatepost plates read`: read the licence plates in image files.

For operators and integrators checking the reader on their own cameras' frames, and
for accuracy checks from outside: with --json one line per image, whose shape is kept
stable. Nothing is stored and no instance is needed; the reader (onnxruntime, PP-OCR
models) is built only when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gatepost.cli.context import console
from gatepost.cli.image_files import ImageFiles, JsonFlag, timed_over
from gatepost.domain.plates import PlateRegion

__all__ = ["app"]

app = typer.Typer(help="Licence-plate reader tools.", no_args_is_help=True)


@app.command("read")
def read(
    images: ImageFiles,
    region: Annotated[
        list[PlateRegion] | None,
        typer.Option(
            help="Accept only these regions' plate formats (repeat for several). "
            "Default: every region (cn, br, eu, us).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Find and read the plates in each image.

    Per plate: the normalised [bold]text[/] (e.g. 京A12345, BRA2E19), a 0-1
    [bold]confidence[/], its [bold]box[/] (left, top, right, bottom in pixels), the plate's
    background [bold]color[/] and the [bold]region[/] whose format it matched. An image
    with no plate gives an empty list. [bold]ms[/] is the reading time, decoding excluded.

    With --json: one line per image,
    {"file", "plates": [{"text", "confidence", "box", "color", "region"}], "ms"},
    plates sorted by confidence. A file that cannot be decoded is reported on stderr,
    the others are still read, and the exit status is 2.
    """
    from gatepost.domain.plates import DEFAULT_GRAMMARS, grammars_for
    from gatepost.vision.plate_reader import RapidOcrPlateReader

    grammars = grammars_for(region) if region else DEFAULT_GRAMMARS
    reader = RapidOcrPlateReader(grammars=grammars)
    table = Table("file", "plate", "confidence", "box", "color", "region", "ms")
    unusable: list[Path] = []
    for path, plates, ms in timed_over(images, reader.read, unusable):
        if as_json:
            line = {"file": str(path), "plates": [p.as_json() for p in plates], "ms": ms}
            typer.echo(json.dumps(line, ensure_ascii=False))
            continue
        if not plates:
            table.add_row(str(path), "[dim]none[/]", "", "", "", "", f"{ms:.0f}")
        for number, plate in enumerate(plates):
            table.add_row(
                str(path) if number == 0 else "",
                plate.text,
                f"{plate.confidence:.2f}",
                ",".join(map(str, plate.box)),
                plate.color.value,
                plate.region,
                f"{ms:.0f}" if number == 0 else "",
            )
    if not as_json:
        console.print(table)
    if unusable:
        raise typer.Exit(2)
