"""The arXiv taxonomy and the forgiving ways people type a category."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.subscriptions.categories import (
    ALIASES,
    ARCHIVES,
    CATEGORIES,
    UnknownCategory,
    archive_of,
    category_name,
    equivalent_categories,
    expand_wildcard,
    is_category,
    is_wildcard,
    matching_category,
    normalize_category,
    normalize_wildcard,
    suggest_categories,
)


def test_taxonomy_covers_every_archive() -> None:
    archives = {archive_of(code) for code in CATEGORIES}
    assert archives == set(ARCHIVES)
    for single in ("gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th", "quant-ph"):
        assert single in CATEGORIES
    assert len(expand_wildcard("cs.*")) == 40
    assert len(CATEGORIES) + len(ALIASES) > 150


@pytest.mark.parametrize(("code", "name"), [
    ("cs.LG", "Machine Learning"), ("stat.ML", "Machine Learning"), ("cs.CV", "Computer Vision and Pattern Recognition"),
    ("astro-ph.GA", "Astrophysics of Galaxies"), ("cond-mat.str-el", "Strongly Correlated Electrons"),
    ("q-bio.NC", "Neurons and Cognition"), ("quant-ph", "Quantum Physics"), ("econ.EM", "Econometrics"),
    ("eess.IV", "Image and Video Processing"), ("nlin.CD", "Chaotic Dynamics"), ("physics.flu-dyn", "Fluid Dynamics"),
    ("q-fin.ST", "Statistical Finance"), ("math.PR", "Probability"),
])
def test_names(code: str, name: str) -> None:
    assert category_name(code) == name


@pytest.mark.parametrize(("typed", "code"), [
    ("CS.lg", "cs.LG"), (" cs.lg ", "cs.LG"), ("STAT.ML", "stat.ML"), ("Cond-Mat.Str-El", "cond-mat.str-el"),
    ("HEP-TH", "hep-th"), ("astro-ph.co", "astro-ph.CO"), ("physics.OPTICS", "physics.optics"),
])
def test_normalize_is_case_insensitive(typed: str, code: str) -> None:
    assert normalize_category(typed) == code
    assert is_category(typed)


@pytest.mark.parametrize(("alias", "code"), [
    ("math.MP", "math-ph"), ("math.IT", "cs.IT"), ("cs.NA", "math.NA"), ("stat.TH", "math.ST"),
    ("cs.SY", "eess.SY"), ("q-fin.EC", "econ.GN"),
])
def test_aliases_normalise_to_one_code_and_stay_equivalent(alias: str, code: str) -> None:
    assert is_category(alias)
    assert normalize_category(alias.lower()) == code
    assert equivalent_categories(alias) == equivalent_categories(code) == {alias, code}
    assert category_name(alias) == category_name(code)


def test_unknown_category_carries_suggestions() -> None:
    with pytest.raises(UnknownCategory) as caught:
        normalize_category("cs.ML")
    assert caught.value.suggestions[:2] == ["cs.LG", "stat.ML"]
    assert "cs.LG" in str(caught.value)
    assert not is_category("cs.ML")
    assert not is_category("")


@pytest.mark.parametrize(("typed", "expected"), [
    ("cs.ML", ["cs.LG", "stat.ML"]),
    ("machine learning", ["cs.LG", "stat.ML"]),
    ("Machine Learning", ["cs.LG", "stat.ML"]),
    ("computer vision", ["cs.CV"]),
    ("hepth", ["hep-th"]),
    ("quant.ph", ["quant-ph"]),
    ("nlp", ["cs.CL"]),
    ("cs.CVPR", ["cs.CV"]),
])
def test_suggestions_start_with_what_was_meant(typed: str, expected: list[str]) -> None:
    assert suggest_categories(typed)[: len(expected)] == expected


def test_suggestions_are_empty_for_nonsense_and_limited_by_n() -> None:
    assert suggest_categories("zzzzqqq") == []
    assert suggest_categories("") == []
    assert len(suggest_categories("cs.XYZ", n=2)) <= 2
    assert suggest_categories("cs.ML", n=1) == ["cs.LG"]


def test_wildcards() -> None:
    assert is_wildcard("cs.*") and not is_wildcard("cs.LG")
    assert normalize_wildcard("CS.*") == normalize_wildcard("cs*") == normalize_wildcard("cs") == "cs.*"
    assert normalize_wildcard("hep-th.*") == "hep-th"
    assert expand_wildcard("astro-ph.*") == ["astro-ph.CO", "astro-ph.EP", "astro-ph.GA", "astro-ph.HE",
                                             "astro-ph.IM", "astro-ph.SR"]
    assert "math.IT" in expand_wildcard("math.*") and "cs.IT" in expand_wildcard("cs.*")
    assert category_name("cs.*") == "Computer Science (all)"
    with pytest.raises(UnknownCategory) as caught:
        expand_wildcard("bio.*")
    assert caught.value.suggestions == ["q-bio.*"]


def test_every_code_round_trips() -> None:
    for code in [*CATEGORIES, *ALIASES]:
        assert normalize_category(code) == ALIASES.get(code, code)
        assert normalize_category(code.upper()) == ALIASES.get(code, code)


@given(st.text(max_size=40))
def test_lookups_never_fail_unexpectedly(text: str) -> None:
    assert len(suggest_categories(text)) <= 3
    if is_category(text):
        assert normalize_category(text) in CATEGORIES
    else:
        with pytest.raises(UnknownCategory):
            normalize_category(text)


def test_matching_category_honours_wildcards_and_aliases() -> None:
    assert matching_category(["cs.LG"], ["stat.ML", "cs.LG"]) == "cs.LG"
    assert matching_category(["cs.*"], ["stat.ML", "cs.CV"]) == "cs.CV"
    assert matching_category(["cs.*"], ["eess.SY"]) == "eess.SY"  # listed by arXiv as cs.SY too
    assert matching_category(["cs.IT"], ["math.IT"]) == "math.IT"
    assert matching_category(["cs.*"], ["stat.ML"]) is None
    assert matching_category(["cs.*"], ["cs"]) == "cs"  # old papers carry the bare archive
    assert matching_category(["hep-th"], ["hep-ph"]) is None
