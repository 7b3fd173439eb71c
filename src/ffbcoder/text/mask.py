"""Mask personal identifiers (CPR numbers) in free text before it is stored or scored.

A CPR number is DDMMYY-XXXX: a plausible date, then four digits, with a dash, a space or
nothing between. Each is replaced by a mask of the same length ("XXXXXX-XXXX"), so character
offsets computed on the masked text (the evidence of a suggestion) are offsets into the
original note too. The modulus-11 check is not applied: numbers issued since 2007 need not
pass it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK_CHAR = "X"
# Not part of a longer run of digits: account or phone numbers next to a CPR-like run stay.
_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})([-\u2010\u2011\u2013 ]?)(\d{4})(?!\d)")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class MaskedSpan:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class MaskedText:
    text: str
    spans: tuple[MaskedSpan, ...]


def _plausible_date(day: int, month: int, year: int) -> bool:
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return False
    # 29 February exists in 19YY or 20YY when either is a leap year; "00" is 2000 (a leap year).
    return not (month == 2 and day == 29 and year % 4 != 0)


def mask_identifiers(text: str) -> MaskedText:
    """The text with every CPR number masked (same length), and where they were."""
    spans: list[MaskedSpan] = []
    pieces: list[str] = []
    last = 0
    for match in _CPR.finditer(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        if not _plausible_date(day, month, year):
            continue
        pieces.append(text[last : match.start()])
        pieces.append(MASK_CHAR * 6 + match[4] + MASK_CHAR * 4)
        spans.append(MaskedSpan(match.start(), match.end(), "cpr"))
        last = match.end()
    if not spans:
        return MaskedText(text, ())
    pieces.append(text[last:])
    return MaskedText("".join(pieces), tuple(spans))


def mask(text: str) -> str:
    """Shorthand for the masked text alone."""
    return mask_identifiers(text).text


_MASKED = re.compile(r"\s?\(?" + MASK_CHAR * 6 + r"[-\u2010\u2011\u2013 ]?" + MASK_CHAR * 4 + r"\)?")


def without_masks(text: str) -> str:
    """The text with masked identifiers (and their brackets) left out, for scoring only: a
    run of X's means nothing to the embedding model and pulls a sentence away from its topic."""
    return _MASKED.sub("", text)
