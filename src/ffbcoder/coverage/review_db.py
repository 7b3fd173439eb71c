"""Coverage of the review database: its stored notes, and what reviewers did with them.

The notes are read page by page (masked text, as stored) and analysed like a note file; the
review statistics (accepted, rejected, added, swapped codes) come from the decisions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

from ffbcoder.coverage.analyse import CorpusAnalyser, CoverageAnalysis, CoverageOptions, Progress, feed
from ffbcoder.coverage.usage import ReviewStats, review_stats_from_dict
from ffbcoder.storage.database import Database
from ffbcoder.storage.notes import note_texts
from ffbcoder.storage.review_stats import review_statistics
from ffbcoder.suggest.suggester import Suggester

SOURCE = "review database"


def stored_texts(database: Database, page: int = 500) -> Iterator[str]:
    """Every stored note's text in id order, one short read per page."""
    last = 0
    while True:
        with database.reading() as session:
            rows = note_texts(session, last, page)
        if not rows:
            return
        last = rows[-1][0]
        yield from (text for _, text in rows)


def stored_review_stats(database: Database) -> ReviewStats:
    with database.reading() as session:
        return review_stats_from_dict(review_statistics(session), SOURCE)


def analyse_database(
    suggester: Suggester,
    database: Database,
    options: CoverageOptions | None = None,
    progress: Progress | None = None,
    lock: AbstractContextManager[object] | None = None,
) -> CoverageAnalysis:
    """The coverage analysis of every stored note with the database's review statistics."""
    review = stored_review_stats(database)
    analyser = CorpusAnalyser(suggester, options)
    feed(analyser, stored_texts(database), progress, lock)
    return analyser.finish(SOURCE, "notes", review)
