"""The Litestar application: JSON API, review pages, auth, sessions, CSRF, OpenAPI schema."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from ffbcoder import __version__
from ffbcoder.api import health, rest, web, web_admin
from ffbcoder.api.auth import AuthenticationMiddleware
from ffbcoder.api.service import ReviewService
from ffbcoder.api.templating import STATIC, template_config
from ffbcoder.suggest.suggester import Suggester


def create_app(service: ReviewService, load_suggester: Callable[[], Suggester] | None = None) -> Litestar:
    """The app around one ReviewService. Without a loaded suggester, ``load_suggester`` runs in a
    background thread at startup and ``/ready`` answers 503 until it is done."""
    config = service.config
    # One secret per process: sessions and CSRF tokens end when the server restarts.
    secret = secrets.token_bytes(32)
    sessions = CookieBackendConfig(
        secret=secret,
        key="ffbcoder_session",
        max_age=config.session_hours * 3600,
        httponly=True,
        secure=config.secure_cookies,
        samesite="lax",
    )

    def start_loading() -> None:
        if load_suggester is not None:
            service.slot.load_in_background(load_suggester)

    def provide_service() -> ReviewService:
        return service

    static = create_static_files_router(
        "/static", directories=[STATIC], opt={"exclude_from_auth": True}, include_in_schema=False
    )
    return Litestar(
        route_handlers=[health.health, health.ready, rest.api_router, web.router, web_admin.router, static],
        dependencies={"service": Provide(provide_service, sync_to_thread=False)},
        middleware=[sessions.middleware, DefineMiddleware(AuthenticationMiddleware)],
        csrf_config=CSRFConfig(
            secret=secret.hex(), cookie_name="ffbcoder_csrf", cookie_secure=config.secure_cookies, cookie_samesite="lax"
        ),
        template_config=template_config(),
        openapi_config=OpenAPIConfig(
            title="ffbcoder review service",
            version=__version__,
            description="Suggested FFB codes, confirmed by caseworkers. All routes but /health and /ready need a "
            "login session or an API token ('Authorization: Bearer ffb_...').",
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")},
            ),
            # The JSON document only: Litestar's schema viewers load their scripts from CDNs.
            render_plugins=[JsonRenderPlugin()],
        ),
        request_max_body_size=config.max_body_bytes,
        on_startup=[start_loading],
        state=State({"service": service}),
        logging_config=None,  # the CLI configures logging; note text is never logged
        debug=False,
    )
