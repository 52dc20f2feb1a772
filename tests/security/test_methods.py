"""Methods a path does not serve: 401 before login, then 405 naming what it does serve.

Walks every path of the app (generated from its routes, as the other security walks
are) and tries each method the path does not serve, including HEAD and OPTIONS, which
no route serves: an anonymous caller gets the same answer as on the path's own methods
(401 for the API, the sign-in redirect for the UI, the 405 itself on public paths), and
a signed-in caller a 405 whose ``Allow`` lists exactly the methods served at that path.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import Actor
from tests.support.routes import METHODS, Operation, anonymous_client, operations, random_id

PROBED_METHODS = (*METHODS, "HEAD", "OPTIONS", "TRACE")


def _paths(app: Any) -> dict[str, tuple[Operation, set[str], bool]]:
    """Each path: one of its operations (for the URL), its methods, whether all public."""
    paths: dict[str, tuple[Operation, set[str], bool]] = {}
    for op in operations(app):
        first, methods, public = paths.get(op.path, (op, set(), True))
        paths[op.path] = (first, methods | {op.method}, public and op.is_public)
    return paths


def _url(op: Operation) -> str:
    return op.url({name: random_id() for name in op.path_params})


def _allow(response: Any) -> set[str]:
    return {method.strip() for method in response.headers.get("allow", "").split(",")} - {""}


def _signs_in(response: Any) -> bool:
    return response.status_code in (302, 303, 307) and response.headers.get(
        "location", ""
    ).startswith("/ui/login")


def test_unserved_methods_answer_401_without_credentials_on_every_protected_path(
    client: TestClient,
) -> None:
    anon = anonymous_client(client.app)
    paths = _paths(client.app)
    assert len(paths) >= 50, "the route walk found too few paths to be the real app"
    failures = []
    for path, (op, served, public) in sorted(paths.items()):
        url = _url(op)
        for method in sorted(set(PROBED_METHODS) - served):
            response = anon.request(method, url, follow_redirects=False)
            if public:
                ok = response.status_code == 405 and _allow(response) == served
            elif op.is_ui:
                ok = _signs_in(response)
            else:
                ok = response.status_code == 401 and (
                    method == "HEAD"  # no body
                    or response.json()["error"]
                    == {"code": "unauthenticated", "message": "authentication required"}
                )
            if not ok:
                failures.append(f"{method} {path} -> {response.status_code} {response.text[:80]}")
    assert failures == [], "\n".join(failures)


def test_unserved_methods_answer_405_with_allow_on_every_path_when_signed_in(
    client: TestClient, admin: Actor
) -> None:
    paths = _paths(client.app)
    failures = []
    for path, (op, served, _) in sorted(paths.items()):
        url = _url(op)
        for method in sorted(set(PROBED_METHODS) - served):
            response = client.request(method, url, headers=admin.headers, follow_redirects=False)
            if response.status_code != 405 or _allow(response) != served:
                failures.append(
                    f"{method} {path} -> {response.status_code} "
                    f"Allow: {response.headers.get('allow')} (serves {sorted(served)})"
                )
    assert failures == [], "\n".join(failures)


def test_patch_on_a_search_path_is_405_not_a_bad_id(client: TestClient, admin: Actor) -> None:
    # /persons/{person_id} serves PATCH, but "search" is a path of its own (POST only).
    for path in ("/api/v1/persons/search", "/api/v1/vehicles/search"):
        for method in ("PATCH", "GET", "DELETE"):
            response = client.request(method, path, headers=admin.headers)
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["allow"] == "POST"
            assert response.json()["error"]["code"] == "method_not_allowed"
    # The id routes next to them still serve their own methods.
    missing = admin.patch(f"/api/v1/persons/{random_id()}", json={})
    assert missing.status_code in (404, 422), missing.text


def test_unserved_method_on_a_ui_page_is_a_405_page_when_signed_in(
    client: TestClient, admin: Actor
) -> None:
    page = client.get("/ui/logout", headers=admin.headers, follow_redirects=False)
    assert page.status_code == 405
    assert page.headers["allow"] == "POST"
    assert page.headers["content-type"].startswith("text/html")
    assert "That action is not allowed here." in page.text
    fragment = client.delete(
        "/ui/people", headers={**admin.headers, "hx-request": "true"}, follow_redirects=False
    )
    assert fragment.status_code == 405
    assert fragment.headers["allow"] == "GET, POST"
    assert fragment.headers["hx-retarget"] == "#flash"


def test_unknown_api_paths_answer_401_without_credentials_and_404_with(
    client: TestClient, admin: Actor
) -> None:
    anon = anonymous_client(client.app)
    for method in PROBED_METHODS:
        for path in ("/api/v1/no-such-thing", f"/api/v1/persons/{random_id()}/nothing"):
            assert anon.request(method, path).status_code == 401, (method, path)
            response = client.request(method, path, headers=admin.headers)
            assert response.status_code == 404, (method, path, response.text)
    # Outside the API an unknown path is a plain 404, as before.
    assert anon.get("/no-such-thing").status_code == 404


def test_a_trailing_slash_twin_is_redirected_only_after_login(
    client: TestClient, admin: Actor
) -> None:
    """``/api/v1/persons/`` is not a route, but its twin without the slash is: an
    anonymous caller gets the 401 of any unknown path, not a redirect that would tell
    which paths exist; a signed-in one is redirected as before. The UI's twins (its
    pages redirect to sign-in anyway) are redirected as before."""
    anon = anonymous_client(client.app)
    for path in ("/api/v1/persons/", "/api/v1/sites/"):
        assert anon.get(path, follow_redirects=False).status_code == 401, path
        signed_in = client.get(path, headers=admin.headers, follow_redirects=False)
        assert signed_in.status_code == 307, (path, signed_in.text)
        assert signed_in.headers["location"].endswith(path.rstrip("/"))
    assert anon.get("/api/v1/no-such-thing/", follow_redirects=False).status_code == 401
    missing = client.get("/api/v1/no-such-thing/", headers=admin.headers, follow_redirects=False)
    assert missing.status_code == 404
