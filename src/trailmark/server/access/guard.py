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

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trailmark.errors import Forbidden, PayloadTooLarge, TrailmarkError, Unauthorized
from trailmark.server.access.audit_trail import AuditTrail
from trailmark.server.access.authenticate import Authenticator, Credentials
from trailmark.server.access.permissions import ROUTE_PERMISSIONS, Permission
from trailmark.server.access.policy import PUBLIC_VERDICT, Verdict, account_of, decide
from trailmark.server.access.resources import (
    INGEST_ROUTE,
    Locator,
    Resource,
    Target,
    ingest_envelope,
)
from trailmark.server.access.route_resources import locator_for
from trailmark.server.errors import MLFLOW_PATHS, response_for
from trailmark.server.identity import ANONYMOUS_IDENTITY, SCOPE_KEY, Identity, anonymous
from trailmark.server.limits import BodyLimit, limit_for, route_limits

if TYPE_CHECKING:
    from trailmark.store.store import Store

log = logging.getLogger("trailmark.server.access")

ROUTE_KEY = "trailmark.route"
"""Where the guard leaves the request's :class:`Decision` in the ASGI scope (for the layers
inside it, which need not match the route again)."""

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
        self._patterns = {route.path: route.pattern for route in reversed(self.routes)}
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

    def params(self, route: str, path: str) -> dict[str, str]:
        """The path parameters of ``path`` by the template of ``route`` (``"METHOD /path"``)."""
        pattern = self._patterns.get(route.partition(" ")[2])
        found = pattern.match(path) if pattern is not None else None
        return found.groupdict() if found is not None else {}

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
        self._limits: tuple[BodyLimit, ...] | None = None

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
        scope[ROUTE_KEY] = decision
        # By item, not attribute: State.__getattr__ costs a failed lookup first (~1 us).
        state = scope["app"].state
        accounts = state._state.get("accounts")
        if accounts is not None and accounts.on():
            await self._with_accounts(scope, receive, send, decision, path)
            return
        identify = state["identify"]
        try:
            if identify is anonymous:  # no connection object to build for a constant
                identity = ANONYMOUS_IDENTITY
            else:
                found = identify(HTTPConnection(scope))
                identity = Identity(found) if type(found) is str else found
            if decision.permission is None:
                raise _undeclared(decision)
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

    async def _with_accounts(
        self, scope: Scope, receive: Receive, send: Send, decision: Decision, path: str
    ) -> None:
        """Accounts are on: authenticate, locate the resource, decide, answer, audit."""
        state = scope["app"].state
        method: str = scope["method"]
        request = _Request(scope, decision, path, self.table)
        try:
            if decision.permission is None:
                raise _undeclared(decision)
            if not request.credentials and decision.permission is not Permission.PUBLIC:
                raise _no_credentials(decision)  # before reading any body
            if request.needs_body():
                if self._limits is None:
                    self._limits = route_limits(state["settings"])
                limit = limit_for(self._limits, method, path)
                body = await _read_bounded(receive, limit)
                if body is None:
                    return  # the client went away before sending its whole body
                request.body = body
                receive = _replay(body, receive)
            if decision.permission is Permission.PUBLIC and not request.credentials:
                identity, verdict = ANONYMOUS_IDENTITY, PUBLIC_VERDICT
            else:
                identity, verdict = await run_in_threadpool(request.admit, state)
        except TrailmarkError as exc:
            await _refusal(exc, path)(scope, receive, send)
            if exc.status != 413:
                await _after(state, request, None, exc.status, denied=True)
            return
        scope[SCOPE_KEY] = identity
        status = 500

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if verdict.create and 200 <= status < 300 and verdict.resource is not None:
                    # Before the answer: the creator's next request must find its role.
                    await run_in_threadpool(_grant_creator, state, identity, verdict.resource)
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            await _after(state, request, (identity, verdict), status)

    def _routes_changed(self) -> bool:
        """Routes added after start were never compiled: rebuild rather than let them through."""
        if sum(1 for _ in iter_route_contexts(self._routes_of.routes)) == len(self.table.routes):
            return False
        self.table = RouteTable(self._routes_of.routes, self.table.declared)
        return True


def _no_credentials(decision: Decision) -> Unauthorized:
    return Unauthorized(
        f"sign in to call {decision.route}: send an API key (Authorization: Bearer ...; "
        "trailmark login stores one) or sign in to the dashboard"
    )


def _undeclared(decision: Decision) -> Forbidden:
    return Forbidden(
        f"{decision.route} has no declared permission, so it is refused "
        "(see trailmark.server.access.permissions)"
    )


