"""Per-site plate formats: which regions a site's cameras read and its own patterns.

The site's formats change what the reader accepts (a US frame is read at a US site and
not at a Chinese-only one), bad or dangerous patterns are refused naming the field,
changes are audited without pattern text, and other tenants' sites are not found.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gatepost.vision import synthetic_plates as synthetic
from gatepost.vision.synthetic_plates import PlateKind
from tests.support.api import Actor, add_device, add_site, add_tenant, add_user
from tests.support.services import missing

US_PATTERN = {"name": "us_digit_first", "region": "us", "pattern": "[1-9][A-Z]{3}[0-9]{3}"}


@pytest.fixture(autouse=True)
def _font() -> None:
    if not Path(synthetic.CJK_FONT).is_file():  # make test installs it (system deps)
        missing(f"the {synthetic.CJK_FONT_PACKAGE} font")


@cache
def us_frame() -> tuple[str, bytes]:
    """A synthetic US plate whose text starts with a digit (``6UTG510``)."""
    frames = synthetic.synthetic_set([PlateKind.US], 2, seed=41, size=(960, 540))
    text, _, frame = list(frames)[1]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame.image)).save(buffer, format="JPEG", quality=92)
    return text, buffer.getvalue()


def _settings_url(site_id: str) -> str:
    return f"/api/v1/sites/{site_id}/plate-settings"


def _put(actor: Actor, site_id: str, body: dict[str, Any]) -> Any:
    return actor.put(_settings_url(site_id), json=body)


def _read(actor: Actor, frame: bytes, site_id: str | None = None) -> dict[str, Any]:
    response = actor.post(
        "/api/v1/plates/read",
        files={"file": ("gate.jpg", frame, "image/jpeg")},
        data={"site_id": site_id} if site_id else None,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_new_site_reads_every_region_and_settings_round_trip(admin: Actor) -> None:
    site_id = add_site(admin)
    assert admin.get(_settings_url(site_id)).json() == {
        "site_id": site_id,
        "regions": None,
        "patterns": [],
    }
    changed = _put(admin, site_id, {"regions": ["us", "eu", "us"], "patterns": [US_PATTERN]})
    assert changed.status_code == 200, changed.text
    expected = {"site_id": site_id, "regions": ["eu", "us"], "patterns": [US_PATTERN]}
    assert changed.json() == expected
    assert admin.get(_settings_url(site_id)).json() == expected
    back = _put(admin, site_id, {"regions": None})
    assert back.json() == {"site_id": site_id, "regions": None, "patterns": []}
    entries = admin.get("/api/v1/audit", params={"action": "site.plate_settings_changed"}).json()[
        "items"
    ]
    assert [e["target"] for e in entries] == [f"site:{site_id}"] * 2
    assert {e["details"]["after"] for e in entries} == {
        "regions=eu,us patterns=1",
        "regions=all patterns=0",
    }
    assert US_PATTERN["pattern"] not in str(entries)  # configuration, not logged


def test_site_formats_change_what_is_read(admin: Actor) -> None:
    text, frame = us_frame()
    us_site, cn_site, own_site = (add_site(admin, name) for name in ("US", "CN", "Own"))
    assert _put(admin, us_site, {"regions": ["us"]}).status_code == 200
    assert _put(admin, cn_site, {"regions": ["cn"]}).status_code == 200
    only_own = _put(admin, own_site, {"regions": [], "patterns": [US_PATTERN]})
    assert only_own.status_code == 200, only_own.text

    at_us = _read(admin, frame, us_site)
    assert [(p["text"], p["region"]) for p in at_us["plates"]] == [(text, "us")]
    assert _read(admin, frame, cn_site) == {
        "decision": "unknown",
        "reason": "no plate found",
        "outcome": "deny",
        "reasons": ["unknown_plate"],
        "event_id": None,
        "plates": [],
        "read_id": None,
        "repeat": False,
        "duplicate": False,
    }
    at_own = _read(admin, frame, own_site)
    assert [(p["text"], p["region"]) for p in at_own["plates"]] == [(text, "us")]
    # A device reads with its own site's formats, whatever site it names.
    camera = add_device(admin, cn_site, "CN gate")
    assert _read(camera, frame, us_site)["plates"] == []
    assert _read(add_device(admin, us_site, "US gate"), frame)["plates"][0]["text"] == text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"regions": ["mars"]}, "regions.0"),
        ({"regions": None, "patterns": [{**US_PATTERN, "pattern": "[A-Z"}]}, "patterns.0.pattern"),
        (
            {"regions": None, "patterns": [{**US_PATTERN, "pattern": "(A+)+B"}]},
            "patterns.0.pattern",
        ),
        (
            {"regions": None, "patterns": [{**US_PATTERN, "pattern": "(?:[A-Z]|[0-9])*"}]},
            "patterns.0.pattern",
        ),
        (
            {"regions": None, "patterns": [{**US_PATTERN, "pattern": "A" * 201}]},
            "patterns.0.pattern",
        ),
        (
            {"regions": None, "patterns": [{**US_PATTERN, "pattern": "A{4294967296}"}]},
            "patterns.0.pattern",
        ),
        ({"regions": None, "patterns": [{**US_PATTERN, "region": "xx"}]}, "patterns.0.region"),
        ({"regions": None, "patterns": [{**US_PATTERN, "name": "has space"}]}, "patterns.0.name"),
        ({"regions": None, "patterns": [US_PATTERN, US_PATTERN]}, "patterns.1.name"),
        (
            {"regions": None, "patterns": [{**US_PATTERN, "name": f"p{i}"} for i in range(11)]},
            "patterns",
        ),
        ({"regions": []}, "regions"),
        ({"patterns": []}, "regions"),
    ],
)
def test_bad_settings_are_refused_with_422_naming_the_field(
    admin: Actor, body: dict[str, Any], field: str
) -> None:
    site_id = add_site(admin)
    response = _put(admin, site_id, body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert admin.get(_settings_url(site_id)).json()["regions"] is None


def test_only_admins_change_site_formats_and_other_tenants_find_no_site(admin: Actor) -> None:
    site_id = add_site(admin)
    operator = add_user(admin, "operator")
    assert operator.get(_settings_url(site_id)).status_code == 200
    assert _put(operator, site_id, {"regions": ["us"]}).status_code == 403
    other = add_tenant(admin, "globex")
    assert other.get(_settings_url(site_id)).status_code == 404
    assert _put(other, site_id, {"regions": ["us"]}).status_code == 404
    _, frame = us_frame()
    foreign = other.post(
        "/api/v1/plates/read",
        files={"file": ("gate.jpg", frame, "image/jpeg")},
        data={"site_id": site_id},
    )
    assert foreign.status_code == 404, foreign.text
    assert admin.get(_settings_url(site_id)).json()["regions"] is None
