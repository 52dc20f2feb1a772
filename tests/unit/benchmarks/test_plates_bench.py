"""`gatepost bench plates` (:mod:`gatepost.benchmarks.plates`): the counting, the frame
fitting, ``--set`` folders and the synthetic Latin table, on a few frames with the real
reader and baseline (each frame costs well under a second on one thread)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console
from typer.testing import CliRunner

from gatepost.benchmarks.plate_sets import fit_frame, labelled_folder
from gatepost.benchmarks.plates import (
    FrameOutcome,
    PlatesOptions,
    SetResult,
    run,
    same_plate,
)
from gatepost.cli import app
from gatepost.domain.plates import PlateRegion, grammars_for, match_grammar
from gatepost.vision.synthetic_latin import latin_set
from tests.support.plate_fonts import require_plate_fonts


@pytest.fixture(autouse=True)
def _fonts() -> None:
    require_plate_fonts()


def test_same_plate_counts_o_and_0_as_one_glyph_and_nothing_else() -> None:
    assert same_plate("RK099AN", "RK099AN")
    assert same_plate("BA302OZ", "BA3020Z") and same_plate("B0ABC1", "BOABC1")
    assert not same_plate("EUSA664", "EUS664")
    assert not same_plate("TF220", "TWF220")
    assert not same_plate("B8C", "BBC")  # only O/0: 8/B stays a miss
    assert not same_plate("", "AB123")


def _outcome(label: str, reading: str, ms: float) -> FrameOutcome:
    return FrameOutcome("f.jpg", label, reading, ms, hd=True)


def test_set_result_counts_exact_o0_no_plate_and_percentiles() -> None:
    result = SetResult(
        "eu",
        "gatepost",
        (
            _outcome("AB123CD", "AB123CD", 10.0),  # exact
            _outcome("BA302OZ", "BA3020Z", 20.0),  # exact only with O = 0
            _outcome("TWF220", "TF220", 30.0),  # wrong
            _outcome("EUS664", "", 40.0),  # no plate
        ),
        target=0.9,
    )
    assert (result.frames, result.exact, result.exact_o0, result.no_plate) == (4, 1, 2, 1)
    assert result.accuracy == 0.5
    assert (result.p50_ms, result.p90_ms, result.p50_hd_ms) == (30.0, 40.0, 30.0)
    assert SetResult("cn", "gatepost", (), dev=True).title == "cn (dev)"


def test_fit_frame_fits_1280x720_keeps_aspect_and_never_upscales() -> None:
    def fitted(width: int, height: int) -> tuple[int, int]:
        image = np.zeros((height, width, 3), np.uint8)
        out = fit_frame(image)
        assert out.dtype == np.uint8 and out.flags.c_contiguous
        return out.shape[1], out.shape[0]

    assert fitted(1920, 1080) == (1280, 720)
    assert fitted(1080, 1920) == (720, 1280)  # portrait into 720x1280
    assert fitted(4000, 1000) == (1280, 320)
    assert fitted(1000, 1000) == (720, 720)
    assert fitted(640, 480) == (640, 480)
    small = np.zeros((480, 640, 3), np.uint8)
    assert fit_frame(small) is small


def _labelled_folder(tmp_path: Path) -> tuple[Path, list[str]]:
    """Three synthetic frames as JPEG (one at 1920x1080), a broken file and a manifest:
    a label printed with separators, a wrong label, a Latin plate marked region cn."""
    folder = tmp_path / "mine"
    folder.mkdir()
    frames = list(latin_set(3, seed=31, formats=["fr", "de", "it"]))
    labels = []
    for i, (text, _, frame) in enumerate(frames):
        image = Image.fromarray(np.ascontiguousarray(frame.image))
        if i == 0:
            image = image.resize((1920, 1080))
        image.save(folder / f"{i}.jpg", quality=92)
        labels.append(text)
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    fr, de, it = labels
    printed_fr = f"{fr[:2]}-{fr[2:5]}-{fr[5:]}"  # AB-123-CD
    (folder / "manifest.csv").write_text(
        "file,plate,region\n"
        f"0.jpg,{printed_fr},\n"
        f"1.jpg,{de}X9,eu\n"  # wrong on purpose: never exact
        f"2.jpg,{it},cn\n"  # Chinese grammars only: a Latin reading cannot be given
        f"broken.jpg,{it},\n",
        encoding="utf-8",
    )
    return folder, labels


_LATIN_ROW = re.compile(
    r"│ (eu|us|br|cn \(two-row\)) +│ (\S+) +│ +(\d+) │ +(\d+) \(\d+%\) │ +(\d+) \(\d+%\) │ +(\d+) │"
)


def test_run_reports_no_plate_per_format_rows_and_set_folders(tmp_path: Path) -> None:
    folder, labels = _labelled_folder(tmp_path)
    empty = tmp_path / "no-data"
    empty.mkdir()
    out = io.StringIO()
    options = PlatesOptions(
        latin_photos=None,
        data=empty,
        synthetic=0,
        latin=4,
        seed=7,
        extra=(labelled_folder(f"eu-mine={folder}"),),
        misses=True,
    )
    results = run(options, Console(file=out, width=200, highlight=False))
    text = out.getvalue()

    assert [(r.name, r.method) for r in results] == [
        ("synthetic-latin", "baseline"),
        ("synthetic-latin", "gatepost"),
        ("eu-mine", "baseline"),
        ("eu-mine", "gatepost"),
    ]
    assert "manifest.csv not found: set cn skipped" in text
    assert "manifest.csv not found: set br skipped" in text
    assert "broken.jpg: skipped" in text
    assert "fitted into 1280x720" in text
    assert "no plate" in text and "(dev)" not in text

    latin_base, latin_ours, mine_base, mine_ours = results
    rows = [m.groups() for m in _LATIN_ROW.finditer(text)]
    totals = [row for row in rows if row[1] == "all"]
    per_format = [row for row in rows if row[1] != "all"]
    assert totals == [("eu", "all", "4", *totals[0][3:])]
    assert [row[1] for row in per_format] == ["de", "es", "fr", "it"]  # sorted by code
    for column, expected in (
        (2, 4),
        (3, latin_base.exact_o0),
        (4, latin_ours.exact_o0),
        (5, latin_ours.no_plate),
    ):
        assert sum(int(row[column]) for row in per_format) == expected == int(totals[0][column])

    for result in (mine_base, mine_ours):
        assert result.frames == 3 and result.target == 0.90
        assert all(o.hd for o in result.outcomes)  # the 1920x1080 frame was fitted
        assert [o.label for o in result.outcomes] == [labels[0], labels[1] + "X9", labels[2]]
        assert result.exact == sum(o.reading == o.label for o in result.outcomes)
        assert result.outcomes[1].reading != result.outcomes[1].label
        cn_reading = result.outcomes[2].reading
        assert not cn_reading or match_grammar(cn_reading, grammars_for([PlateRegion.CN]))
    assert "misses in eu-mine" in text and labels[1] + "X9" in text
    assert "misses in synthetic-latin" in text


def _bench(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["bench", "plates", "--latin", "0", "--synthetic", "0", *args])
    assert not isinstance(result.exception, (ValueError, OSError)), result.exception
    return result.exit_code, re.sub(r"[│╭╮╰╯─\s]+", " ", result.output)  # rich's box gone


def test_bad_set_values_are_usage_errors_not_tracebacks(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    (tmp_path / "no-manifest").mkdir()
    (folder / "manifest.csv").write_text("file,plate,region\na.jpg,AB123CD,mars\n")
    for value, words in (
        ("photos", "is not NAME=FOLDER"),
        ("=photos", "is not NAME=FOLDER"),
        (f"mine={tmp_path / 'missing'}", "is not a folder"),
        (f"mine={tmp_path / 'no-manifest'}", "not found"),
        (f"cn={folder}", "built-in set"),
        (f"mine={folder}", "region 'mars'"),
    ):
        code, output = _bench("--set", value)
        assert code == 2, (value, output)
        assert "Invalid value for '--set'" in output and words in output
    (folder / "manifest.csv").write_text("file,label\na.jpg,AB123CD\n")
    code, output = _bench("--set", f"mine={folder}")
    assert code == 2 and "no column plate" in output
    (folder / "manifest.csv").write_text("file,plate\na.jpg,AB123CD\n")
    code, output = _bench("--set", f"a={folder}", "--set", f"a={folder}")
    assert code == 2 and "own NAME" in output
