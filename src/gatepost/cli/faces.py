"""`gatepost faces detect|compare`: run the face engine on image files.

Tools for operators and integrators: what the engine finds in a picture (boxes,
landmarks, quality) and how far apart the faces of two photos are. Nothing is stored
and no instance is needed. The engine (dlib, onnxruntime) is imported and built only
when a command runs, so ``gatepost --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from gatepost.cli.context import console, err_console, fail
from gatepost.cli.image_files import ImageFiles, JsonFlag, Unusable, load_image, timed_over

if TYPE_CHECKING:
    from gatepost.vision.dlib_faces import DlibFaceEngine
    from gatepost.vision.faces import FaceFinding

__all__ = ["app"]

app = typer.Typer(
    help="Face engine tools: find faces in image files, compare the faces of two photos.",
    no_args_is_help=True,
)


def _engine() -> DlibFaceEngine:
    from gatepost.vision.dlib_faces import DlibFaceEngine

    return DlibFaceEngine()


def _face_json(face: FaceFinding) -> dict[str, Any]:
    return {
        "box": face.box.as_list(),
        "quality": face.quality.as_dict(),
        "landmarks": [[round(x, 1), round(y, 1)] for x, y in face.landmarks],
    }


@app.command("detect")
def detect(images: ImageFiles, as_json: JsonFlag = False) -> None:
    """Find the faces in each image and measure their quality.

    Per face: its [bold]box[/] (left, top, right, bottom in pixels of the upright
    image, right and bottom exclusive), its [bold]quality[/] (size: box width in
    pixels; sharpness: variance of the Laplacian of the aligned face, low when
    blurred; pose: 0-1, 1 when the face looks straight at the camera; score: the
    detector's confidence) and its 5 [bold]landmarks[/] (eye corners, nose).
    [bold]ms[/] is the detection time, decoding excluded.

    With --json: one line per image, {"file", "faces": [{"box", "quality",
    "landmarks"}], "ms"}. A file that cannot be decoded is reported on stderr, the
    others are still processed, and the exit status is 2.
    """
    engine = _engine()
    table = Table("file", "face", "box", "size", "sharpness", "pose", "score", "ms")
    unusable: list[Path] = []
    for path, faces, ms in timed_over(images, engine.detect, unusable):
        if as_json:
            line = {"file": str(path), "faces": [_face_json(f) for f in faces], "ms": ms}
            typer.echo(json.dumps(line))
            continue
        if not faces:
            table.add_row(str(path), "[dim]none[/]", "", "", "", "", "", f"{ms:.1f}")
        for number, face in enumerate(faces, start=1):
            quality = face.quality.as_dict()
            table.add_row(
                str(path) if number == 1 else "",
                str(number),
                ",".join(map(str, face.box.as_list())),
                str(quality["size"]),
                f"{quality['sharpness']:.1f}",
                f"{quality['pose']:.2f}",
                f"{quality['score']:.2f}",
                f"{ms:.1f}" if number == 1 else "",
            )
    if not as_json:
        console.print(table)
    if unusable:
        raise typer.Exit(2)


@app.command("compare")
def compare(
    first: Annotated[
        Path, typer.Argument(help="First photo.", exists=True, dir_okay=False, show_default=False)
    ],
    second: Annotated[
        Path, typer.Argument(help="Second photo.", exists=True, dir_okay=False, show_default=False)
    ],
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=2.0,
            help="Largest distance at which the faces count as the same person. "
            "Default: the model's calibrated threshold for --fmr (printed in the output).",
            show_default=False,
        ),
    ] = None,
    fmr: Annotated[
        float,
        typer.Option(
            min=1e-7, max=1e-2, help="Target false-match rate that picks the default threshold."
        ),
    ] = 1e-3,
    as_json: JsonFlag = False,
) -> None:
    """Is the largest face in two photos the same person?

    Prints the Euclidean [bold]distance[/] between the two faces' descriptors (0:
    identical; photos of one person are typically below 0.5, of different people
    above 0.6), the [bold]threshold[/] used and whether the faces are the
    [bold]same[/] person (distance at most the threshold). With --json exactly
    {"distance": float, "same": bool, "threshold": float}.

    Exit status 2 when a file is not an image gatepost can read or has no face.
    """
    import numpy as np

    from gatepost.vision.calibration import threshold_for
    from gatepost.vision.faces import largest

    engine = _engine()
    limit = threshold_for(engine.model, fmr) if threshold is None else threshold
    vectors = []
    for path in (first, second):
        try:
            image = load_image(path)
        except Unusable as exc:
            raise fail(str(exc), code=2) from None
        face = largest(engine.detect(image))
        if face is None:
            raise fail(f"{path}: no face found", code=2)
        vectors.append(engine.embed(image, [face])[0])
    distance = float(np.linalg.norm(vectors[0] - vectors[1]))
    same = distance <= limit
    if as_json:
        typer.echo(json.dumps({"distance": round(distance, 6), "same": same, "threshold": limit}))
        return
    verdict = "[green]same person[/]" if same else "[yellow]different people[/]"
    console.print(f"distance {distance:.4f} (threshold {limit:.4f}): {verdict}")


@app.command("calibrate")
def calibrate(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A folder with manifest.csv (columns file, identity) or one sub-folder "
            "per person.",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ],
) -> None:
    """Measure verification accuracy and thresholds on your own labelled photos.

    Every pair of single-person photos is compared. Shows the genuine (same person)
    and impostor (different people) distance ranges; for each target false-match rate
    the threshold the data supports (only where there are at least 1/FMR impostor
    pairs), a normal fit of the impostor distances (an extrapolation, not a
    measurement), and the error rates at the threshold gatepost ships for that rate.
    Run it on photos of the population a site serves before trusting a low FMR.
    """
    from gatepost.benchmarks.face_calibration import calibrate as run
    from gatepost.benchmarks.face_calibration import labelled_photos

    photos = labelled_photos(folder)
    if not photos:
        raise fail(f"{folder}: no labelled photos (manifest.csv or sub-folders)", code=2)
    with console.status(f"embedding {len(photos)} photos"):
        result = run(_engine(), photos)
    for problem in result.skipped:
        err_console.print(f"[yellow]skipped[/] {problem}", soft_wrap=True)
    if not result.genuine or not result.impostor:
        raise fail("need at least two photos of one person and two different people", code=2)
    console.print(
        f"{result.model}: {result.photos} photos of {result.identities} people; "
        f"{len(result.genuine)} genuine pairs ({min(result.genuine):.3f} - "
        f"{max(result.genuine):.3f}), {len(result.impostor)} impostor pairs "
        f"({min(result.impostor):.3f} - {max(result.impostor):.3f})",
        soft_wrap=True,
    )
    table = Table(
        "target FMR",
        "measured threshold",
        "normal fit",
        "shipped",
        "FNMR at shipped",
        "FMR at shipped",
        title="Thresholds (distance <= threshold is a match)",
    )
    for row in result.rows:
        measured = (
            f"{row.empirical:.3f}"
            if row.empirical is not None
            else f"[dim]needs {round(1 / row.fmr):,} pairs[/]"
        )
        table.add_row(
            f"{row.fmr:g}",
            measured,
            f"{row.normal_fit:.3f}",
            f"{row.shipped:.3f}",
            f"{row.fnmr_at_shipped:.1%} of {len(result.genuine)}",
            f"{row.fmr_at_shipped:.1%} of {len(result.impostor)}",
        )
    console.print(table)
