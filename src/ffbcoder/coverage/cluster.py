"""Clustering uncovered segments on their embeddings into candidate gaps.

e5 sentence embeddings share a large common direction (any two Danish case-note clauses
have cosine ~0.8), so raw cosine mostly measures register, not topic. Centring the vectors
on the corpus mean before normalising removes that; on the annotation corpus it nearly
doubles the share of a theme's segments among each other's nearest neighbours.

Agglomerative clustering with average linkage and a cosine-distance cut finds small,
tight themes (a dozen clauses about sleep among thousands) that density-based HDBSCAN
merges into one blob or leaves as noise on these vectors. Its memory grows with the square
of the points, so at most ``max_points`` are clustered (a seeded sample); the rest join
the cluster whose members they are closest to on average, if that average distance is
within the same cut, which is exactly the average-linkage criterion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClusterConfig:
    """distance: average-linkage cut in cosine distance on centred vectors.
    min_size: smallest cluster reported (None: 4, or 0.1 % of the points in a large corpus).
    max_points: at most this many points are clustered directly (memory ~ 4 x max_points² bytes).
    """

    distance: float = 0.8
    min_size: int | None = None
    max_points: int = 8000
    seed: int = 13


def centred(embeddings: np.ndarray) -> np.ndarray:
    """Embeddings minus their mean, L2-normalised (float32)."""
    vectors = np.asarray(embeddings, dtype=np.float32)
    if not len(vectors):
        return vectors
    vectors = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def min_cluster_size(n_points: int, config: ClusterConfig) -> int:
    return config.min_size if config.min_size is not None else max(4, int(0.001 * n_points))


def cluster_vectors(vectors: np.ndarray, config: ClusterConfig | None = None) -> np.ndarray:
    """Cluster labels 0..k-1 ordered by cluster size (largest first), -1 for points in no cluster
    of at least the minimum size."""
    from sklearn.cluster import AgglomerativeClustering

    config = config or ClusterConfig()
    n = len(vectors)
    labels = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return labels
    rng = np.random.default_rng(config.seed)
    sample = np.sort(rng.choice(n, size=config.max_points, replace=False)) if n > config.max_points else np.arange(n)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=config.distance, metric="cosine", linkage="average"
    )
    labels[sample] = model.fit_predict(vectors[sample])
    if len(sample) < n:
        _assign_rest(vectors, labels, sample, config.distance)
    return _relabel(labels, min_cluster_size(n, config))


def _assign_rest(vectors: np.ndarray, labels: np.ndarray, sample: np.ndarray, distance: float) -> None:
    """Points outside the sample join the cluster with the smallest average cosine distance."""
    sample_labels = labels[sample]
    k = int(sample_labels.max()) + 1
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, sample_labels, vectors[sample])
    means = (sums / np.bincount(sample_labels, minlength=k)[:, None]).astype(np.float32)
    rest = np.setdiff1d(np.arange(len(vectors)), sample)
    for start in range(0, len(rest), 4096):
        chunk = rest[start : start + 4096]
        # For unit vectors, the mean cosine distance to a cluster's members is 1 - x·mean.
        sims = vectors[chunk] @ means.T
        best = sims.argmax(axis=1)
        ok = 1.0 - sims[np.arange(len(chunk)), best] <= distance
        labels[chunk] = np.where(ok, best, -1)


def _relabel(labels: np.ndarray, min_size: int) -> np.ndarray:
    out = np.full(len(labels), -1, dtype=np.int64)
    ids, sizes = np.unique(labels[labels >= 0], return_counts=True)
    order = [int(c) for c, s in sorted(zip(ids, sizes, strict=True), key=lambda p: (-p[1], p[0])) if s >= min_size]
    for new, old in enumerate(order):
        out[labels == old] = new
    return out


def representatives(vectors: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` members closest to the cluster's mean direction (indices into ``vectors``)."""
    centre = vectors[members].mean(axis=0)
    sims = vectors[members] @ centre
    return members[np.argsort(-sims, kind="stable")[:k]]


def project_2d(vectors: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(n, 2) coordinates for a scatter plot: the plane through the ``anchors`` (the top gaps'
    centres) that spreads them most (PCA on the anchors). Linear and instant, so distances
    between gaps mean what they mean in the full space; with fewer than three anchors, the
    plane of the points' own largest variance."""
    from sklearn.decomposition import PCA

    if len(vectors) < 2:
        return np.zeros((len(vectors), 2), dtype=np.float32)
    basis = anchors if len(anchors) >= 3 else vectors
    pca = PCA(n_components=2, random_state=0).fit(basis)
    return np.asarray(pca.transform(vectors), dtype=np.float32)
