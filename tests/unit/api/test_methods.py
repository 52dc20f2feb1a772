"""The route table: which template a path belongs to, and which methods it serves."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from gatepost.api.methods import RouteTable, route_table


def _app() -> FastAPI:
    app = FastAPI()
    router = APIRouter(prefix="/api/v1/persons")

    @router.get("/{person_id}")
    def read(person_id: str) -> None: ...

    @router.patch("/{person_id}")
    def edit(person_id: str) -> None: ...

    @router.post("/search")
    def search() -> None: ...

    @router.get("/{person_id}/faces")
    def faces(person_id: str) -> None: ...

    app.include_router(router)

    @app.get("/ui/{rest:path}")
    def fallback(rest: str) -> None: ...

    @app.post("/ui/logout")
    def logout() -> None: ...

    return app


def _route(app: FastAPI, name: str) -> APIRoute:
    table = route_table(app)
    return next(r for entry in table.paths.values() for r in entry.routes if r.name == name)


def _scope(method: str, path: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": ""}


def test_route_table_groups_methods_by_path_when_built() -> None:
    table = RouteTable.of(_app())
    person = table.paths["/api/v1/persons/{person_id}"]
    assert person.methods == {"GET", "PATCH"}
    assert person.allow == "GET, PATCH"
    assert table.paths["/api/v1/persons/search"].methods == {"POST"}


def test_literal_segment_wins_over_parameter_when_both_match() -> None:
    app = _app()
    table = route_table(app)
    read = _route(app, "read")
    literal = table.belongs_to(read, "/api/v1/persons/search")
    assert literal is not None and literal.path == "/api/v1/persons/search"
    own = table.belongs_to(read, "/api/v1/persons/" + "a" * 32)
    assert own is not None and own.path == "/api/v1/persons/{person_id}"


def test_refusal_offers_the_literal_path_when_parameter_route_matched_it() -> None:
    app = _app()
    table = route_table(app)
    refused = table.refusal(_route(app, "edit"), _scope("PATCH", "/api/v1/persons/search"))
    assert refused is not None and refused.allow == "POST"
    assert table.refusal(_route(app, "edit"), _scope("PATCH", "/api/v1/persons/abc")) is None


def test_refusal_names_every_method_at_the_path_when_another_route_matched() -> None:
    app = _app()
    table = route_table(app)
    refused = table.refusal(_route(app, "read"), _scope("DELETE", "/api/v1/persons/abc"))
    assert refused is not None and refused.methods == {"GET", "PATCH"}


def test_tail_parameter_loses_to_every_page_when_both_match() -> None:
    app = _app()
    table = route_table(app)
    fallback = _route(app, "fallback")
    refused = table.refusal(fallback, _scope("GET", "/ui/logout"))
    assert refused is not None and refused.allow == "POST"
    assert table.refusal(fallback, _scope("GET", "/ui/no-such-page")) is None


def test_route_table_is_rebuilt_when_routes_are_added() -> None:
    app = _app()
    first = route_table(app)
    assert route_table(app) is first

    @app.put("/api/v1/other")
    def other() -> None: ...

    assert "/api/v1/other" in route_table(app).paths
