"""No personal value in a URL (SECURITY.md 25; the issue's "no personal value appears in
a URL or a log line"): query strings end up in browser history, proxy and access logs.

Walks the app's OpenAPI document and, for the UI routes it leaves out, the routes
themselves: no query parameter may be named like a personal field. Searches by such
values are POSTs with the terms in the body (``/api/v1/persons/search``,
``/api/v1/vehicles/search``, ``/ui/people/search``).
"""

from __future__ import annotations

import re

from tests.support.api import Actor
from tests.support.routes import operations

#: Parameter names that would carry a personal value (a name, phone, identity number,
#: plate or email address) in a URL.
PERSONAL = re.compile(r"(^|_)(name|phone|identity(_number)?|plate|email|username)($|_)")


def test_no_query_parameter_is_named_like_a_personal_field_in_api_or_ui(admin: Actor) -> None:
    spec = admin.get("/api/openapi.json")
    assert spec.status_code == 200, spec.text
    documented = [
        (f"{method.upper()} {path}", param["name"])
        for path, item in spec.json()["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
        for param in op.get("parameters", [])
        if param.get("in") == "query"
    ]
    # The UI's routes are left out of the OpenAPI document: read them from the app.
    routed = [
        (f"{op.method} {op.path}", param.alias)
        for op in operations(admin.client.app)  # type: ignore[arg-type]
        for param in op.route.dependant.query_params
    ]
    assert len(documented) > 10 and any(where.endswith("/ui/people") for where, _ in routed)
    personal = [f"{where}?{name}" for where, name in documented + routed if PERSONAL.search(name)]
    assert personal == []


def test_personal_filters_in_a_list_url_are_refused_naming_the_search(admin: Actor) -> None:
    for url, name in [
        ("/api/v1/persons", "name"),
        ("/api/v1/persons", "phone"),
        ("/api/v1/persons", "identity_number"),
        ("/api/v1/vehicles", "plate"),
    ]:
        response = admin.get(url, params={name: "anything"})
        assert response.status_code == 422, (url, name, response.text)
        error = response.json()["error"]
        assert error["field"] == name
        assert f"POST {url}/search" in error["message"]
