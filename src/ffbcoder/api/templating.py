"""Jinja setup for the review pages: Danish number and time formats."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
MONTHS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def local_today() -> date:
    """Today's date in Denmark: the users' day, whatever zone the server runs in."""
    return datetime.now(LOCAL_TIME).date()


def dk_time(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LOCAL_TIME)
    return f"{local.day}. {MONTHS[local.month - 1]} {local.year} {local:%H:%M}"


def dk_number(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _configure(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["dk_time"] = dk_time
    engine.engine.filters["dk_number"] = dk_number


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_configure)
