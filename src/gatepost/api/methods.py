"""Which methods each path of the app serves: the table behind every 405.

Left to itself, Starlette answers a method that a route does not serve with a 405 that
names only that one route's methods, before any login check; and a path whose own
template serves other methods (``POST /api/v1/persons/search``) is taken for ``GET`` by
a template with a parameter in its place (``/api/v1/persons/{person_id}``), which then
fails validation with a 422. :class:`RouteTable` knows every path template of the app
with all the methods served there, and which template a concrete path belongs to: the
most specific one that matches it, where a literal segment beats a parameter and a
parameter beats a ``{...:path}`` tail, left to right. :class:`gatepost.api.deps.GuardedRoute`
asks it before serving a request, so every refused method is answered in one place.

HEAD and OPTIONS are refused like any other method no route serves: FastAPI serves no
HEAD for a GET route, and there is no CORS to answer preflights for (the UI and the
API share one origin). A client that wants the methods of a path reads the ``Allow``
of the 405 (after login) or the OpenAPI document.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path
from starlette.types import Scope

__all__ = ["PathMethods", "RouteTable", "route_path", "route_table"]

_LITERAL, _PARAMETER, _TAIL = 0, 1, 2


def _segments(path: str) -> tuple[str, ...]:
    stripped = path.strip("/")
    return tuple(stripped.split("/")) if stripped else ()


def _kind(segment: str) -> int:
    if "{" not in segment:
        return _LITERAL
    return _TAIL if segment.endswith(":path}") else _PARAMETER


def _may_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether some concrete path could match both templates (never a false "no")."""
    for left, right in zip(a, b, strict=False):
        if _TAIL in (_kind(left), _kind(right)):
            return True
        if _kind(left) == _kind(right) == _LITERAL and left != right:
            return False
    if len(a) == len(b):
        return True
    longer = a if len(a) > len(b) else b
    return _kind(longer[min(len(a), len(b))]) == _TAIL  # "/ui/" and "/ui/{rest:path}"


@dataclass(frozen=True)
class PathMethods:
    """One path template and the routes (and so the methods) served at it."""

    path: str
    routes: tuple[APIRoute, ...]
    methods: frozenset[str]
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)
    rank: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """Sorts the more specific template first."""

    def __post_init__(self) -> None:
        segments = _segments(self.path)
        object.__setattr__(self, "regex", compile_path(self.path)[0])
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "rank", tuple(_kind(segment) for segment in segments))

    @property
    def allow(self) -> str:
        """The value of an ``Allow`` header for this path."""
        return ", ".join(sorted(self.methods))


class RouteTable:
    """Every API route template of an app, grouped by path, with their methods."""

    def __init__(self, served: Iterable[tuple[str, APIRoute, frozenset[str]]]) -> None:
        routes: dict[str, list[APIRoute]] = defaultdict(list)
        methods: dict[str, set[str]] = defaultdict(set)
        for path, route, route_methods in served:
            routes[path].append(route)
            methods[path] |= route_methods
        self.paths: dict[str, PathMethods] = {
            path: PathMethods(path, tuple(routes[path]), frozenset(methods[path]))
            for path in routes
        }
        # By id: routes do not hash, and each lives as long as the app does.
        self._at: dict[int, list[PathMethods]] = defaultdict(list)
        for entry in self.paths.values():
            for route in entry.routes:
                self._at[id(route)].append(entry)
        # For each template, the more specific ones that may match the same paths, the
        # most specific first: only these can take a path away from it.
        self._finer: dict[str, tuple[PathMethods, ...]] = {
            entry.path: tuple(
                sorted(
                    (
                        other
                        for other in self.paths.values()
                        if other.rank < entry.rank and _may_overlap(other.segments, entry.segments)
                    ),
                    key=lambda other: other.rank,
                )
            )
            for entry in self.paths.values()
        }

    @classmethod
    def of(cls, app: FastAPI) -> RouteTable:
        served = []
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and context.path:
                served.append((context.path, route, frozenset(context.methods or ())))
        return cls(served)

    def belongs_to(self, route: APIRoute, path: str) -> PathMethods | None:
        """The template that ``path`` belongs to, given that ``route`` matched it."""
        own = self._at.get(id(route))
        if not own:
            return None
        here = own[0]
        if len(own) > 1:  # one route served at several paths
            here = next((entry for entry in own if entry.regex.match(path)), here)
        for finer in self._finer[here.path]:
            if finer.regex.match(path):
                return finer
        return here

    def refusal(self, route: APIRoute, scope: Scope) -> PathMethods | None:
        """The path whose methods to offer instead, or None when ``route`` may serve.

        Starlette picked ``route`` for the request (fully, or by its path only); the
        request is refused when the template its path belongs to does not serve its
        method.
        """
        entry = self.belongs_to(route, route_path(scope))
        if entry is None or scope["method"] in entry.methods:
            return None
        return entry


def route_path(scope: Scope) -> str:
    """The request's path as routes see it (without the app's ``root_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def route_table(app: FastAPI) -> RouteTable:
    """The app's table, built on first use (the routes are fixed once the app serves)."""
    size = len(app.router.routes)
    cached = getattr(app.state, "gatepost_route_table", None)
    if isinstance(cached, tuple) and cached[0] == size:
        table: RouteTable = cached[1]
        return table
    table = RouteTable.of(app)
    app.state.gatepost_route_table = (size, table)
    return table
