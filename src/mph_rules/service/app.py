"""The decision service: the library's answers over HTTP, live cases in a database.

Routes (all under bearer-token authentication except ``/health``, ``/ready`` and the
OpenAPI document):

- stateless: ``POST /v1/packs/{pack}/evaluate``, ``/check/access``, ``/check/sharing``,
  ``/check/intake``; ``GET /v1/packs`` lists the packs a caller may use;
- live cases: ``POST /v1/cases/{case_id}/events`` (append at an expected version),
  ``GET /v1/cases/{case_id}`` (what is stored), ``GET /v1/cases/{case_id}/decision?as_of=``,
  ``GET /v1/due?until=``.

Every decision the service gives is appended to the chained decision log. Packs are loaded
once, from the operator's configuration; a pack name in a URL is only ever looked up among
them, never resolved to a file.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from mph_rules import __version__
from mph_rules.decision import SCHEMA_VERSION
from mph_rules.engine import Engine
from mph_rules.errors import EventError, MphRulesError, Problem
from mph_rules.events import Case, Event, Subject
from mph_rules.loading import load_pack
from mph_rules.published_schemas import openapi_components
from mph_rules.service.cases import LiveCases, NotFound, WrongPack
from mph_rules.service.chain import canonical, digest
from mph_rules.service.config import ServiceConfig, token_digest
from mph_rules.service.http import Guard
from mph_rules.service.problems import error_body, from_validation, problem_dict, relocated
from mph_rules.service.store import SCHEMA_VERSION as STORE_SCHEMA
from mph_rules.service.store import Conflict, Store

logger = logging.getLogger("mph_rules.service")

PACK_ID = r"^[a-z][a-z0-9_]{0,63}$"
CASE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        self.status, self.code, self.message, self.extra = status, code, message, extra
        super().__init__(message)


@dataclass(frozen=True)
class Caller:
    name: str
    packs: frozenset[str] | None  # None: every pack
    roles: frozenset[str] | None  # None: any actor role

    def may(self, pack_id: str) -> bool:
        return self.packs is None or pack_id in self.packs


BEARER = HTTPBearer(auto_error=False, description="a token from the service configuration")


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Caller:
    """The caller named by the bearer token (401 without one or with an unknown one)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ServiceError(401, "unauthenticated", "a bearer token is required")
    found: Caller | None = request.app.state.tokens.get(token_digest(credentials.credentials))
    if found is None:
        raise ServiceError(401, "unauthenticated", "unknown token")
    request.state.caller = found.name
    return found


Who = Annotated[Caller, Depends(caller)]
PackName = Annotated[str, Path(pattern=PACK_ID, description="a pack id the service serves")]
CaseId = Annotated[str, Path(pattern=CASE_ID, description="the case system's id of the case")]


# request bodies ----------------------------------------------------------------------------

_BODY = ConfigDict(extra="forbid")
AS_OF = "a date (2025-01-15) or a moment with UTC offset (2025-01-15T09:00:00+01:00)"


class EvaluateRequest(BaseModel):
    model_config = _BODY
    case: Case
    as_of: str = Field(description=AS_OF, examples=["2025-01-15"])


class AccessQuery(BaseModel):
    model_config = _BODY
    role: str
    category: str
    phase: str
    action: str = "read"
    purpose: str | None = None
    context: dict[str, Any] | None = Field(
        default=None, description="facts, consents and payload the rules' conditions read"
    )


class SharingQuery(BaseModel):
    model_config = _BODY
    from_role: str
    to_role: str
    categories: list[str] = Field(min_length=1)
    phase: str
    payload: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


class IntakeQuery(BaseModel):
    model_config = _BODY
    facts: dict[str, Any]


class AppendRequest(BaseModel):
    model_config = _BODY
    expected_version: int = Field(
        ge=0, description="the case's version the caller last saw; 0 creates the case"
    )
    event: Event
    pack: str | None = Field(
        default=None, pattern=PACK_ID, description="required when creating the case"
    )
    facts: dict[str, Any] | None = Field(default=None, description="only when creating")
    subjects: list[Subject] | None = Field(default=None, description="only when creating")


