"""The demo's face scenario: consent, enrolment, and a door camera recognising people.

Two people are enrolled from one photo each (see assets/faces/SOURCES.md), after their
biometric consent is recorded; enrolling someone without consent is refused. Then the
lobby turnstile's camera posts door frames to ``/api/v1/faces/identify``: both people
are recognised from different photos and a stranger is refused. Only protected
templates are stored; no photo is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["FaceDemo", "face_scenario", "report_faces"]

ASSETS = Path(__file__).parent / "assets" / "faces"
ENROL = {"Portrait O. (demo)": "obama_enrol.jpg", "Portrait B. (demo)": "biden_enrol.jpg"}
DOOR = [
    ("Portrait O. (demo)", "obama_door.jpg"),
    ("Portrait B. (demo)", "biden_door.jpg"),
    ("a stranger", "stranger_door.jpg"),
]

Call = Callable[..., Any]


@dataclass
class FaceDemo:
    refused_without_consent: int = 0
    enrolled: dict[str, str] = field(default_factory=dict)  # name -> person id
    door: list[tuple[str, dict[str, Any], float]] = field(default_factory=list)
    checks: dict[str, tuple[int | str, int | str]] = field(default_factory=dict)


def _photo(name: str) -> tuple[str, bytes, str]:
    return (name, (ASSETS / name).read_bytes(), "image/jpeg")


def face_scenario(
    call: Call, check: Callable[[Any, int], Any], admin: str, door: str, site: str
) -> FaceDemo:
    """Run the face part against the live API; ``door`` is a device credential."""
    result = FaceDemo()
    no_consent = check(
        call("POST", "/api/v1/persons", admin, json={"name": "No Consent (demo)", "site_id": site}),
        201,
    )
    result.refused_without_consent = call(
        "POST",
        f"/api/v1/persons/{no_consent['id']}/faces",
        admin,
        files=[("files", _photo("obama_enrol.jpg"))],
    ).status_code
    for name, photo in ENROL.items():
        person = check(
            call("POST", "/api/v1/persons", admin, json={"name": name, "site_id": site}), 201
        )
        check(
            call(
                "POST",
                f"/api/v1/persons/{person['id']}/consents",
                admin,
                json={"purpose": "biometric_face", "notice_version": "demo-2026"},
            ),
            201,
        )
        check(
            call(
                "POST",
                f"/api/v1/persons/{person['id']}/faces",
                admin,
                files=[("files", _photo(photo))],
            ),
            201,
        )
        result.enrolled[name] = person["id"]
    for who, photo in DOOR:
        started = time.perf_counter()
        seen = check(
            call("POST", "/api/v1/faces/identify", door, files={"file": _photo(photo)}), 200
        )
        result.door.append((who, seen, (time.perf_counter() - started) * 1000))
    names = {person_id: name for name, person_id in result.enrolled.items()}
    result.checks = {"enrol without biometric consent": (result.refused_without_consent, 409)}
    for who, seen, _ in result.door:
        got = names.get(seen["person_id"] or "", seen["decision"])
        want = who if who in result.enrolled else "no_match"
        result.checks[f"door camera sees {who}"] = (got, want)
    return result


def report_faces(console: Console, demo: FaceDemo) -> None:
    names = {person_id: name for name, person_id in demo.enrolled.items()}
    table = Table(title="Face recognition at the lobby turnstile (device credential)")
    for column in ("who stood there", "decision", "recognised as", "distance", "threshold", "ms"):
        table.add_column(column)
    for who, seen, ms in demo.door:
        colour = "green" if seen["decision"] == "match" else "yellow"
        table.add_row(
            who,
            f"[{colour}]{seen['decision']}[/]",
            names.get(seen["person_id"] or "", "—"),
            "—" if seen["distance"] is None else f"{seen['distance']:.3f}",
            f"{seen['threshold']:.3f}",
            f"{ms:.0f}",
        )
    console.print(table)
    console.print(
        f"Enrolled {len(demo.enrolled)} people from one photo each (templates only, rotated "
        f"by the tenant's secret key and sealed); enrolment without consent answered "
        f"{demo.refused_without_consent}.\n"
    )
