"""Who is calling: API tokens for machine clients, login sessions for the web page; roles.

``/api/...`` accepts only ``Authorization: Bearer <token>``: no cookie is honoured there, so
the JSON API needs no CSRF protection. The web pages use a session cookie (encrypted, signed,
HttpOnly, SameSite=Lax) and CSRF tokens on every form and HTMX request. A token works on the
pages too (the OpenAPI schema, for instance). Health, readiness, login and static files are
the only routes without authentication (``exclude_from_auth`` in their opt).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult

from ffbcoder.api.service import ReviewService
from ffbcoder.storage import users
from ffbcoder.storage.users import UserRecord

SESSION_USER = "uid"
API_PREFIX = "/api/"
# A request that passed authentication: ``request.user`` is the caller.
AuthRequest = Request[UserRecord, str, Any]


def _service(connection: ASGIConnection[Any, Any, Any, Any]) -> ReviewService:
    service: ReviewService = connection.app.state.service
    return service


def _user_for_token(service: ReviewService, token: str) -> UserRecord | None:
    with service.database.reading() as session:
        return users.user_for_token(session, token)


def _user_by_id(service: ReviewService, user_id: int) -> UserRecord | None:
    with service.database.reading() as session:
        user = users.get_user(session, user_id)
    return user if user is not None and user.active else None


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        service = _service(connection)
        header = connection.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("use 'Authorization: Bearer <token>'")
            # The database is reached from a worker thread so the event loop never waits on it.
            user = await anyio.to_thread.run_sync(_user_for_token, service, token.strip())
            if user is None:
                raise NotAuthorizedException("unknown or revoked API token")
            return AuthenticationResult(user, "token")
        if connection.url.path.startswith(API_PREFIX):
            raise NotAuthorizedException("the API needs 'Authorization: Bearer <token>'")
        user_id = connection.session.get(SESSION_USER)
        user = await anyio.to_thread.run_sync(_user_by_id, service, user_id) if isinstance(user_id, int) else None
        if user is None:
            raise NotAuthorizedException("log in first")
        return AuthenticationResult(user, "session")


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Guard: users, catalogue, exports and the audit log are the admin's."""
    user = connection.user
    if not isinstance(user, UserRecord) or not user.is_admin:
        raise PermissionDeniedException("this needs the admin role")
