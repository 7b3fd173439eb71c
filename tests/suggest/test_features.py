from __future__ import annotations

import numpy as np

from ffbcoder.catalogue.store import default_catalogue
from ffbcoder.suggest.features import FeatureBuilder, default_feature_names
from ffbcoder.text.context import SegmentContext


def test_products_and_broadcasts() -> None:
    catalogue = default_catalogue()
    builder = FeatureBuilder(catalogue)
    n = len(catalogue)
    scores = {"dense": np.full((2, n), 0.5, dtype=np.float32)}
    contexts = [SegmentContext(negation_strong=True, subject_parent=True), SegmentContext()]
    names = ["dense", "negation_strong", "dense*negation_strong", "about_barn", "dense*subject_parent*about_barn"]
    grids = builder.build(names, scores, contexts)
    child = catalogue.ids().index("t-skolefravaer")
    parent = catalogue.ids().index("t-foraelder-misbrug")
    assert grids["negation_strong"][:, 0].tolist() == [1.0, 0.0]
    assert grids["dense*negation_strong"][0, 0] == 0.5 and grids["dense*negation_strong"][1, 0] == 0.0
    assert grids["dense*subject_parent*about_barn"][0, child] == 0.5
    assert grids["dense*subject_parent*about_barn"][0, parent] == 0.0


def test_default_names_follow_scorers_and_context_switch() -> None:
    with_context = default_feature_names(["dense", "head"])
    assert "head*negation_strong" in with_context and "subject_parent*about_barn" in with_context
    assert default_feature_names(["dense", "head"], context=False) == ["dense", "head"]
