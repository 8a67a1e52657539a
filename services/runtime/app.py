"""``create_service_app``: the one place a revflow service is assembled.

A service supplies a ``ServiceSpec`` (its name, versioned routers, lifespan hooks, readiness checks) and its
settings; the runtime adds, always in this order (outermost first):

1. edge telemetry: correlation id, SERVER span named by route template, latency histogram (outside routing);
   then CORS, when the spec lists browser origins (preflights are answered before routing and auth);
2. exception handling to RFC 9457 problems (validation, routing, auth, size, upstream, unexpected);
3. authentication (JWT access tokens against the issuer's JWKS) and the route's required scopes;
4. idempotency (``Idempotency-Key`` on POST/PATCH/DELETE routes, records in Redis; PUT is idempotent already);
5. deprecation headers (deprecated routes only);
6. a strict check of the JSON body against the handler's type (``strict_body``), then the handler.

It also serves ``/health``, ``/ready``, ``/metrics`` and ``/schema/openapi.json``, so no service can forget
any of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, Link, OpenAPIType, Schema, SecurityScheme
from litestar.openapi.spec import Parameter as OpenAPIParameter
from opentelemetry.instrumentation.redis import RedisInstrumentor

from contracts.problems import Problem
from services.runtime.auth.guards import scopes_of
from services.runtime.auth.middleware import SCOPES_OPT, BearerAuthMiddleware
from services.runtime.auth.verify import AccessTokenVerifier
from services.runtime.http import UpstreamError
from services.runtime.idempotency import IDEMPOTENCY_OPT, IdempotencyMiddleware
from services.runtime.metrics import render_latest
from services.runtime.openapi_constraints import document_constraints, struct_types
from services.runtime.problems import PROBLEM_MEDIA_TYPE, exception_handlers, problem_response
from services.runtime.redis import KeySpace, create_redis
from services.runtime.settings import RuntimeSettings
from services.runtime.strict_body import install_strict_body
from services.runtime.strict_query import QUERY_LIST_OPT, QUERY_OPT, QUERY_TEXT_OPT, StrictQueryMiddleware
from services.runtime.telemetry import EdgeMiddleware, configure_logging, create_tracer_provider
from services.runtime.versioning import DEPRECATION_OPT, DeprecationHeadersMiddleware

__all__ = ["LINKS_OPT", "PUBLIC_PATHS", "ReadinessCheck", "ServiceSpec", "create_service_app", "links_to"]

PUBLIC_PATHS = ("/health", "/ready", "/metrics", "/schema", "/.well-known")
"""Paths answered without a token (the auth middleware's ``DEFAULT_EXCLUDE`` patterns match exactly these)."""

LINKS_OPT = "openapi_links"
"""Handler ``opt`` key: OpenAPI links (``{name: Link}``) of the handler's success response (see ``links_to``)."""

# PUT is idempotent by its HTTP semantics (a full replacement): it needs no key, as the draft says.
_STATE_CHANGING = frozenset({"POST", "PATCH", "DELETE"})

ReadinessCheck = Callable[[Litestar], Awaitable[str | None]]
"""Returns ``None`` when the dependency is reachable, else a reason."""
Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


@dataclass(frozen=True, kw_only=True)
class ServiceSpec:
    """What a service is: everything that differs between services."""

    name: str
    """Service name: OpenAPI title, JWT audience, ``service.name`` in traces."""
    routers: Sequence[Router]
    """Versioned routers (``versioned_router``)."""
    description: str = ""
    version: str = "1.0.0"
    lifespans: Sequence[Lifespan] = ()
    """Context managers run at start-up after the runtime's own (Redis, verifier) are ready."""
    readiness: Sequence[ReadinessCheck] = ()
    """Checks of required upstreams for ``/ready``, besides Redis."""
    dependencies: dict[str, Any] = field(default_factory=dict)
    """App-level ``Provide`` dependencies."""
    cors: CORSConfig | None = None
    """Browser origins allowed to call the service (CORS allow-list); ``None``: no cross-origin access."""


def _problem_responses() -> dict[int, ResponseSpec]:
    described = {400: "Invalid request: `errors[]` names each field and why",
                 401: "Missing or invalid access token", 403: "Token lacks a required scope",
                 404: "No such resource", 409: "Conflict, or a request with this Idempotency-Key is in flight",
                 413: "Request body too large",
                 422: "Business rule violated, or Idempotency-Key reused with another request",
                 500: "Unexpected failure (no details exposed)", 502: "An upstream failed",
                 503: "An upstream is unavailable", 504: "An upstream timed out"}
    return {status: ResponseSpec(Problem, description=text, media_type=PROBLEM_MEDIA_TYPE, generate_examples=False)
            for status, text in described.items()}


def _prepare_handlers(routers: Sequence[Router], idempotency: IdempotencyMiddleware) -> None:
    """Per route: problem responses, scope checks in the auth middleware, and layers only where they apply.

    Idempotency is installed on state-changing routes and deprecation headers on deprecated ones, so a
    plain GET pays for neither.
    """
    defaults = _problem_responses()
    deprecation_headers = DeprecationHeadersMiddleware()
    strict_query = StrictQueryMiddleware()
    for router in routers:
        for route in router.routes:
            for handler in getattr(route, "route_handlers", ()):
                if not isinstance(handler, HTTPRouteHandler):
                    continue
                handler.responses = {**defaults, **(handler.responses or {})}
                _hoist_scope_guards(handler)
                layers = [*(handler.middleware or ()), strict_query]
                if handler.http_methods & _STATE_CHANGING and handler.opt.get(IDEMPOTENCY_OPT) != "off":
                    layers.append(idempotency)
                if DEPRECATION_OPT in handler.opt:
                    layers.append(deprecation_headers)
                handler.middleware = layers


def _hoist_scope_guards(handler: HTTPRouteHandler) -> None:
    needed: frozenset[str] = frozenset()
    others = []
    for guard in handler.guards or ():
        scopes = scopes_of(guard)
        if scopes is None:
            others.append(guard)
        else:
            needed |= scopes
    if needed:
        handler.opt[SCOPES_OPT] = needed | handler.opt.get(SCOPES_OPT, frozenset())
        handler.guards = others


def _complete_from_openapi(app: Litestar) -> None:
    """Complete the OpenAPI document and the handlers from each other.

    Declares ``Idempotency-Key`` on state-changing operations and optional request bodies as optional (Litestar
    marks every body required), records each route's query parameters, attaches the links a handler declares
    (``LINKS_OPT``) to its success response, marks the bodies that refuse unknown fields
    (``forbid_unknown_fields``) as ``additionalProperties: false`` and adds the msgspec constraints Litestar
    leaves out (``openapi_constraints``), so the document says what the service does.
    """
    schema = app.openapi_schema
    bodies, answers, aliases = _documented_types(app)
    _forbid_unknown_fields(schema, bodies, aliases)
    document_constraints(schema, struct_types([*bodies, *answers]), aliases)
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            path_item = (schema.paths or {}).get(route.path_format)
            if path_item is None:
                continue
            operations = [getattr(path_item, m.lower(), None) for m in handler.http_methods]
            query = [p for op in operations if op for p in op.parameters or ()
                     if getattr(p, "param_in", None) == ParamType.QUERY]
            handler.opt[QUERY_OPT] = frozenset(p.name for p in query)
            handler.opt[QUERY_LIST_OPT] = frozenset(p.name for p in query if _allows_list(p.schema))
            handler.opt[QUERY_TEXT_OPT] = frozenset(p.name for p in query if _free_text(p.schema))
            for op in operations if LINKS_OPT in handler.opt else ():
                success = op and (op.responses or {}).get(str(handler.status_code))
                if success:
                    success.links = {**(success.links or {}), **handler.opt[LINKS_OPT]}
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None and data.is_optional:
                for op in operations:
                    if op is not None and op.request_body is not None:
                        op.request_body.required = False
            mode = handler.opt.get(IDEMPOTENCY_OPT, "optional")
            if mode == "off":
                continue
            for method in handler.http_methods & _STATE_CHANGING:
                operation = getattr(path_item, method.lower(), None)
                if operation is None:
                    continue
                operation.parameters = [*(operation.parameters or []), OpenAPIParameter(
                    name="Idempotency-Key", param_in=ParamType.HEADER, required=mode == "required",
                    description="Makes a retry safe: the first response under this key is replayed for 24 h.",
                    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255, pattern=r"^[\x20-\x7e]+$"))]


