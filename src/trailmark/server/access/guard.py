"""The request guard: one ASGI layer that every request passes, deny by default.

Each request is resolved to the app's route that will answer it and that route's
permission in :data:`~trailmark.server.access.permissions.ROUTE_PERMISSIONS`; the caller
is identified by the app's authenticator (``app.state.identify``) and admitted by its
policy (``app.state.policy``); the identity goes into the ASGI scope for handlers
(:func:`trailmark.server.identity.current_user`). A route with no declared permission is
refused with 403, whoever asks.

The guard sits outside the ingest lane, so the busiest write path pays for it on every
batch: the table is compiled once, when the app starts (exact paths in a dict, templated
paths as the routes' own precompiled patterns, in routing order), so a request costs a
dict lookup or a few pattern matches and two calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from trailmark.errors import Forbidden, TrailmarkError
from trailmark.server.access.permissions import ROUTE_PERMISSIONS, Permission
from trailmark.server.errors import response_for
from trailmark.server.identity import ANONYMOUS_IDENTITY, SCOPE_KEY, Identity, anonymous

Policy = Callable[[Identity, Permission, str], bool]
"""Whether ``identity`` may call a route (``"METHOD /path"``) that needs ``permission``."""


def admit_everyone(_identity: Identity, _permission: Permission, _route: str) -> bool:
    """The policy while no accounts exist (a later issue brings them): everyone may do
    everything, and the bind check keeps such a server on loopback unless told otherwise."""
    return True


@dataclass(frozen=True, slots=True)
class AppRoute:
    """One route of the app as the guard sees it (``methods`` ``None``: every method)."""

    path: str
    methods: frozenset[str] | None
    pattern: re.Pattern[str]
    exact: bool

    def declared_keys(self) -> Iterator[tuple[str, str]]:
        """``(method, declared key)`` for each method the route answers (``*``: any)."""
        for method in sorted(self.methods) if self.methods else ("*",):
            yield method, f"{method} {self.path}"


def app_routes(routes: Sequence[BaseRoute]) -> list[AppRoute]:
    """Every route of an app in routing order, included routers and mounts flattened."""
    found = []
    for context in iter_route_contexts(routes):
        route = context.original_route
        is_mount = isinstance(route, Mount)
        path = (context.path or "") + ("/" if is_mount and not context.path else "")
        methods = None if is_mount or not context.methods else frozenset(context.methods)
        exact = not is_mount and not getattr(context, "param_convertors", None)
        found.append(AppRoute(path, methods, context.path_regex, exact))
    return found


def declared_permission(
    method: str, path: str, declared: Mapping[str, Permission] = ROUTE_PERMISSIONS
) -> Permission | None:
    """The permission declared for ``method path``; HEAD needs what GET needs."""
    found = declared.get(f"{method} {path}")
    if found is None and method == "HEAD":
        found = declared.get(f"GET {path}")
    return declared.get(f"* {path}") if found is None else found


@dataclass(frozen=True, slots=True)
class Decision:
    route: str
    """The declared route (``"METHOD /path"``) that answers the request."""
    permission: Permission | None
    """``None``: nothing declared for it, so it is refused."""


_UNNAMED = re.compile(r"\(\?P<[^>]+>")

NO_ROUTE = Decision("", Permission.PUBLIC)
"""No route answers: the app replies 404 or 405 itself, and no handler runs."""


_DEPTH = 3
"""Literal leading path segments that pick a bucket of templated routes."""


def _literal_prefix(route: AppRoute) -> tuple[str, ...]:
    """The route's leading segments without a parameter (a mount's are all it matches)."""
    segments: list[str] = []
    for segment in route.path.split("/")[1 : _DEPTH + 1]:
        if "{" in segment or (not segment and route.methods is None):
            break
        segments.append(segment)
    return tuple(segments)


@dataclass(frozen=True, slots=True)
class _Bucket:
    pattern: re.Pattern[str]
    """One alternative per route, in routing order: tried in order, in C."""
    decisions: tuple[Decision, ...]


class RouteTable:
    """Requests to decisions, in the order the app's router matches routes.

    Exact paths are a dict. Templated routes are grouped by method and literal leading
    segments, and each group is one pattern whose alternatives keep routing order: the
    regex engine tries them in C, where a loop over ~100 patterns in Python cost 10-20 us.
    """

    def __init__(
        self, routes: Sequence[BaseRoute], declared: Mapping[str, Permission] = ROUTE_PERMISSIONS
    ) -> None:
        self.routes = app_routes(routes)
        self.declared = declared
        templated: list[tuple[str, tuple[str, ...], AppRoute, Decision]] = []
        for route in self.routes:
            if not route.exact:
                for method, _key in route.declared_keys():
                    decision = self._decision(route, method, declared)
                    templated.append((method, _literal_prefix(route), route, decision))
        self._buckets: dict[tuple[str, tuple[str, ...]], _Bucket] = {}
        self._methods = frozenset(method for method, *_ in templated) - {"*"}
        prefixes = {prefix[:n] for _, prefix, _, _ in templated for n in range(len(prefix) + 1)}
        for method in (*self._methods, "*"):
            for prefix in prefixes:
                members = [
                    (route, decision)
                    for verb, own, route, decision in templated
                    if verb in ("*", method) and own == prefix[: len(own)]
                ]
                self._buckets[(method, prefix)] = _Bucket(
                    re.compile("|".join(_alternative(r) for r, _ in members) or "(?!)", re.DOTALL),
                    tuple(d for _, d in members),
                )
        self._exact: dict[tuple[str, str], Decision] = {}
        for route in self.routes:
            if route.exact:
                for method, _key in route.declared_keys():
                    # An earlier templated route may match this path first, as in the router.
                    self._exact.setdefault(
                        (method, route.path), self._ordered(method, route.path, declared)
                    )

    @staticmethod
    def _decision(route: AppRoute, method: str, declared: Mapping[str, Permission]) -> Decision:
        return Decision(f"{method} {route.path}", declared_permission(method, route.path, declared))

    def _ordered(self, method: str, path: str, declared: Mapping[str, Permission]) -> Decision:
        for route in self.routes:
            if (route.methods is None or method in route.methods) and route.pattern.match(path):
                return self._decision(route, "*" if route.methods is None else method, declared)
        return NO_ROUTE

    def resolve(self, method: str, path: str) -> Decision:
        decision = self._exact.get((method, path))
        if decision is not None:
            return decision
        verb = method if method in self._methods else "*"
        segments = tuple(path.split("/", _DEPTH + 1)[1 : _DEPTH + 1])
        buckets = self._buckets
        for n in range(len(segments), -1, -1):
            bucket = buckets.get((verb, segments[:n]))
            if bucket is not None:
                found = bucket.pattern.match(path)
                if found is None or found.lastindex is None:
                    return NO_ROUTE
                return bucket.decisions[found.lastindex - 1]
        return NO_ROUTE

    def undeclared(self) -> list[str]:
        """Routes of the app with no declared permission (the guard refuses them)."""
        return [
            key
            for route in self.routes
            for method, key in route.declared_keys()
            if declared_permission(method, route.path, self.declared) is None
        ]


def _alternative(route: AppRoute) -> str:
    """The route's own pattern as one numbered group (its named groups would clash)."""
    body = _UNNAMED.sub("(?:", route.pattern.pattern.removeprefix("^"))
    return f"({body.removesuffix('$')}$)"


