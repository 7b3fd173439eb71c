"""Segments that say nothing codable: greetings, dates, headings and process boilerplate.

A gap analysis that clusters every unsuggested segment finds "Møde afholdt", "Kvittering
sendt til underretter" and "Med venlig hilsen" first, because every note has them. These
rules drop them before clustering. Process phrases only count when the segment is short
(a header line, not "Samtale med Anton, der fortalte at han ikke sover"), and a short label
before a colon is judged by what follows it ("Hjemmebesøg: mor var påvirket" is content,
"Deltagere: mor, far og SB" is not). Segments that
recur verbatim (digits aside) across many notes are templates and are dropped by the
caller, which sees the whole corpus (see ``uncovered``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+")
_GREETING = re.compile(
    r"^(?:hej|kære|goddag|med venlig hilsen|venlig hilsen|venligst|mvh|vh|de bedste hilsner|bedste hilsner"
    r"|tak for (?:samtalen|mødet|i dag|henvendelsen|din henvendelse|jeres henvendelse))\b",
    re.IGNORECASE,
)
# Case-work process at the start of a segment: meetings, calls, letters, receipts, appeals.
_PROCESS = re.compile(
    r"^(?:møde(?:t)? (?:afholdt|aflyst|flyttet|med|m\.|hos|i)|netværksmøde|statusmøde|opfølgningsmøde|opstartsmøde"
    r"|børnesamtale (?:afholdt|med)|samtale (?:med|m\.|hos|afholdt)|hjemmebesøg|anmeldt hjemmebesøg"
    r"|uanmeldt hjemmebesøg|tlf\.?|telefonsamtale|telefonisk|opringning|mail (?:fra|til)|e-mail|sms|brev (?:fra|til)"
    r"|sendt|fremsendt|videresendt|kvittering|modtaget|modtog|underretning (?:modtaget|fra|vedr)|henvendelse fra"
    r"|journalnotat|mødereferat|referat|dagsorden|deltagere|til stede|afbud|fraværende:|næste (?:møde|samtale)"
    r"|nyt møde|ny samtale|opfølgning|aftale(?:r|t)?\b|sagen (?:lukkes|afsluttes|overdrages|videregives)"
    r"|sb (?:ringer|ringede|sender|sendte|følger|indkalder|kontakter|orienterer|orienterede|noterer|afventer)"
    r"|klagevejledning|du kan klage|i kan klage|afgørelsen (?:kan|gælder)|vedlagt|vedlægges|se (?:særskilt|vedlagt)"
    r"|statusudtalelse fra|udtalelse fra|børnefaglig undersøgelse|handleplan|afgørelse\b|vedr\.?|emne|dato|sagsnr)",
    re.IGNORECASE,
)
# Header lines that list people, dates or ids: trivial whatever follows the colon.
_LIST_HEADER = re.compile(
    r"^(?:deltagere|til stede|tilstede|dagsorden|afbud|fraværende|emne|dato|sagsnr\.?|journalnr\.?|kopi til|cc|vedr\.?)"
    r"\s*:",
    re.IGNORECASE,
)
# "Hjemmebesøg: mor var påvirket" - a short label before a colon, then the content.
_LABEL = re.compile(r"^([^:]{1,40}):\s+(\S.*)$", re.DOTALL)
_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?\b|\bkl\.?\s*\d{1,2}(?:[.:]\d{2})?\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;,\"'”»]\s*$")


@dataclass(frozen=True)
class TrivialFilter:
    """``reason(text)`` names why a segment is trivial, or returns None.

    min_words: segments with fewer alphabetic words are trivial ("Tlf. 12.3.", "Skolegang").
    process_max_words: a process phrase makes a segment trivial only up to this many words.
    heading_max_words: an unpunctuated segment of at most this many words is a heading.
    """

    min_words: int = 3
    process_max_words: int = 12
    heading_max_words: int = 6

    def reason(self, text: str) -> str | None:
        stripped = text.strip()
        if _LIST_HEADER.match(stripped):
            return "process"
        label = _LABEL.match(stripped)
        if label and len(label.group(1).split()) <= 4 and len(_WORD.findall(label.group(2))) >= self.min_words:
            return self.reason(label.group(2))  # judge the content, not its label
        words = _WORD.findall(_DATE.sub(" ", stripped))
        if len(words) < self.min_words:
            return "short"
        if _GREETING.match(stripped):
            return "greeting"
        if len(words) <= self.process_max_words and _PROCESS.match(stripped):
            return "process"
        if len(words) <= self.heading_max_words and not _SENTENCE_END.search(stripped):
            return "heading"
        return None


def template_key(text: str) -> str:
    """The form under which recurring template sentences are recognised: lowercase, digits as 0."""
    return re.sub(r"\d+", "0", " ".join(text.lower().split()))