def _documented_types(app: Litestar) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The request body types and the response types of every handler, and the bodies' own component names."""
    bodies: list[Any] = []
    answers: list[Any] = []
    aliases: dict[str, Any] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            signature = handler.parsed_fn_signature
            if "data" in signature.parameters:
                data = signature.parameters["data"]
                bodies.append(data.annotation)
                if key := getattr(data.kwarg_definition, "schema_component_key", None):
                    aliases[key] = data.annotation
            returned = signature.return_type
            answers += [t.annotation for t in returned.inner_types] if returned.is_subclass_of(Response) \
                else [returned.annotation]
            answers += [spec.data_container for spec in (getattr(handler, "responses", None) or {}).values()]
    return bodies, answers, aliases


def _forbid_unknown_fields(schema: Any, body_types: list[Any], aliases: dict[str, Any]) -> None:
    forbidding = {info.cls for info in struct_types(body_types) if info.forbid_unknown_fields}
    strict = {cls.__name__ for cls in forbidding} | {key for key, cls in aliases.items() if cls in forbidding}
    for name, component in ((schema.components.schemas or {}) if schema.components else {}).items():
        if name in strict and isinstance(component, Schema) and component.additional_properties is None:
            component.additional_properties = False


def links_to(*operation_ids: str, **parameters: str) -> dict[str, dict[str, Link]]:
    """An ``opt`` entry declaring OpenAPI links from a handler's success response to other operations.

    Each link is named by its target's ``operationId`` and passes ``parameters`` (name -> runtime expression,
    e.g. ``account_id="$response.body#/id"``). Clients and schemathesis' stateful tests follow them:
    ``opt={**links_to("getAccountV1", "updateAccountV1", account_id="$response.body#/id")}``.
    """
    return {LINKS_OPT: {target: Link(operation_id=target, parameters=dict(parameters)) for target in operation_ids}}