class ProblemDetail(BaseModel):
    code: str = Field(description="the problem's stable code, e.g. MPH-V001")
    help: str | None = Field(description="the page of the code: meaning, example, fix")
    path: str | None = Field(description="where in the request body")
    message: str
    hint: str | None
    line: int | None
    column: int | None


class ErrorDetail(BaseModel):
    type: str = Field(
        description="RFC 9457 type: the page of the problems' code when they share one, "
        "else about:blank"
    )
    status: int
    code: str
    message: str
    problems: list[ProblemDetail]


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _json(schema: str) -> dict[int | str, dict[str, Any]]:
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse, "description": text}
        for code, text in (
            (401, "no or an unknown bearer token"),
            (403, "the token does not cover this pack or role"),
            (413, "request body too large"),
            (422, "malformed request, case or event: located problems"),
        )
    }
    errors[200] = {
        "description": schema,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    return errors


def parse_moment(text: str, name: str) -> dt.date:
    """A date, or an aware moment (a ``datetime``, which is a ``date`` too)."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(
            [Problem(f"expected {AS_OF}, found {text!r}", path=name, code="MPH-A001")]
        ) from None
    if moment.utcoffset() is None:
        raise EventError(
            [Problem(f"{text!r} needs a UTC offset, e.g. +01:00", path=name, code="MPH-A002")]
        )
    return moment


# the application ---------------------------------------------------------------------------


def load_engines(config: ServiceConfig) -> dict[str, Engine]:
    engines: dict[str, Engine] = {}
    for item in config.packs:
        engine = Engine(load_pack(item.name), settings=item.settings)
        engines[engine.ref.id] = engine
    return engines


def create_app(
    config: ServiceConfig,
    *,
    store: Store | None = None,
    engines: Mapping[str, Engine] | None = None,
) -> FastAPI:
    """The ASGI application for ``config`` (the store is migrated to the newest schema)."""
    engines = dict(engines) if engines is not None else load_engines(config)
    if store is None:
        from mph_rules.service.logkey import log_key

        store = Store(config.database, log_key=log_key(config.log_key_file))
    store.migrate()
    if store.keyed:
        logger.info("decision log keyed (HMAC) from entry %d on", store.keyed_from())
    live = LiveCases(store, engines, config.max_cached_cases)
    tokens = {
        t.digest: Caller(
            t.name,
            None if "*" in t.packs else frozenset(t.packs),
            None if t.roles is None else frozenset(t.roles),
        )
        for t in config.tokens
    }

    app = FastAPI(
        title="mph-rules decision service",
        version=__version__,
        description=__doc__,
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.live = live
    app.state.engines = engines
    app.state.tokens = tokens

    def engine_for(who: Caller, pack: str) -> Engine:
        engine = engines.get(pack)
        if engine is None:
            raise ServiceError(404, "unknown_pack", f"this service serves no pack {pack!r}")
        if not who.may(pack):
            raise ServiceError(403, "forbidden_pack", f"the token does not cover pack {pack!r}")
        return engine

    def logged(who: Caller, kind: str, engine: Engine, request: Any, text: str) -> Response:
        """Log a stateless decision with its full input, and answer it."""
        inp = canonical({"request": request, "settings": engine.ref.settings})
        store.log(
            {
                "kind": kind,
                "caller": who.name,
                "pack_id": engine.ref.id,
                "pack_hash": engine.ref.content_hash,
                "engine_version": __version__,
                "case_id": None,
                "case_version": None,
                "as_of": request.get("as_of") if isinstance(request, dict) else None,
                "input_hash": digest(inp),
                "output_hash": digest(text),
                "input": inp,
            }
        )
        return Response(text, media_type="application/json")

    # health ------------------------------------------------------------------------------

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers (no authentication)."""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"])
    def ready() -> JSONResponse:
        """Readiness: the database answers and its schema is current (no authentication)."""
        try:
            version = store.schema_version()
        except Exception:
            logger.exception("readiness: database unavailable")
            version = -1
        ok = version == STORE_SCHEMA and bool(engines)
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "schema_version": version},
            status_code=200 if ok else 503,
        )

    # stateless ---------------------------------------------------------------------------

    @app.get("/v1/packs", tags=["packs"])
    def packs(who: Who) -> list[dict[str, Any]]:
        """The packs this caller may use, with their version and content hash."""
        return [
            {**e.ref.to_dict(), "title": e.pack.pack.title, "schema_version": SCHEMA_VERSION}
            for pack_id, e in sorted(engines.items())
            if who.may(pack_id)
        ]

    @app.post("/v1/packs/{pack}/evaluate", tags=["packs"], responses=_json("CaseDecision"))
    def evaluate(pack: PackName, body: EvaluateRequest, who: Who) -> Response:
        """The decision on a whole case as of a moment (nothing is stored but the log entry)."""
        engine = engine_for(who, pack)
        as_of = parse_moment(body.as_of, "as_of")
        try:
            text = engine.evaluate(body.case, as_of=as_of).to_json(indent=None)
        except EventError as exc:
            raise relocated(exc, "case") from None
        request = {"case": body.case.model_dump(mode="json"), "as_of": as_of.isoformat()}
        return logged(who, "evaluate", engine, request, text)

    @app.post("/v1/packs/{pack}/check/access", tags=["packs"], responses=_json("Verdict"))
    def check_access(pack: PackName, body: AccessQuery, who: Who) -> Response:
        """May a role read or write a category in a phase (for a purpose)?"""
        engine = engine_for(who, pack)
        verdict = engine.check_access(
            body.role,
            body.category,
            phase=body.phase,
            action=body.action,
            purpose=body.purpose,
            context=body.context,
        )
        return logged(who, "check_access", engine, body.model_dump(), verdict.to_json(indent=None))

    @app.post("/v1/packs/{pack}/check/sharing", tags=["packs"], responses=_json("Verdict"))
    def check_sharing(pack: PackName, body: SharingQuery, who: Who) -> Response:
        """May one role provide these categories to another in a phase?"""
        engine = engine_for(who, pack)
        verdict = engine.check_sharing(
            body.from_role,
            body.to_role,
            body.categories,
            phase=body.phase,
            payload=body.payload,
            context=body.context,
        )
        return logged(who, "check_sharing", engine, body.model_dump(), verdict.to_json(indent=None))

    @app.post("/v1/packs/{pack}/check/intake", tags=["packs"], responses=_json("IntakeVerdict"))
    def check_intake(pack: PackName, body: IntakeQuery, who: Who) -> Response:
        """Does a household with these facts meet the intake criteria?"""
        engine = engine_for(who, pack)
        verdict = engine.check_intake(body.facts)
        return logged(who, "check_intake", engine, body.model_dump(), verdict.to_json(indent=None))

    # live cases --------------------------------------------------------------------------

    @app.post(
        "/v1/cases/{case_id}/events",
        tags=["cases"],
        responses={
            **_json("AppendResult"),
            404: {"model": ErrorResponse, "description": "no such case for this caller"},
            409: {"model": ErrorResponse, "description": "not at the expected version"},
        },
    )
    def append(case_id: CaseId, body: AppendRequest, who: Who) -> Response:
        """Append one event at ``expected_version`` (0 creates the case, naming its pack).

        The event, its verdict and the decision-log entry are stored in one transaction
        before the answer is sent; a malformed event stores nothing (422)."""
        if body.expected_version == 0:
            if body.pack is None:
                raise ServiceError(
                    422, "invalid_request", "creating a case (expected_version 0) needs its pack"
                )
            engine_for(who, body.pack)
        elif body.facts is not None or body.subjects is not None:
            raise ServiceError(
                422,
                "invalid_request",
                "facts and subjects are given when the case is created (expected_version 0)",
            )
        actor = body.event.actor
        if who.roles is not None and (actor is None or actor.role not in who.roles):
            raise ServiceError(
                403, "forbidden_role", "the token may not post events for this actor role"
            )
        result = live.append(
            caller=who.name,
            packs=who.packs,
            case_id=case_id,
            pack_id=body.pack,
            expected=body.expected_version,
            event=body.event,
            facts=body.facts,
            subjects=body.subjects,
        )
        return Response(result.body, media_type="application/json")

    @app.get("/v1/cases/{case_id}", tags=["cases"])
    def stored(case_id: CaseId, who: Who) -> dict[str, Any]:
        """The case as stored: pack, version, facts, subjects and every event."""
        case = live.stored_case(case_id, who.packs)
        if case is None:
            raise NotFound(case_id)
        return case

    @app.get("/v1/cases/{case_id}/decision", tags=["cases"], responses=_json("CaseDecision"))
    def decision(
        case_id: CaseId,
        who: Who,
        as_of: Annotated[str | None, Query(description=AS_OF + "; default: now")] = None,
    ) -> Response:
        """The decision on a live case as of a moment (events after it are not considered)."""
        moment = (
            parse_moment(as_of, "as_of")
            if as_of is not None
            else dt.datetime.now(dt.UTC).replace(microsecond=0)
        )
        text = live.decision(caller=who.name, packs=who.packs, case_id=case_id, as_of=moment)
        return Response(text, media_type="application/json")

    @app.get("/v1/due", tags=["cases"])
    def due(
        who: Who,
        until: Annotated[str, Query(description=AS_OF)],
    ) -> dict[str, Any]:
        """Notifications, deadlines and deletions due by ``until`` across the caller's cases."""
        moment = parse_moment(until, "until")
        cases = live.due(caller=who.name, packs=who.packs, until=moment)
        return {"until": moment.isoformat(), "cases": cases}

    # errors ------------------------------------------------------------------------------

    @app.exception_handler(ServiceError)
    def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            error_body(exc.status, exc.code, exc.message, **exc.extra),
            status_code=exc.status,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [problem_dict(p) for p in from_validation(exc.errors())]
        return JSONResponse(
            error_body(422, "invalid_request", "the request is malformed", problems),
            status_code=422,
        )

    @app.exception_handler(MphRulesError)
    def _rejected(request: Request, exc: MphRulesError) -> JSONResponse:
        problems = [problem_dict(p, exc) for p in exc.problems]
        return JSONResponse(
            error_body(422, "invalid_case", "the case or event is rejected whole", problems),
            status_code=422,
        )

    @app.exception_handler(Conflict)
    def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(
            error_body(
                409,
                "version_conflict",
                f"the case is at version {exc.current}, not the version expected",
                current_version=exc.current,
            ),
            status_code=409,
        )

    @app.exception_handler(NotFound)
    def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(
            error_body(404, "unknown_case", "no such case among the packs of this token"),
            status_code=404,
        )

    @app.exception_handler(WrongPack)
    def _wrong_pack(request: Request, exc: WrongPack) -> JSONResponse:
        return JSONResponse(
            error_body(409, "wrong_pack", f"the case belongs to pack {exc.pack_id!r}"),
            status_code=409,
        )

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(exc.status_code, code, str(exc.detail)), status_code=exc.status_code
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(openapi_components())
            components["AppendResult"] = APPEND_RESULT
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _mount_playground(app, config)
    app.add_middleware(Guard, max_body_bytes=config.max_body_bytes)
    return app


APPEND_RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "case_id": {"type": "string"},
        "version": {"type": "integer", "description": "the case's version after this event"},
        "consequences": {"$ref": "#/components/schemas/Consequences"},
    },
    "required": ["case_id", "version", "consequences"],
    "additionalProperties": False,
}


def _mount_playground(app: FastAPI, config: ServiceConfig) -> None:
    """The playground page (``mph_rules.playground.create_app``), if installed and enabled."""
    if not config.playground:
        return
    try:
        module = importlib.import_module("mph_rules.playground")
    except ImportError:
        logger.info("playground not installed; /playground not served")
        return
    factory = getattr(module, "create_app", None)
    if callable(factory):
        app.mount("/playground", factory())
