"""The JSON contract every consumer of suggestions shares, written in this module alone.

    {"catalogue": {"id", "version"}, "model": "...",
     "suggestions": [{"code", "kind", "label", "score", "evidence": [{"text", "start", "end"}]}]}

Only when a caller asks for it (``SuggestOptions.include_excluded``) a result also carries
``"excluded"``: concepts the note talks about that were held back because the mention is
negated, a normal finding, hypothetical, refused, past or about another person, each with
``"reasons"`` and the evidence; their ``score`` is what the concept would have scored
without that context.

Batch runs (``backcode``) write one :class:`NoteResult` per note: the same document with the
note's ``id`` in front.

``start``/``end`` are character offsets into the submitted note (Python ``str`` indices,
end exclusive), so ``note[start:end] == text``. ``score`` is in [0, 1]; see
``docs/scores.md`` for what it means.
"""

from __future__ import annotations

import msgspec


class Evidence(msgspec.Struct, frozen=True):
    text: str
    start: int
    end: int


class Suggestion(msgspec.Struct, frozen=True):
    code: str
    kind: str
    label: str
    score: float
    evidence: list[Evidence]


class Excluded(msgspec.Struct, frozen=True):
    code: str
    kind: str
    label: str
    score: float
    reasons: list[str]
    evidence: list[Evidence]


class CatalogueRef(msgspec.Struct, frozen=True):
    id: str
    version: str


class Result(msgspec.Struct, frozen=True, omit_defaults=True):
    catalogue: CatalogueRef
    model: str
    suggestions: list[Suggestion]
    excluded: list[Excluded] = msgspec.field(default_factory=list)

    def codes(self) -> list[str]:
        return [s.code for s in self.suggestions]


class NoteResult(msgspec.Struct, frozen=True):
    """One note of a batch run: its id and the :class:`Result` fields."""

    id: str
    catalogue: CatalogueRef
    model: str
    suggestions: list[Suggestion]

    @classmethod
    def of(cls, note_id: str, result: Result) -> NoteResult:
        return cls(note_id, result.catalogue, result.model, result.suggestions)

    def result(self) -> Result:
        return Result(self.catalogue, self.model, self.suggestions)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Result)


def result_to_json(result: Result) -> bytes:
    return _encoder.encode(result)


def result_to_dict(result: Result) -> dict[str, object]:
    out: dict[str, object] = msgspec.to_builtins(result)
    return out


def result_from_json(data: bytes | str) -> Result:
    """Parse and validate a result; raises ``msgspec.ValidationError`` on a bad document."""
    return _decoder.decode(data)


_note_decoder = msgspec.json.Decoder(NoteResult)


def note_result_to_json(record: NoteResult) -> bytes:
    return _encoder.encode(record)


def note_result_from_json(data: bytes | str) -> NoteResult:
    """Parse and validate one batch record; raises ``msgspec.ValidationError`` on a bad document."""
    return _note_decoder.decode(data)
