"""Errors of the storage layer; the API maps them to 404, 409 and 422, the CLI prints them."""

from __future__ import annotations


class NotFoundError(LookupError):
    """No such note, user or token."""


class ConflictError(RuntimeError):
    """The change contradicts the stored state (a confirmed note, a taken name, an open decision)."""


class InvalidInputError(ValueError):
    """The change is malformed (unknown code, bad role, weak password)."""


class DatabaseError(RuntimeError):
    """The database cannot be used as configured (bad URL, unsupported backend)."""
