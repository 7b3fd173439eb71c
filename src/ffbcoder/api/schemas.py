"""Request bodies of the JSON API and the field types the page forms share with them (the
responses are the storage records themselves).

Lengths are limited here so a bad request is refused with a 400 naming the field; the note
text itself is limited by the suggester (413) and the whole body by the app (413).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ffbcoder.catalogue.model import Concept

Ref = Annotated[str, Meta(max_length=200)]
Comment = Annotated[str, Meta(max_length=2000)]
Code = Annotated[str, Meta(min_length=1, max_length=100)]
Username = Annotated[str, Meta(max_length=80)]
Password = Annotated[str, Meta(max_length=1024)]
Role = Literal["caseworker", "admin"]


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    case_ref: Ref | None = None
    note_ref: Ref | None = None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    decision: Literal["accept", "reject", "add"]
    comment: Comment | None = None


class ConceptOut(msgspec.Struct, frozen=True):
    id: str
    kind: str
    label: str
    path: list[str]
    synonyms: list[str]

    @classmethod
    def of(cls, concept: Concept) -> ConceptOut:
        return cls(concept.id, concept.kind.value, concept.label, list(concept.path), list(concept.synonyms))


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: Role = "caseworker"


class UserChange(msgspec.Struct, forbid_unknown_fields=True):
    role: Role | None = None
    active: bool | None = None
    password: Password | None = None


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Annotated[str, Meta(min_length=1, max_length=100)]


class Health(msgspec.Struct, frozen=True):
    status: str
    problems: list[str] = []
