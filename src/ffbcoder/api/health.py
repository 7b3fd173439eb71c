"""Liveness and readiness: the only routes a caller reaches without logging in."""

from __future__ import annotations

from litestar import Response, get

from ffbcoder.api.schemas import Health
from ffbcoder.api.service import Service

OPEN = {"exclude_from_auth": True}


@get("/health", sync_to_thread=False, opt=OPEN, summary="The process answers")
def health() -> Health:
    return Health("ok")


@get("/ready", sync_to_thread=True, opt=OPEN, summary="Database reachable and migrated, suggester loaded")
def ready(service: Service) -> Response[Health]:
    problems = service.problems()
    if problems:
        return Response(Health("not ready", problems), status_code=503)
    return Response(Health("ready"))
