"""Review statistics from the decisions: accepted, rejected, added by hand, and swaps."""

from __future__ import annotations

from ffbcoder.catalogue.model import Catalogue
from ffbcoder.storage import notes
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.review_stats import review_statistics
from ffbcoder.text.mask import mask_identifiers
from tests.storage.test_notes import RAW, actor, catalogue, result_for

__all__ = ["actor", "catalogue"]


def _note(database: Database, actor: Actor, catalogue: Catalogue) -> int:
    masked = mask_identifiers(RAW)
    with database.transaction() as session:
        return notes.add_note(session, actor, masked, result_for(masked.text, catalogue)).id


def test_counts_follow_the_decisions(database: Database, actor: Actor, catalogue: Catalogue) -> None:
    first, second = _note(database, actor, catalogue), _note(database, actor, catalogue)
    with database.transaction() as session:
        # Note 1: school absence right, the misuse code swapped for another parent concern.
        notes.record_decision(session, actor, first, "t-skolefravaer", "accept", catalogue)
        notes.record_decision(session, actor, first, "t-foraelder-misbrug", "reject", catalogue)
        notes.record_decision(session, actor, first, "t-foraelder-psykisk-sygdom", "add", catalogue)
        # Note 2: both accepted; a hand-added code taken back again does not count.
        notes.record_decision(session, actor, second, "t-skolefravaer", "accept", catalogue)
        notes.record_decision(session, actor, second, "t-foraelder-misbrug", "accept", catalogue)
        notes.record_decision(session, actor, second, "t-angst", "add", catalogue)
        notes.record_decision(session, actor, second, "t-angst", "reject", catalogue)
    with database.reading() as session:
        stats = review_statistics(session)
    assert stats["codes"] == {
        "t-foraelder-misbrug": {"accepted": 1, "rejected": 1, "added": 0},
        "t-foraelder-psykisk-sygdom": {"accepted": 0, "rejected": 0, "added": 1},
        "t-skolefravaer": {"accepted": 2, "rejected": 0, "added": 0},
    }
    assert stats["swaps"] == [{"rejected": "t-foraelder-misbrug", "added": "t-foraelder-psykisk-sygdom", "count": 1}]


def test_an_empty_database_has_no_statistics(database: Database) -> None:
    with database.reading() as session:
        assert review_statistics(session) == {"codes": {}, "swaps": []}
