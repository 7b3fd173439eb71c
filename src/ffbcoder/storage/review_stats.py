"""What reviewers did with the suggestions, per code: the review half of concept usage.

Counted over every decision in the database (confirmed notes and notes still under review):

- ``accepted`` / ``rejected``: a suggested code a reviewer accepted or rejected;
- ``added``: a code a reviewer attached by hand (not among the note's suggestions) and kept;
- a swap: a note where a reviewer rejected a suggested code and added another by hand.

The result has the plain shape ``coverage.usage.review_stats_from_dict`` reads, so the
storage layer does not depend on the analysis.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ffbcoder.storage.models import DecisionRow, SuggestionRow


def review_statistics(session: Session) -> dict[str, object]:
    suggested = {
        (note_id, code) for note_id, code in session.execute(select(SuggestionRow.note_id, SuggestionRow.code))
    }
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    rejected: dict[int, list[str]] = defaultdict(list)
    added: dict[int, list[str]] = defaultdict(list)
    decisions = session.execute(
        select(DecisionRow.note_id, DecisionRow.code, DecisionRow.verdict).order_by(DecisionRow.id)
    )
    for note_id, code, verdict in decisions:
        if (note_id, code) in suggested:
            counts[code][verdict] += 1
            if verdict == "rejected":
                rejected[note_id].append(code)
        elif verdict == "accepted":  # a hand-added code a reviewer later took back is not counted
            counts[code]["added"] += 1
            added[note_id].append(code)
    swaps: Counter[tuple[str, str]] = Counter(
        (r, a) for note_id in rejected.keys() & added.keys() for r in rejected[note_id] for a in added[note_id]
    )
    return {
        "codes": {
            code: {key: c[key] for key in ("accepted", "rejected", "added")} for code, c in sorted(counts.items())
        },
        "swaps": [
            {"rejected": r, "added": a, "count": n}
            for (r, a), n in sorted(swaps.items(), key=lambda item: (-item[1], item[0]))
        ],
    }
