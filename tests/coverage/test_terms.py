from __future__ import annotations

from ffbcoder.coverage.terms import Lemmatiser, class_tfidf


def test_lemmas_are_lowercased_content_words() -> None:
    lemmatiser = Lemmatiser()
    lemmas = lemmatiser.lemmas("Drengen sover dårligt og vågner om natten.")
    assert "dreng" in lemmas and "sove" in lemmas and "vågne" in lemmas
    assert "og" not in lemmas and "om" not in lemmas  # stop words


def test_class_tfidf_prefers_words_specific_to_a_class() -> None:
    sleep = ["sove", "søvn", "mor", "sove", "vågne", "mor"]
    food = ["spise", "vægt", "mor", "spise", "madpakke", "mor"]
    background = ["mor", "skole", "mor", "far", "skole"]
    terms = class_tfidf([sleep, food, background], top_n=3)
    assert terms[0][0][0] == "sove"
    assert terms[1][0][0] == "spise"
    assert all(t != "mor" for t, _ in terms[0][:2] + terms[1][:2])
    assert class_tfidf([sleep, food], exclude={"sove"})[0][0][0] != "sove"
