"""Rule-based context of a segment: negation, uncertainty, refusal, past, and whose it is.

Case notes say what is *not* the case ("ingen tegn på vold"), what is only considered
("vi overvejer aflastning"), what was refused ("afslag på merudgifter"), what is history
("havde angst i 2019, men ...") and whose problem it is ("mor drikker" is not the child's).
Cue words are matched on spaCy ``blank("da")`` tokens, lowercased. A cue governs the rest
of its clause (segments are already clauses, see ``segment``); a contrast word ("men",
"dog") after the cue ends its scope, because "ingen tegn på vold, men mor drikker" negates
only the violence. The flags are features for the fusion model, which learns how far to
trust each; they are not hard filters, since "har ikke været i skole" negates a verb and
still describes absence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Multi-word cues are matched on the lowercased, single-spaced token string.
STRONG_NEGATION = (
    "ingen tegn på", "ikke tegn på", "ingen tegn til", "ingen indikation", "ingen indikationer", "ingen mistanke",
    "ikke mistanke", "ingen bekymring", "ingen bekymringer", "ikke bekymret", "ikke bekymrede", "ikke bekymrende",
    "ingen problemer", "ingen vanskeligheder", "ingen konflikter", "intet tyder", "intet der tyder",
    "intet, der tyder", "ikke noget der tyder", "ikke noget, der tyder", "uden tegn på", "afkræftet", "afkræftede",
    "afkræfter", "afkræftes", "udelukket", "udelukkes", "kan udelukke", "benægter", "afviser at", "afviser, at",
    "ikke observeret", "ikke set", "ses ikke", "ikke påvist", "ikke bekræftet", "ingen anmærkninger",
    "ikke relevant", "ikke aktuelt", "ingen grund til bekymring", "ikke grundlag", "ingen grundlag",
    "afskrevet", "afskriver", "uden at stille", "negativ for", "negative for",
)  # fmt: skip
NEGATORS = (
    "ikke", "ingen", "intet", "aldrig", "hverken", "uden", "ej",
)  # fmt: skip
HYPOTHETICAL = (
    "overvej", "hvis", "såfremt", "eventuel", "evt.", "muligvis", "måske", "på sigt", "skal vurderes",
    "vurderes om", "vurderes, om", "skal undersøges", "undersøges om", "anbefal", "foreslå", "forslag", "ansøg",
    "søgt om", "søger om", "søge om", "venteliste", "planlæg", "frygt", "risiko for", "ønsker", "kan komme",
    "kunne blive", "vil blive", "påtænk", "drøftet", "drøfte", "tilbud om", "tilbudt",
    # Questions asked are not answers given: "SB spurgte ind til selvmordstanker".
    "spurgte ind til", "spurgt ind til", "spørger ind til", "adspurgt", "spurgte, om", "spurgt, om", "spørger, om",
    "spurgte om", "spurgt om", "spørger om",
)  # fmt: skip
REFUSAL = (
    "afslag", "afvist", "afviste", "afviser", "takker nej", "takket nej", "sagt nej", "siger nej", "ønsker ikke",
    "vil ikke", "ville ikke", "har ikke ønsket", "afslået", "afslår", "ikke bevilget", "ikke imødekommet",
    "nej tak", "modsætter", "trukket samtykke",
)  # fmt: skip
PAST = (
    "tidligere", "som spæd", "som lille", "ikke længere", "stoffri", "ædru", "afsluttet", "afsluttede", "ophørt",
    "ophørte", "siden da", "dengang", "var engang", "i sin tid", "har været velfungerende", "gik fra",
    "da hun var", "da han var", "indtil", "er stoppet", "stoppede", "hjemgivet", "hjemgivelse", "overstået",
    "er væk", "forsvundet", "sidste skoleår",
)  # fmt: skip
# Normal findings: assessments often rule a concern out by describing the healthy state
# ("har gode venner", "følger fint med", "alderssvarende") rather than by negating it.
NORMAL = (
    "trives", "trivedes", "god trivsel", "fint", "fin kontakt", "alderssvarende", "har det godt", "har det fint",
    "gode venner", "flere venner", "mange venner", "følger med", "sikker", "velfungerende", "velplejet",
    "rent og ryddeligt", "ren og ryddelig", "ryddeligt", "passende", "tryg", "trygt", "glad", "normal",
    "som forventet", "upåfaldende", "god kontakt", "godt samarbejde", "fungerer godt", "stabilt", "stabil",
    "i orden", "der var mad", "ingen anmærkninger", "ser sund ud", "udvikler sig", "kan lide",
)  # fmt: skip
CONTRAST = (
    "men", "dog", "derimod", "imidlertid",
)  # fmt: skip
PARENT = (
    "mor", "moren", "moderen", "mors", "far", "faren", "faderen", "fars", "forældre", "forældrene", "forældrenes",
    "stedfar", "stedmor", "papfar", "papmor", "bonusfar", "bonusmor", "mødre", "fædre",
)  # fmt: skip
CHILD = (
    "barnet", "barnets", "børnene", "drengen", "drengens", "pigen", "pigens", "den unge", "datteren", "sønnen",
    "eleven", "barn", "dreng", "pige", "teenager", "spædbarnet", "babyen",
)  # fmt: skip
SIBLING = (
    "bror", "broren", "brors", "storebror", "lillebror", "søster", "søsteren", "storesøster", "lillesøster",
    "søskende", "halvbror", "halvsøster", "tvillingebror", "tvillingesøster",
)  # fmt: skip
OTHER_PERSON = (
    "ven", "vennen", "veninde", "veninden", "kammerat", "kammeraten", "kammerater", "kæreste", "kæresten", "nabo",
    "naboen", "onkel", "faster", "moster", "morbror", "farbror", "fætter", "kusine", "mormor", "morfar", "farmor",
    "farfar", "bedstemor", "bedstefar", "klassekammerat",
)  # fmt: skip
REPORTING = (
    "fortæller", "fortalte", "oplyser", "oplyste", "siger", "sagde", "beretter", "berettede", "forklarer",
    "forklarede", "mener", "mente", "vurderer", "vurderede", "udtaler", "udtalte", "nævner", "nævnte", "beskriver",
    "beskrev", "giver udtryk for", "gav udtryk for", "tilkendegiver", "bekræfter", "bekræftede", "oplever",
    "oplevede", "understreger", "ringer og fortæller", "skriver", "skrev", "har oplyst",
)  # fmt: skip
# Every cue phrase, for readers of the same vocabulary (the assertion gate).
CUE_PHRASES = (
    STRONG_NEGATION + NEGATORS + HYPOTHETICAL + REFUSAL + PAST + NORMAL + CONTRAST + PARENT + CHILD + SIBLING
    + OTHER_PERSON + REPORTING
)  # fmt: skip
_REPORT_CLAUSE = re.compile(
    r"(?:" + "|".join(re.escape(r) for r in sorted(REPORTING, key=len, reverse=True)) + r")\s*,?\s+(?:at|om)\s"
)
_PAST_PATTERN = re.compile(
    r"\bsom \d+-årig\b|\bfrem til\b|"
    r"\b(?:i|fra|i år) (?:19|20)\d\d\b|\bfor \w+ år siden\b|\bfor \d+ år siden\b|\b(?:19|20)\d\d ?[-–] ?(?:19|20)\d\d\b"
)

FLAG_NAMES = (
    "negation_strong", "negation", "normal", "hypothetical", "refusal", "past", "person_parent", "person_child",
    "person_sibling", "person_other", "subject_parent", "subject_child", "subject_sibling", "subject_other",
)  # fmt: skip


@dataclass(frozen=True)
class SegmentContext:
    negation_strong: bool = False
    negation: bool = False
    normal: bool = False
    hypothetical: bool = False
    refusal: bool = False
    past: bool = False
    person_parent: bool = False
    person_child: bool = False
    person_sibling: bool = False
    person_other: bool = False
    # The first person named after any reporting frame ("mor fortæller, at ...") is taken as
    # the one the clause is about; at most one of these is set.
    subject_parent: bool = False
    subject_child: bool = False
    subject_sibling: bool = False
    subject_other: bool = False
    # ``normal``, ``hypothetical`` and ``refusal`` with the contrast rule applied ("glad i
    # skolen, men har ondt i maven" is not a normal finding). Not features: the suggester holds
    # back a tilstand whose every supporting segment is a normal finding, and an indsats whose
    # every supporting segment is only considered or declined (see ``Suggester``).
    normal_finding: bool = False
    considered: bool = False
    declined: bool = False

    def vector(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in FLAG_NAMES)


_PREFIX_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}
_WORD_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _pattern(cues: Sequence[str], whole_word: bool) -> re.Pattern[str]:
    cache = _WORD_PATTERNS if whole_word else _PREFIX_PATTERNS
    key = tuple(cues)
    if key not in cache:
        alternation = "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))
        cache[key] = re.compile(rf"(?<!\w)(?:{alternation})" + (r"(?!\w)" if whole_word else ""))
    return cache[key]


def _has(haystack: str, cues: Sequence[str]) -> bool:
    """Match of any cue at a word start (cues may be stems such as 'overvej')."""
    return _pattern(cues, whole_word=False).search(haystack) is not None


def _words(haystack: str, words: Sequence[str]) -> bool:
    """Whole-word match of any of ``words``."""
    return _pattern(words, whole_word=True).search(haystack) is not None


def _join(tokens: Sequence[str]) -> str:
    """Tokens as one string that cues match: single spaces, none before a comma, so that a
    cue written "intet, der tyder" meets the tokens "intet" "," "der" "tyder"."""
    return " ".join(tokens).replace(" ,", ",")


def _scoped(tokens: list[str], cue_found: bool, cues: Sequence[str]) -> bool:
    """A cue counts unless every occurrence sits after the clause's last contrast word."""
    if not cue_found:
        return False
    contrast = max((i for i, t in enumerate(tokens) if t in CONTRAST), default=-1)
    if contrast < 0:
        return True
    tail = _join(tokens[contrast + 1 :])
    head = _join(tokens[: contrast + 1])
    # The contrast clause ("..., men mor drikker") is the part a concept will usually match.
    return _has(tail, cues) or not _has(head, cues)


