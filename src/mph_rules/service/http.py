"""ASGI middleware: request size limit, one structured log line per request, no tracebacks.

Pure ASGI (no framework): the body is read here up to the limit before the application
sees it, so an oversized or endless body is refused with 413 whatever the route; an
unexpected error becomes a 500 with a request id, its traceback goes to the log only.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mph_rules.service.problems import error_body

logger = logging.getLogger("mph_rules.service")


async def send_json(send: Send, status: int, body: dict[str, Any], request_id: str) -> None:
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class Guard:
    """Size limit, request id, structured access log and the last line against tracebacks."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            body = await self._body(scope, receive)
            if body is None:
                status["code"] = 413
                await send_json(
                    send,
                    413,
                    error_body(
                        413,
                        "body_too_large",
                        f"the request body is larger than {self.limit} bytes",
                        hint="split the case, or ask the operator to raise max_body_bytes",
                    ),
                    request_id,
                )
                return
            await self.app(scope, _replay(body, receive), sending)
        except Exception:
            logger.exception("unhandled error", extra={"fields": {"request_id": request_id}})
            if status["code"] == 0:
                status["code"] = 500
                await send_json(
                    send,
                    500,
                    error_body(
                        500,
                        "internal_error",
                        "the service failed to answer; the log has the details",
                        request_id=request_id,
                    ),
                    request_id,
                )
        finally:
            state = scope.get("state", {})
            logger.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status["code"],
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "caller": state.get("caller"),
                    }
                },
            )

    async def _body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it exceeds the limit (read no further than that)."""
        for key, value in scope.get("headers", []):
            if key == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        for key in ("case_id", "version"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("mph_rules.service", "uvicorn", "uvicorn.error"):
        log = logging.getLogger(name)
        log.handlers = [handler]
        log.setLevel(level.upper())
        log.propagate = False
