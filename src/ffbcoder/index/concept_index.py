"""A FAISS index over every concept text, with a map back to concept ids.

Each concept contributes its label, "label: description", each synonym and each example
phrasing. The index is saved with the catalogue's content hash and the model's
fingerprint; :func:`load_or_build` rebuilds it whenever either differs, so an edited
catalogue or a new model can never be matched against stale vectors.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss

from ffbcoder.catalogue.model import Catalogue, Concept
from ffbcoder.embedding.encoder import Encoder
from ffbcoder.index.lexical import LexicalIndex

log = logging.getLogger(__name__)

INDEX_FORMAT = 2
_META = "meta.json"
_TEXTS = "texts.json"
_VECTORS = "index.faiss"
_LEXICAL = "lexical.npz"


@dataclass(frozen=True)
class ConceptText:
    concept: int  # position of the concept in the catalogue
    field: str  # label | definition | synonym | example
    text: str


def concept_texts(concept: Concept, position: int) -> list[ConceptText]:
    """The texts that represent one concept in the index (deduplicated, order kept)."""
    items = [ConceptText(position, "label", concept.label)]
    if concept.description:
        items.append(ConceptText(position, "definition", f"{concept.label}: {concept.description}"))
    items += [ConceptText(position, "synonym", s) for s in concept.synonyms]
    items += [ConceptText(position, "example", e) for e in concept.examples]
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item.text.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


@dataclass(frozen=True)
class IndexMeta:
    format: int
    catalogue_id: str
    catalogue_version: str
    catalogue_hash: str
    model_fingerprint: str
    n_texts: int


class ConceptIndex:
    """Concept-text vectors in a FAISS inner-product index (cosine on normalised vectors),
    plus a TF-IDF character n-gram model of the same texts (``lexical``)."""

    def __init__(self, meta: IndexMeta, texts: list[ConceptText], index: faiss.Index, lexical: LexicalIndex) -> None:
        self.meta = meta
        self.texts = texts
        self.faiss_index = index
        self.lexical = lexical
        self.text_concept = np.array([t.concept for t in texts], dtype=np.int64)
        self.n_concepts = int(self.text_concept.max()) + 1 if texts else 0

    @property
    def vectors(self) -> np.ndarray:
        """All text vectors, (n_texts, dim) float32 (reconstructed from the flat index)."""
        return np.asarray(self.faiss_index.reconstruct_n(0, self.meta.n_texts))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (similarities, text positions) for each query row."""
        k = min(k, self.meta.n_texts)
        sims, idx = self.faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return sims, idx

    def is_current(self, catalogue: Catalogue, encoder: Encoder) -> bool:
        return (
            self.meta.format == INDEX_FORMAT
            and self.meta.catalogue_hash == catalogue.content_hash()
            and self.meta.model_fingerprint == encoder.fingerprint
        )

    def save(self, directory: Path) -> None:
        """Write atomically: a reader never sees a half-written index."""
        import faiss

        directory.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".index-", dir=directory.parent))
        try:
            faiss.write_index(self.faiss_index, str(work / _VECTORS))
            self.lexical.save(work / _LEXICAL)
            (work / _TEXTS).write_text(
                json.dumps([[t.concept, t.field, t.text] for t in self.texts], ensure_ascii=False),
                encoding="utf-8",
            )
            (work / _META).write_text(json.dumps(self.meta.__dict__, indent=2), encoding="utf-8")
            if directory.exists():
                shutil.rmtree(directory)
            os.replace(work, directory)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> ConceptIndex:
        import faiss

        meta = IndexMeta(**json.loads((directory / _META).read_text(encoding="utf-8")))
        texts = [ConceptText(c, f, t) for c, f, t in json.loads((directory / _TEXTS).read_text(encoding="utf-8"))]
        return cls(meta, texts, faiss.read_index(str(directory / _VECTORS)), LexicalIndex.load(directory / _LEXICAL))


def build_index(catalogue: Catalogue, encoder: Encoder) -> ConceptIndex:
    """Embed every concept text (e5 ``passage:`` side) into a flat inner-product index."""
    import faiss

    texts = [t for pos, concept in enumerate(catalogue) for t in concept_texts(concept, pos)]
    vectors = encoder.encode_passages([t.text for t in texts])
    index = faiss.IndexFlatIP(encoder.dimension)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    meta = IndexMeta(
        format=INDEX_FORMAT,
        catalogue_id=catalogue.info.id,
        catalogue_version=catalogue.info.version,
        catalogue_hash=catalogue.content_hash(),
        model_fingerprint=encoder.fingerprint,
        n_texts=len(texts),
    )
    return ConceptIndex(meta, texts, index, LexicalIndex.fit([t.text for t in texts]))


def index_path(index_root: Path, catalogue: Catalogue) -> Path:
    return index_root / catalogue.info.id


def load_or_build(catalogue: Catalogue, encoder: Encoder, index_root: Path, rebuild: bool = False) -> ConceptIndex:
    """The saved index for this catalogue, rebuilt if missing, stale or ``rebuild`` is set."""
    directory = index_path(index_root, catalogue)
    if not rebuild and (directory / _META).is_file():
        try:
            index = ConceptIndex.load(directory)
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            log.warning("index at %s unreadable (%s); rebuilding", directory, exc)
        else:
            if index.is_current(catalogue, encoder):
                return index
            log.info("index at %s is stale (catalogue or model changed); rebuilding", directory)
    index = build_index(catalogue, encoder)
    index.save(directory)
    return index
