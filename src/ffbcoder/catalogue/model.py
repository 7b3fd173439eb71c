"""The concept catalogue: typed concepts, hierarchy and a content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class ConceptKind(StrEnum):
    TILSTAND = "tilstand"
    INDSATS = "indsats"


class Subject(StrEnum):
    """Whose condition a tilstand describes; steers attribution (mother's drinking is not the child's)."""

    UNSPECIFIED = ""
    CHILD = "barn"
    PARENT = "forælder"
    FAMILY = "familie"
    RELATION = "relation"  # between child and adults: violence against the child, parentification


class UnknownCodeError(KeyError):
    """A code that the catalogue does not contain."""

    def __init__(self, code: str, catalogue_id: str) -> None:
        super().__init__(code)
        self.code = code
        self.catalogue_id = catalogue_id

    def __str__(self) -> str:
        return f"unknown code {self.code!r}: not in catalogue {self.catalogue_id!r}"


@dataclass(frozen=True)
class Concept:
    """One codable concept.

    ``path`` holds the labels of the groups or ancestor concepts above it (for the
    children's draft: domain and theme); ``parent`` is the id of a parent concept where
    the parent is itself codable (FHIR code systems), else None. ``about`` says whose
    condition a tilstand is (empty where the catalogue does not say).
    """

    id: str
    kind: ConceptKind
    label: str
    about: Subject = Subject.UNSPECIFIED
    path: tuple[str, ...] = ()
    parent: str | None = None
    description: str = ""
    guidance: str = ""
    synonyms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    legal_ref: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["about"] = self.about.value
        data["path"] = list(self.path)
        data["synonyms"] = list(self.synonyms)
        data["examples"] = list(self.examples)
        return data


@dataclass(frozen=True)
class CatalogueInfo:
    id: str
    version: str
    title: str = ""
    draft: bool = False
    language: str = "da"
    source: str = ""
    description: str = ""


@dataclass(frozen=True)
class Catalogue:
    """An ordered, validated set of concepts (construct through ``catalogue.validate``)."""

    info: CatalogueInfo
    concepts: tuple[Concept, ...]
    _by_id: dict[str, Concept] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.concepts})

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    def __contains__(self, code: object) -> bool:
        return code in self._by_id

    def get(self, code: str) -> Concept:
        try:
            return self._by_id[code]
        except KeyError:
            raise UnknownCodeError(code, self.info.id) from None

    def ids(self) -> list[str]:
        return [c.id for c in self.concepts]

    def of_kind(self, kind: ConceptKind) -> list[Concept]:
        return [c for c in self.concepts if c.kind == kind]

    def children(self, code: str | None) -> list[Concept]:
        return [c for c in self.concepts if c.parent == code]

    def check_codes(self, codes: Sequence[str]) -> None:
        """Raise :class:`UnknownCodeError` for the first code not in the catalogue."""
        for code in codes:
            self.get(code)

    def to_dict(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            **asdict(self.info),
            "concepts": [c.to_dict() for c in self.concepts],
        }

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: changes whenever any concept text changes."""
        canonical = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


FORMAT = "ffbcoder-catalogue/1"
