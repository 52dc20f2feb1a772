"""`gatepost faces detect|compare` through the real CLI (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from gatepost.cli import app
from tests.unit.vision.conftest import GROUP, fixture_path


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["faces", *args])


def test_compare_json_has_exactly_distance_same_threshold() -> None:
    result = _run(
        "compare", "--json", str(fixture_path("obama_1.jpg")), str(fixture_path("obama_2.jpg"))
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == {"distance", "same", "threshold"}
    assert isinstance(answer["distance"], float) and isinstance(answer["threshold"], float)
    assert answer["same"] is True and answer["distance"] < answer["threshold"]


def test_compare_different_people_with_own_threshold() -> None:
    result = _run(
        "compare",
        "--json",
        "--threshold",
        "0.5",
        str(fixture_path("obama_1.jpg")),
        str(fixture_path("biden_1.jpg")),
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["same"] is False and answer["threshold"] == 0.5


def test_compare_without_json_prints_a_verdict() -> None:
    result = _run("compare", str(fixture_path("biden_1.jpg")), str(fixture_path("biden_2.jpg")))
    assert result.exit_code == 0, result.output
    assert "same person" in result.stdout


def test_compare_names_a_file_that_is_not_an_image(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    result = _run("compare", str(fixture_path("obama_1.jpg")), str(text))
    assert result.exit_code == 2
    assert "notes.txt" in result.stderr and "not an image" in result.stderr


def test_compare_names_a_photo_without_a_face(tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "wall.png"
    Image.new("RGB", (320, 240), (200, 200, 200)).save(blank)
    result = _run("compare", "--json", str(blank), str(fixture_path("obama_1.jpg")))
    assert result.exit_code == 2
    assert "wall.png" in result.stderr and "no face" in result.stderr
    assert result.stdout == ""


def test_detect_json_prints_one_line_per_image() -> None:
    files = [fixture_path("obama_1.jpg"), fixture_path(GROUP)]
    result = _run("detect", "--json", *map(str, files))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    assert [len(line["faces"]) for line in lines] == [1, 2]
    for line in lines:
        assert set(line) == {"file", "faces", "ms"} and line["ms"] >= 0
        for face in line["faces"]:
            assert set(face) == {"box", "quality", "landmarks"}
            assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])
            assert set(face["quality"]) == {"size", "sharpness", "pose", "score"}
            assert len(face["landmarks"]) == 5 and all(len(p) == 2 for p in face["landmarks"])


def test_detect_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(fixture_path("obama_1.jpg").read_bytes()[:500])
    result = _run("detect", "--json", str(broken), str(fixture_path("biden_1.jpg")))
    assert result.exit_code == 2
    assert "broken.jpg" in result.stderr
    (line,) = result.stdout.splitlines()
    assert len(json.loads(line)["faces"]) == 1


def test_detect_table_lists_faces() -> None:
    result = _run("detect", str(fixture_path(GROUP)))
    assert result.exit_code == 0, result.output
    assert "sharpness" in result.stdout


def test_bench_faces_without_a_photo_set_says_what_to_pass(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "faces", "--data", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "manifest.csv" in result.stderr and "--data" in result.stderr


def test_calibrate_reports_pairs_and_refuses_what_the_data_cannot_measure(tmp_path: Path) -> None:
    for person in ("obama", "biden"):
        folder = tmp_path / person
        folder.mkdir()
        for name in ("1", "2"):
            (folder / f"{name}.jpg").write_bytes(fixture_path(f"{person}_{name}.jpg").read_bytes())
    result = CliRunner().invoke(app, ["faces", "calibrate", str(tmp_path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "4 photos of 2 people" in result.output
    assert "2 genuine pairs" in result.output and "4 impostor pairs" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(app, ["faces", "calibrate", str(empty)]).exit_code == 2


def test_calibration_does_not_claim_rates_its_pairs_cannot_measure(tmp_path: Path) -> None:
    from gatepost.benchmarks.face_calibration import calibrate
    from gatepost.vision.dlib_faces import DlibFaceEngine

    photos = [(fixture_path(f"{who}_{n}.jpg"), who) for who in ("obama", "biden") for n in (1, 2)]
    result = calibrate(DlibFaceEngine(), photos)
    assert (len(result.genuine), len(result.impostor)) == (2, 4)
    assert all(row.empirical is None for row in result.rows)  # 4 pairs: not even 1e-2
    assert all(row.fmr_at_shipped == 0 and row.fnmr_at_shipped == 0 for row in result.rows)