class ContextDetector:
    """Segment text -> :class:`SegmentContext`, using spaCy's Danish tokenizer (pass the
    segmenter's to share one pipeline)."""

    def __init__(self, tokenizer: Callable[[str], Iterable[Any]] | None = None) -> None:
        if tokenizer is None:
            import spacy

            tokenizer = spacy.blank("da").tokenizer
        self._tokenizer = tokenizer

    @staticmethod
    def _subject(joined: str) -> str | None:
        """Who the clause is about: the first person word after the last reporting frame."""
        frames = list(_REPORT_CLAUSE.finditer(joined))
        tail = joined[frames[-1].end() :] if frames else joined
        best: tuple[int, str] | None = None
        for role, words in (("parent", PARENT), ("child", CHILD), ("sibling", SIBLING), ("other", OTHER_PERSON)):
            match = _pattern(words, whole_word=True).search(tail)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), role)
        return best[1] if best else None

    def detect(self, text: str) -> SegmentContext:
        tokens = [t.text.lower() for t in self._tokenizer(text) if not t.is_space]
        joined = _join(tokens)
        subject = self._subject(joined)
        strong = _scoped(tokens, _has(joined, STRONG_NEGATION), STRONG_NEGATION)
        negation = _scoped(tokens, _words(joined, NEGATORS), NEGATORS)
        normal = _has(joined, NORMAL)
        hypothetical, refusal = _has(joined, HYPOTHETICAL), _has(joined, REFUSAL)
        return SegmentContext(
            negation_strong=strong,
            negation=negation or strong,
            normal=normal,
            normal_finding=_scoped(tokens, normal, NORMAL),
            considered=_scoped(tokens, hypothetical, HYPOTHETICAL),
            declined=_scoped(tokens, refusal, REFUSAL),
            hypothetical=hypothetical,
            refusal=refusal,
            past=_has(joined, PAST) or bool(_PAST_PATTERN.search(joined)),
            person_parent=_words(joined, PARENT),
            person_child=_words(joined, CHILD),
            person_sibling=_words(joined, SIBLING),
            person_other=_words(joined, OTHER_PERSON),
            subject_parent=subject == "parent",
            subject_child=subject == "child",
            subject_sibling=subject == "sibling",
            subject_other=subject == "other",
        )

    def detect_many(self, texts: Sequence[str]) -> list[SegmentContext]:
        return [self.detect(t) for t in texts]
