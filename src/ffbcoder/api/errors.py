"""Errors as answers: JSON on the API, a Danish page (or a line for HTMX) on the web pages.

Storage and suggester errors map to 404, 409, 413 and 422 with their message; a missing login
sends the browser to the login page and an API client a 401 with ``WWW-Authenticate``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from ffbcoder.catalogue.model import UnknownCodeError
from ffbcoder.storage.errors import ConflictError, InvalidInputError, NotFoundError
from ffbcoder.suggest.suggester import NoteTooLongError

log = logging.getLogger(__name__)

STATUS_OF: dict[type[Exception], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    NoteTooLongError: 413,
    InvalidInputError: 422,
    UnknownCodeError: 422,
}
TITLES = {
    400: "Ugyldig forespørgsel",
    401: "Log ind",
    403: "Ingen adgang",
    404: "Findes ikke",
    405: "Ikke tilladt",
    409: "Kan ikke gennemføres",
    413: "For stor",
    422: "Ugyldige data",
    503: "Tjenesten er ikke klar",
}


def _status(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    return next((status for kind, status in STATUS_OF.items() if isinstance(exc, kind)), 500)


def _detail(exc: Exception) -> str:
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, UnknownCodeError):  # a KeyError: str() would quote it
        return str(exc)
    return str(exc.args[0]) if exc.args else str(exc)


def api_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    status = _status(exc)
    if status == 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": 'Bearer realm="ffbcoder"'} if status == 401 else None
    detail = _detail(exc) if status != 500 else "internal server error"
    body: dict[str, object] = {"status_code": status, "detail": detail}
    extra = getattr(exc, "extra", None)
    if extra:
        body["extra"] = extra
    return Response(body, status_code=status, headers=headers, media_type=MediaType.JSON)


def page_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status = _status(exc)
    if status == 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    htmx = request.headers.get("hx-request") == "true"
    if isinstance(exc, NotAuthorizedException):
        target = "/login?next=" + quote(request.url.path)
        if htmx:
            return Response("", status_code=401, headers={"HX-Redirect": target})
        return Redirect(target)
    detail = _detail(exc) if status != 500 else "Der skete en uventet fejl. Prøv igen."
    if htmx:  # review.js shows this line in the message bar
        return Response(f"{TITLES.get(status, 'Fejl')}: {detail}", status_code=status, media_type=MediaType.TEXT)
    return Template(
        "error.html",
        context={"title": TITLES.get(status, "Fejl"), "detail": detail, "status": status},
        status_code=status,
    )


def handlers(handler: Any) -> ExceptionHandlersMap:
    """The same handler for every error this service raises (HTTP errors and domain errors)."""
    return {HTTPException: handler, **dict.fromkeys(STATUS_OF, handler), Exception: handler}