def _allows_list(schema: Any) -> bool:
    """Whether a parameter's schema admits an array (so the name may repeat in the query string)."""
    if not isinstance(schema, Schema):
        return False  # a component reference: our components are objects and enums, never arrays
    if schema.type == OpenAPIType.ARRAY or (isinstance(schema.type, Sequence) and OpenAPIType.ARRAY in schema.type):
        return True
    return any(_allows_list(s) for s in (*(schema.one_of or ()), *(schema.any_of or ())))


def _free_text(schema: Any) -> bool:
    """Whether a parameter's schema admits any string (no enum, pattern or format), so ``null`` is text to it."""
    if not isinstance(schema, Schema):
        return False  # a component reference: an enum or an object
    if schema.type == OpenAPIType.ARRAY:
        return _free_text(schema.items)
    types = schema.type if isinstance(schema.type, Sequence) and not isinstance(schema.type, str) else [schema.type]
    if OpenAPIType.STRING in types and not (schema.enum or schema.pattern or schema.format or schema.const):
        return True
    return any(_free_text(s) for s in (*(schema.one_of or ()), *(schema.any_of or ())))


@get("/health", include_in_schema=False, sync_to_thread=False, media_type=MediaType.JSON)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/ready", include_in_schema=False, media_type=MediaType.JSON)
async def ready(request: Request[Any, Any, State]) -> Response[Any]:
    """Readiness: Redis and every required upstream answer."""
    app = request.app
    failures: list[str] = []
    try:
        await app.state.redis.ping()
    except Exception as exc:
        failures.append(f"redis: {type(exc).__name__}")
    for check in app.state.readiness_checks:
        try:
            reason = await check(app)
        except Exception as exc:
            reason = f"{getattr(check, '__name__', 'check')}: {type(exc).__name__}"
        if reason:
            failures.append(reason)
    if failures:
        return problem_response(request, slug="upstream-unavailable", status=503,
                                detail="Not ready: " + "; ".join(failures))
    return Response({"status": "ready"})


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics() -> Response[bytes]:
    """Prometheus text exposition of this process's metrics."""
    return Response(render_latest(), media_type="text/plain; version=0.0.4; charset=utf-8")


def create_service_app(spec: ServiceSpec, settings: RuntimeSettings, *,
                       verifier: AccessTokenVerifier | None = None) -> Litestar:
    """Build a Litestar app for ``spec`` with every cross-cutting concern installed in the fixed order.

    Args:
        spec: What the service is.
        settings: How it is configured.
        verifier: Token verifier; by default one reading the JWKS of ``settings.issuer_url`` (tests pass
            one with a controlled clock or key set).
    """
    configure_logging(spec.name, settings.log_level)
    tracer_provider = create_tracer_provider(spec.name, settings.otlp_endpoint)
    keyspace = KeySpace(settings.key_prefix)
    idempotency = IdempotencyMiddleware(keyspace=keyspace, ttl_ms=settings.idempotency_ttl_seconds * 1000,
                                        lock_ms=settings.idempotency_lock_ms, max_body_bytes=settings.max_body_bytes,
                                        wait_ms=settings.idempotency_wait_ms)
    _prepare_handlers(spec.routers, idempotency)
    verifier = verifier or AccessTokenVerifier.from_issuer(
        settings.issuer_url, audience=spec.name, issuer=settings.token_issuer, leeway=settings.auth_leeway_seconds)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.keyspace = keyspace
        app.state.readiness_checks = list(spec.readiness)
        app.state.token_verifier = verifier
        app.state.redis = create_redis(settings.redis_url)
        # Per client, with this service's provider: one process may host several services (tests, benches).
        RedisInstrumentor.instrument_client(app.state.redis, tracer_provider=tracer_provider)
        async with AsyncExitStack() as stack:
            stack.callback(tracer_provider.shutdown)  # flushes the last spans to the exporter
            stack.push_async_callback(app.state.redis.aclose)
            for hook in spec.lifespans:
                await stack.enter_async_context(hook(app))
            yield

    app = Litestar(
        route_handlers=[health, ready, metrics, *spec.routers],
        lifespan=[lifespan],
        middleware=[BearerAuthMiddleware(verifier)],
        exception_handlers=exception_handlers(UpstreamError),
        dependencies=dict(spec.dependencies),
        cors_config=spec.cors,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title=spec.name, version=spec.version, description=spec.description or None, path="/schema",
            components=Components(security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                                         description="RFC 9068 access token from the revflow issuer")}),
        ),
        debug=False,
        state=State({"tracer_provider": tracer_provider}),
    )
    _complete_from_openapi(app)
    for route in app.routes:  # the registered handlers: Litestar copies the ones the routers hold
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler):
                install_strict_body(handler)
    # Telemetry must see every request, including ones routing rejects, so it wraps the whole handler.
    app.asgi_handler = EdgeMiddleware(app.asgi_handler, service_name=spec.name, tracer_provider=tracer_provider)
    return app