class RequestGuard:
    """ASGI middleware: identify the caller and check the route's permission, or refuse."""

    def __init__(
        self,
        app: ASGIApp,
        routes_of: Any,
        declared: Mapping[str, Permission] = ROUTE_PERMISSIONS,
    ) -> None:
        self.app = app
        self._routes_of = routes_of  # the Starlette app, whose routes may still grow
        self.table = RouteTable(routes_of.routes, declared)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        if kind != "http":  # no websocket route is declared: refused unheard
            await send({"type": "websocket.close", "code": 1008})
            return
        method: str = scope["method"]
        path = _route_path(scope)
        decision = self.table.resolve(method, path)
        if decision is NO_ROUTE and self._routes_changed():
            decision = self.table.resolve(method, path)
        # By item, not attribute: State.__getattr__ costs a failed lookup first (~1 us).
        state = scope["app"].state
        identify = state["identify"]
        try:
            if identify is anonymous:  # no connection object to build for a constant
                identity = ANONYMOUS_IDENTITY
            else:
                found = identify(HTTPConnection(scope))
                identity = Identity(found) if type(found) is str else found
            if decision.permission is None:
                raise Forbidden(
                    f"{decision.route} has no declared permission, so it is refused "
                    "(see trailmark.server.access.permissions)"
                )
            if not state["policy"](identity, decision.permission, decision.route):
                raise Forbidden(
                    f"{identity.name} may not call {decision.route} "
                    f"(it needs the {decision.permission} permission)"
                )
        except TrailmarkError as exc:
            await response_for(exc, path)(scope, receive, send)
            return
        scope[SCOPE_KEY] = identity
        await self.app(scope, receive, send)

    def _routes_changed(self) -> bool:
        """Routes added after start were never compiled: rebuild rather than let them through."""
        if sum(1 for _ in iter_route_contexts(self._routes_of.routes)) == len(self.table.routes):
            return False
        self.table = RouteTable(self._routes_of.routes, self.table.declared)
        return True


def _route_path(scope: Scope) -> str:
    """The path the router matches: without the ``root_path`` a proxy mounted the app at."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :]
    return path
