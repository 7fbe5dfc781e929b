"""One JSON error shape for every failure: `{"error": {"code": ..., "message": ...}}`.

Handlers turn the project's own errors, request validation, HTTP errors and anything unexpected
into that shape; an unexpected error is logged with its traceback and answered with a plain 500,
so no stack trace ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import (
    ArticleQAError,
    DecodeError,
    EmptyQueryError,
    IndexBusyError,
    IndexCorruptError,
    InputError,
    ModelError,
    NotFoundError,
)

log = logging.getLogger(__name__)

#: Codes for plain HTTP errors raised by the framework (unknown route, wrong method, ...).
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "not_ready",
}
_MAX_MESSAGE_CHARS = 500


class ApiError(Exception):
    """An error the API answers on purpose: an HTTP status, a stable code and a message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Sequence[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details) if details else None
        self.headers = headers


class BadRequest(ApiError):
    """The input cannot be used (empty query, bad upload)."""


class Unauthorized(ApiError):
    """No API key was given where one is needed."""

    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """The API key given is wrong."""

    status = 403
    code = "forbidden"


class NotFound(ApiError):
    """The article (or other resource) does not exist."""

    status = 404
    code = "not_found"


class PayloadTooLarge(ApiError):
    """The request body, or one uploaded file, is over its limit."""

    status = 413
    code = "too_large"


class UnsupportedMediaType(ApiError):
    """The request body has a content type this endpoint does not read."""

    status = 415
    code = "unsupported_media_type"


class NotReady(ApiError):
    """The model or index is still loading (or failed to load)."""

    status = 503
    code = "not_ready"


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] | None = None) -> dict:
    """The JSON body of every error response."""
    error: dict[str, Any] = {"code": code, "message": message[:_MAX_MESSAGE_CHARS]}
    if details:
        error["details"] = list(details)
    return {"error": error}


def error_response(status: int, code: str, message: str,
                   details: Sequence[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """An error as a JSON response."""
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _for_project_error(exc: ArticleQAError) -> tuple[int, str, dict[str, str] | None]:
    """Status, code and headers for an error raised by index or qa."""
    if isinstance(exc, NotFoundError):
        return 404, "not_found", None
    if isinstance(exc, EmptyQueryError):
        return 400, "empty_query", None
    if isinstance(exc, DecodeError):
        return 400, "undecodable", None
    if isinstance(exc, InputError):
        return 400, "bad_input", None
    if isinstance(exc, IndexBusyError):
        return 503, "index_busy", {"Retry-After": "5"}
    if isinstance(exc, ModelError):
        return 503, "model_unavailable", None
    if isinstance(exc, IndexCorruptError):
        return 503, "index_damaged", None
    return 500, "index_error", None


def _validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and what, never the offending input (it may be megabytes long or a secret)."""
    details = []
    for err in list(errors)[:20]:
        if not isinstance(err, dict):
            continue
        loc = [part if isinstance(part, int) else str(part)[:100] for part in err.get("loc", ())]
        details.append({"loc": loc, "msg": str(err.get("msg", "invalid"))[:200],
                        "type": str(err.get("type", ""))[:60]})
    return details


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error response the one JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(ArticleQAError)
    async def _project_error(_: Request, exc: ArticleQAError) -> JSONResponse:
        status, code, headers = _for_project_error(exc)
        if status >= 500:
            log.error("request failed: %s: %s", type(exc).__name__, exc)
        return error_response(status, code, str(exc) or type(exc).__name__, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc.errors())
        parts = [f"{'.'.join(str(p) for p in d['loc']) or 'request'}: {d['msg']}" for d in details[:5]]
        message = "invalid request: " + ("; ".join(parts) if parts else "the body does not match")
        return error_response(422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal error; the server log has the details")