class _Request:
    """One request as the accounts checks see it (their synchronous part runs in a thread)."""

    __slots__ = (
        "body",
        "credentials",
        "decision",
        "identity",
        "path",
        "resource",
        "scope",
        "table",
    )

    def __init__(self, scope: Scope, decision: Decision, path: str, table: RouteTable) -> None:
        self.scope = scope
        self.decision = decision
        self.path = path
        self.table = table
        client = scope.get("client")
        self.credentials = Credentials(scope["headers"], client[0] if client else None)
        self.body: bytes | None = None
        self.identity: Identity = ANONYMOUS_IDENTITY
        self.resource: Resource | None = None

    def locator(self) -> Locator | None:
        return locator_for(self.decision.route)

    def needs_body(self) -> bool:
        if self.decision.permission not in _RESOURCE_PERMISSIONS:
            return False
        if self.decision.route == INGEST_ROUTE:
            return True
        locator = self.locator()
        return (
            locator is not None
            and locator.reads_body
            and self.scope["method"] != "GET"
            and "json" in self.content_type()  # never a file's bytes, whatever the table says
        )

    def content_type(self) -> str:
        for name, value in self.scope["headers"]:
            if name == b"content-type":
                return str(value.decode("latin-1")).lower()
        return "application/json"

    def admit(self, state: Any) -> tuple[Identity, Verdict]:
        """Who calls, and whether they may (raises why not). Synchronous: in a thread."""
        store: Store = state["store"]
        decision = self.decision
        assert decision.permission is not None
        identify = state["identify"]
        if identify is anonymous:
            authenticator: Authenticator = state["authenticator"]
            strict = decision.permission is not Permission.PUBLIC
            identity = authenticator.identify(self.credentials, strict=strict)
        else:
            found = identify(HTTPConnection(self.scope))
            identity = Identity(found) if type(found) is str else found
        self.identity = identity
        if not state["policy"](identity, decision.permission, decision.route):
            raise Forbidden(
                f"{identity.name} may not call {decision.route} "
                f"(it needs the {decision.permission} permission)"
            )
        if decision.permission in _RESOURCE_PERMISSIONS:
            self.resource = self.locate(store)
        return identity, decide(
            store,
            identity,
            decision.permission,
            decision.route,
            self.scope["method"],
            self.resource,
            mlflow=self.path.startswith(MLFLOW_PATHS),
        )

    def locate(self, store: Store) -> Resource | None:
        route = self.decision.route
        if route == INGEST_ROUTE:
            return ingest_envelope(self.body or b"", self.content_type())
        locator = self.locator()
        if locator is None:
            raise Forbidden(
                f"{route} has no declared resource locator, so it is refused while accounts "
                "are on (see trailmark.server.access.resources)"
            )
        body: Any = None
        if self.body and "json" in self.content_type():
            try:
                body = orjson.loads(self.body)
            except orjson.JSONDecodeError:
                body = None
        query = {
            name: value
            for name, value in reversed(
                parse_qsl(self.scope.get("query_string", b"").decode("latin-1"), True)
            )
        }
        target = Target(self.table.params(route, self.path), query, body, store)
        return locator(target)


_RESOURCE_PERMISSIONS = frozenset({Permission.READ, Permission.WRITE, Permission.ADMIN})

SELF_AUDITED = frozenset({"POST /api/v1/auth/sign-in", "GET /api/v1/auth/oidc/callback"})
"""Routes that write their own, richer audit events (sign-in and its failures)."""


def _refusal(exc: TrailmarkError, path: str) -> ASGIApp:
    response = response_for(exc, path)
    if exc.status == 401:
        challenge = 'Bearer realm="trailmark"'
        if path.startswith(MLFLOW_PATHS):
            challenge += ', Basic realm="trailmark"'
        response.headers["WWW-Authenticate"] = challenge
    return response


async def _after(
    state: Any,
    request: _Request,
    admitted: tuple[Identity, Verdict] | None,
    status: int,
    *,
    denied: bool = False,
) -> None:
    """After the answer: the audit event (never fails the request: see AuditTrail.after)."""
    trail: AuditTrail = state["audit_trail"]
    method: str = request.scope["method"]
    if request.decision.route in SELF_AUDITED or not trail.wants(method, status, denied):
        return
    identity = admitted[0] if admitted is not None else request.identity
    resource = admitted[1].resource if admitted is not None else request.resource
    route = request.decision.route
    ingest_ok = route == INGEST_ROUTE and not denied and status < 400
    if ingest_ok and not trail.ingest_due(identity.name, resource):
        return  # counted towards the next event: no thread, no database
    client = request.scope.get("client")
    await run_in_threadpool(
        trail.after,
        identity,
        method,
        request.decision.route or f"{method} {request.path[:200]}",
        resource,
        status,
        client[0] if client else None,
        denied=denied,
    )


def _grant_creator(state: Any, identity: Identity, resource: Resource) -> None:
    """Make the creator of a new resource its admin (logged, never raised: the resource is
    made, and a server admin can grant the role)."""
    try:
        store: Store = state["store"]
        account = (
            account_of(identity)
            if identity.user_id is not None
            else store.accounts.users.get(identity.name)
        )
        store.accounts.grants.grant_creator(resource.kind, resource.name, account)
    except Exception:
        log.exception("could not make %s the admin of %s", identity.name, resource)


async def _read_bounded(receive: Receive, limit: BodyLimit) -> bytes | None:
    """The whole body, or ``None`` if the client went away; :class:`PayloadTooLarge` past
    the route's limit (the guard reads it before the body size check further in)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        part = message.get("body", b"")
        size += len(part)
        if size > limit.max_bytes:
            raise PayloadTooLarge(limit.message())
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then what the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _route_path(scope: Scope) -> str:
    """The path the router matches: without the ``root_path`` a proxy mounted the app at."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :]
    return path
