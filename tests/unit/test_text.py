"""Tokenising and plural folding: what makes a typed word equal a word of an abstract."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.subscriptions.text import _ICS_PLURALS, _IRREGULAR, _KEEP, normalize_token, tokenize


def test_lowercases_and_splits_on_punctuation() -> None:
    assert tokenize("Graph Neural Networks (GNNs): a survey!") == ["graph", "neural", "network", "gnn", "a", "survey"]


def test_hyphenated_words_split_and_digits_kept() -> None:
    assert tokenize("self-supervised GPT-4 on 3D point clouds, 2024") == [
        "self", "supervised", "gpt", "4", "on", "3d", "point", "cloud", "2024"]


def test_accents_fold_so_schrodinger_matches_schrödinger() -> None:
    assert tokenize("Schrödinger") == tokenize("schrodinger") == tokenize("SCHRÖDINGER") == ["schrodinger"]
    assert tokenize("Erdős–Rényi naïve café") == ["erdos", "renyi", "naive", "cafe"]


def test_letters_without_a_decomposition_are_folded_too() -> None:
    assert tokenize("Łukasz Ørsted Straße Æther") == ["lukasz", "orsted", "strasse", "aether"]


def test_possessive_apostrophe_does_not_leave_a_stray_s() -> None:
    assert tokenize("Schrödinger's equation and Bayes’ rule") == ["schrodinger", "equation", "and", "bayes", "rule"]


def test_ligatures_and_full_width_letters_are_normalised() -> None:
    assert tokenize("ﬁne-tuning ＧＰＴ") == ["fine", "tuning", "gpt"]


def test_empty_and_punctuation_only_text() -> None:
    assert tokenize("") == []
    assert tokenize(" -- ... !! ") == []


@pytest.mark.parametrize(("plural", "singular"), [
    ("transformers", "transformer"), ("networks", "network"), ("studies", "study"), ("classes", "class"),
    ("boxes", "box"), ("patches", "patch"), ("meshes", "mesh"), ("responses", "response"), ("llms", "llm"),
    ("gpus", "gpu"), ("indices", "index"), ("matrices", "matrix"), ("spectra", "spectrum"),
    ("analyses", "analysis"), ("hypotheses", "hypothesis"), ("biases", "bias"), ("caches", "cache"),
    ("properties", "property"), ("ties", "tie"), ("metrics", "metric"), ("phenomena", "phenomenon"),
])
def test_plurals_fold_to_the_singular(plural: str, singular: str) -> None:
    assert normalize_token(plural) == singular
    assert normalize_token(singular) == singular


@pytest.mark.parametrize("word", [
    "bias", "analysis", "gauss", "class", "less", "loss", "corpus", "basis", "series", "species", "news", "lens",
    "bayes", "higgs", "gibbs", "stokes", "physics", "robotics", "dynamics", "genomics", "gas", "its", "this",
    "1990s", "chaos", "whereas",
])
def test_singular_words_ending_in_s_are_left_alone(word: str) -> None:
    assert normalize_token(word) == word


def test_normalize_token_folds_case_and_accents() -> None:
    assert normalize_token("Networks") == "network"
    assert normalize_token("Schrödinger’s") == "schrodinger"
    assert normalize_token("!!") == ""


def test_every_stem_is_a_fixed_point() -> None:
    words = [*_IRREGULAR, *_IRREGULAR.values(), *_KEEP, *_ICS_PLURALS]
    for word in words:
        once = normalize_token(word)
        assert normalize_token(once) == once, word


@given(st.text())
def test_tokenize_is_idempotent(text: str) -> None:
    tokens = tokenize(text)
    assert tokenize(" ".join(tokens)) == tokens
    assert all(token and token == normalize_token(token) for token in tokens)


@given(st.text(alphabet=st.characters(categories=["Ll", "Lu", "Nd", "Mn"]), min_size=1))
def test_single_words_are_fixed_points(word: str) -> None:
    once = normalize_token(word)
    assert normalize_token(once) == once
