from __future__ import annotations

import numpy as np

from ffbcoder.coverage.cluster import ClusterConfig, centred, cluster_vectors, project_2d, representatives


def themes(seed: int = 0, per_theme: int = 30, noise: int = 60, dim: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Three tight themes around random directions plus scattered points, all sharing a common
    offset (as e5 vectors do)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=dim) * 3
    centres = rng.normal(size=(3, dim))
    points = [centres[t] + 0.25 * rng.normal(size=(per_theme, dim)) for t in range(3)]
    points.append(rng.normal(size=(noise, dim)) * 1.5)
    truth = np.repeat([0, 1, 2, -1], [per_theme, per_theme, per_theme, noise])
    return np.vstack(points) + common, truth


def purity(labels: np.ndarray, truth: np.ndarray, theme: int) -> tuple[float, float]:
    """(share of the theme in its best cluster, share of that cluster that is the theme)."""
    members = labels[truth == theme]
    best = np.bincount(members[members >= 0]).argmax()
    return float(np.mean(members == best)), float(np.mean(truth[labels == best] == theme))


def test_centred_vectors_are_unit_length_and_centred() -> None:
    vectors, _ = themes()
    out = centred(vectors)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert abs(float(np.mean(out @ out.mean(axis=0)))) < 0.2


def test_themes_become_clusters_ordered_by_size() -> None:
    vectors, truth = themes()
    labels = cluster_vectors(centred(vectors), ClusterConfig(distance=0.8))
    for theme in range(3):
        recall, precision = purity(labels, truth, theme)
        assert recall >= 0.9 and precision >= 0.9
    sizes = [int(np.sum(labels == c)) for c in range(labels.max() + 1)]
    assert sizes == sorted(sizes, reverse=True)
    assert np.all(np.bincount(labels[labels >= 0]) >= 4)  # default minimum size


def test_sampled_clustering_assigns_the_rest_consistently() -> None:
    vectors, truth = themes(per_theme=60, noise=40)
    labels = cluster_vectors(centred(vectors), ClusterConfig(distance=0.8, max_points=100))
    for theme in range(3):
        recall, precision = purity(labels, truth, theme)
        assert recall >= 0.9 and precision >= 0.9


def test_representatives_are_closest_to_the_centre() -> None:
    vectors = centred(np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.95, 0.05, 0.0]]))
    chosen = representatives(vectors, np.array([0, 1, 3]), 1)
    assert chosen.tolist() in ([0], [1], [3])
    assert 2 not in representatives(vectors, np.array([0, 1, 2, 3]), 2).tolist()


def test_projection_separates_the_anchored_themes() -> None:
    vectors, truth = themes(per_theme=20, noise=10)
    unit = centred(vectors)
    anchors = np.array([unit[truth == t].mean(axis=0) for t in range(3)])
    coords = project_2d(unit, anchors)
    assert coords.shape == (len(vectors), 2) and np.isfinite(coords).all()
    means = np.array([coords[truth == t].mean(axis=0) for t in range(3)])
    spread = max(float(np.linalg.norm(coords[truth == t] - means[t], axis=1).mean()) for t in range(3))
    gaps = [float(np.linalg.norm(means[a] - means[b])) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > spread  # theme centres lie further apart than a theme's points from its centre
    assert project_2d(unit[:1], anchors).shape == (1, 2)
    assert project_2d(unit, anchors[:1]).shape == (len(vectors), 2)  # too few anchors: own variance
