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
    """No parameter: matched by a dict lookup."""
    mount: bool
    """A mounted app: it answers every path below its own."""

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
        found.append(AppRoute(path, methods, context.path_regex, exact, is_mount))
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
"""Literal leading path segments that, with the method and the number of slashes, pick the
few templated routes a request could match."""

_MAX_SLASHES = 16


@dataclass(frozen=True, slots=True)
class _Templated:
    method: str
    prefix: tuple[str, ...]
    """Leading segments without a parameter (at most ``_DEPTH``)."""
    slashes: int
    """Slashes in every path it matches, or at least (``open``: a ``:path`` tail, a mount)."""
    open: bool
    alternative: str
    decision: Decision

    @classmethod
    def of(cls, route: AppRoute, method: str, decision: Decision) -> _Templated:
        prefix: list[str] = []
        for segment in route.path.split("/")[1 : _DEPTH + 1]:
            if "{" in segment or (not segment and route.mount):
                break
            prefix.append(segment)
        # A mount at /static matches /static/...: one slash more than its own path.
        slashes = (
            (route.path.rstrip("/") + "/").count("/") if route.mount else route.path.count("/")
        )
        body = _UNNAMED.sub("(?:", route.pattern.pattern.removeprefix("^")).removesuffix("$")
        return cls(
            method,
            tuple(prefix),
            slashes,
            ".*" in route.pattern.pattern,
            f"({body}$)",  # one numbered group per route: its named groups would clash
            decision,
        )

    def may_match(self, method: str, prefix: tuple[str, ...], slashes: int) -> bool:
        if self.method not in ("*", method) or self.prefix != prefix[: len(self.prefix)]:
            return False
        if slashes > _MAX_SLASHES:
            return self.open or self.slashes > _MAX_SLASHES
        return self.slashes <= slashes if self.open else self.slashes == slashes


@dataclass(frozen=True, slots=True)
class _Bucket:
    pattern: re.Pattern[str]
    """One alternative per route, in routing order: tried in order, in C."""
    decisions: tuple[Decision, ...]


class RouteTable:
    """Requests to decisions, in the order the app's router matches routes.

    Exact paths are a dict. Templated routes are grouped by method, literal leading
    segments and number of slashes, and each group is one pattern whose alternatives keep
    routing order: the regex engine tries the few that could match in C, where a loop over
    ~100 patterns in Python cost 10-20 us a request.
    """

    def __init__(
        self, routes: Sequence[BaseRoute], declared: Mapping[str, Permission] = ROUTE_PERMISSIONS
    ) -> None:
        self.routes = app_routes(routes)
        self.declared = declared
        self._templated = [
            _Templated.of(route, method, self._decision(route, method, declared))
            for route in self.routes
            if not route.exact
            for method, _key in route.declared_keys()
        ]
        self._methods = frozenset(t.method for t in self._templated) - {"*"}
        self._prefixes = {t.prefix[:n] for t in self._templated for n in range(len(t.prefix) + 1)}
        self._prefixes.add(())
        # Filled on first use: bounded by methods x prefixes x slash counts, whatever is asked.
        self._buckets: dict[tuple[str, tuple[str, ...], int], _Bucket] = {}
        self._exact: dict[tuple[str, str], Decision] = {}
        for route in self.routes:
            if route.exact:
                for method, _key in route.declared_keys():
                    # An earlier templated route may match this path first, as in the router.
                    self._exact.setdefault(
                        (method, route.path), self._ordered(method, route.path, declared)
                    )

    def _bucket(self, key: tuple[str, tuple[str, ...], int]) -> _Bucket:
        members = [t for t in self._templated if t.may_match(*key)]
        bucket = _Bucket(
            re.compile("|".join(t.alternative for t in members) or "(?!)", re.DOTALL),
            tuple(t.decision for t in members),
        )
        self._buckets[key] = bucket
        return bucket

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
        segments = tuple(path.split("/", _DEPTH + 1)[1 : _DEPTH + 1])
        while segments not in self._prefixes:
            segments = segments[:-1]
        key = (
            method if method in self._methods else "*",
            segments,
            min(path.count("/"), _MAX_SLASHES + 1),
        )
        bucket = self._buckets.get(key) or self._bucket(key)
        found = bucket.pattern.match(path)
        if found is None or found.lastindex is None:
            return NO_ROUTE
        return bucket.decisions[found.lastindex - 1]

    def undeclared(self) -> list[str]:
        """Routes of the app with no declared permission (the guard refuses them)."""
        return [
            key
            for route in self.routes
            for method, key in route.declared_keys()
            if declared_permission(method, route.path, self.declared) is None
        ]


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
