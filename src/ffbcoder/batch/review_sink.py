"""The review-database sink: back-coded notes stored as notes awaiting review.

Each chunk is stored in one transaction, every note with the note id from the input as its
note reference, submitted as the given user. A chunk that comes again after a crash finds
its notes stored already (same note reference) and skips them, so the database holds every
input note once. The texts are the masked ones the suggestions were computed on.
"""

from __future__ import annotations

from ffbcoder.batch.output import ChunkOutput
from ffbcoder.storage.audit import Actor
from ffbcoder.storage.database import Database
from ffbcoder.storage.errors import ConflictError, NotFoundError
from ffbcoder.storage.notes import add_note
from ffbcoder.storage.users import list_users


class ReviewDatabaseSink:
    def __init__(self, database_url: str, username: str) -> None:
        self.database = Database(database_url)
        self.database.upgrade()
        with self.database.reading() as session:
            users = {u.username: u for u in list_users(session)}
        if username not in users:
            raise NotFoundError(f"no user {username!r} in the review database (add one with 'ffbcoder users add')")
        self.actor = Actor(users[username].id, username)
        self.stored = 0
        self.skipped = 0

    def write_chunk(self, chunk: ChunkOutput) -> None:
        if len(chunk.masked) != len(chunk.records):
            raise ValueError(f"chunk {chunk.index}: the masked note texts are missing")
        with self.database.transaction() as session:
            for record, masked in zip(chunk.records, chunk.masked, strict=True):
                try:
                    add_note(session, self.actor, masked, record.result(), note_ref=record.id)
                except ConflictError:
                    self.skipped += 1  # stored by an earlier attempt at this chunk
                else:
                    self.stored += 1

    def finish(self, n_chunks: int) -> None:
        """Nothing to publish: every chunk was committed when it was written."""
