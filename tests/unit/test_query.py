"""The topic query language as a channel meets it: what matches, what doesn't, and what the bot says back."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.subscriptions.query import (
    MAX_TERMS,
    MatchResult,
    QueryError,
    QueryGroup,
    TopicQuery,
    match,
    parse_query,
    required_tokens,
)
from core.subscriptions.text import tokenize


def check(query: str, title: str, abstract: str = "", categories: tuple[str, ...] = ("cs.LG",)) -> MatchResult | None:
    return match(parse_query(query), tokenize(title), tokenize(abstract), categories)


# ------------------------------------------------------------------------------------------------ matching


def test_gnn_paper_matches_and_gnn_survey_does_not() -> None:
    query = '"graph neural networks" -survey'
    assert check(query, "Graph Neural Networks for Molecule Generation")
    assert check(query, "Scaling laws", "We train a graph neural network on molecules.")
    assert not check(query, "A Survey of Graph Neural Networks")
    assert not check(query, "Message passing", "This survey covers graph neural networks.")


def test_all_words_must_appear_in_title_or_abstract() -> None:
    assert check("diffusion model", "Diffusion for images", "A generative model.")
    assert not check("diffusion model", "Diffusion for images", "A generative approach.")


def test_words_are_case_insensitive_and_plurals_fold() -> None:
    assert check("TRANSFORMER", "transformers are rnns")
    assert check("transformers", "A Transformer for Speech")
    assert check("studies", "A study of optimisers")


def test_accents_fold_both_ways() -> None:
    assert check("Schrödinger", "Solving the schrodinger equation")
    assert check("schrodinger", "Solving the Schrödinger equation")
    assert check('"Erdős–Rényi graphs"', "Cliques in Erdos-Renyi graphs")


def test_phrase_needs_adjacent_words_in_order() -> None:
    assert check('"score matching"', "Sliced score matching")
    assert not check('"score matching"', "Matching score functions")
    assert not check('"score matching"', "A score for pattern matching")


def test_phrase_does_not_span_title_and_abstract() -> None:
    assert not check('"learning theory"', "Deep learning", "Theory of deep networks.")


def test_hyphenated_word_is_a_phrase() -> None:
    assert check("self-supervised", "Self supervised learning")
    assert check("self-supervised", "Self-Supervised Learning")
    assert not check("self-supervised", "Supervised learning by self play")


def test_or_groups_match_either_alternative() -> None:
    query = 'diffusion model OR "score matching"'
    assert check(query, "Score matching at scale")
    assert check(query, "A diffusion model for audio")
    assert not check(query, "Diffusion of innovations")
    result = check(query, "Diffusion models via score matching")
    assert result is not None and result.groups == (0, 1)


def test_exclusions_apply_to_every_alternative() -> None:
    query = "diffusion OR flow -medical"
    assert not check(query, "Diffusion for medical imaging")
    assert not check(query, "Flow matching", "Applications to medical data.")
    assert check(query, "Flow matching")


def test_excluded_phrase_only_excludes_the_phrase() -> None:
    query = 'diffusion -"medical imaging"'
    assert not check(query, "Diffusion models for medical imaging")
    assert check(query, "Diffusion models", "We discuss medical uses and imaging hardware.")


def test_not_keyword_excludes_like_a_minus() -> None:
    assert parse_query("diffusion NOT medical") == parse_query("diffusion -medical")
    assert parse_query("diffusion AND model") == parse_query("diffusion model")


def test_category_restriction() -> None:
    query = "diffusion cat:cs.CV cat:eess.IV"
    assert check(query, "Diffusion", categories=("cs.CV",))
    assert check(query, "Diffusion", categories=("cs.LG", "eess.IV"))
    assert not check(query, "Diffusion", categories=("cs.LG",))
    result = check(query, "Diffusion", categories=("stat.ML", "eess.IV"))
    assert result is not None and result.category == "eess.IV"


def test_category_wildcard_and_aliases() -> None:
    assert check("diffusion cat:cs.*", "Diffusion", categories=("stat.ML", "cs.CV"))
    assert not check("diffusion cat:cs.*", "Diffusion", categories=("stat.ML",))
    assert check("entropy cat:math.IT", "Entropy", categories=("cs.IT",))
    assert check("entropy cat:math.*", "Entropy", categories=("cs.IT", "math.IT"))
    assert check("operators cat:math-ph", "Operators", categories=("math.MP",))


def test_match_result_explains_title_and_abstract_hits() -> None:
    result = check('diffusion model OR "score matching"', "Diffusion Models", "Trained with score matching.")
    assert result is not None
    assert [h.text for h in result.title_hits] == ["diffusion", "model"]
    assert [h.text for h in result.abstract_only_hits] == ["score matching"]
    assert result.why() == 'matched "diffusion", "model" in title; "score matching" in abstract'
    only_abstract = check("diffusion", "Generative models", "We use diffusion.")
    assert only_abstract is not None and only_abstract.why() == 'matched "diffusion" in abstract'


def test_required_tokens_cover_terms_and_phrases() -> None:
    query = parse_query('"graph neural networks" message -survey')
    assert required_tokens(query.groups[0]) == {"graph", "neural", "network", "message"}


# ----------------------------------------------------------------------------------- structure and text


def test_parsed_structure() -> None:
    query = parse_query('Diffusion Models OR "Score Matching" -medical -"brain MRI" cat:CS.cv')
    assert query.groups == (QueryGroup(("diffusion", "model")), QueryGroup(phrases=(("score", "matching"),)))
    assert query.excluded_terms == ("medical",)
    assert query.excluded_phrases == (("brain", "mri"),)
    assert query.categories == ("cs.CV",)


def test_describe_reads_like_the_query() -> None:
    query = parse_query('diffusion model OR "score matching" -medical cat:cs.CV')
    assert query.describe() == 'diffusion AND model, or "score matching"; not: medical; in cs.CV'


def test_same_meaning_gives_same_canonical_text() -> None:
    variants = ["diffusion model -medical", "Model  Diffusion -MEDICAL", '"diffusion" models NOT medical',
                "diffusion AND model -medicals"]
    parsed = [parse_query(v) for v in variants]
    assert len({p.canonical() for p in parsed}) == 1
    assert len(set(parsed)) == 1
    assert parse_query("a OR b") == parse_query("b OR a OR a")
    assert parse_query("diffusion cat:cs.LG cat:cs.CV") == parse_query("diffusion cat:cs.CV,cs.LG")
    assert parse_query("diffusion cat:cs.* cat:cs.LG").categories == ("cs.*",)
    assert parse_query("diffusion model") != parse_query('"diffusion model"')


def test_canonical_round_trips() -> None:
    query = parse_query('self-supervised "graph neural networks" OR "or" gnn -survey -"medical imaging" cat:cs')
    assert parse_query(query.canonical()) == query
    assert str(query) == query.canonical()


def test_control_characters_are_stripped_and_smart_quotes_understood() -> None:
    assert parse_query("diffusion\x00\x07 model\t\n\u200b") == parse_query("diffusion model")
    assert parse_query("“score matching” —medical") == parse_query('"score matching" -medical')
    assert parse_query("diffusion — a survey") == parse_query("diffusion a survey")


def test_words_without_letters_or_digits_are_ignored() -> None:
    assert parse_query("diffusion & model") == parse_query("diffusion model")


def test_pasted_title_with_colon_is_just_words() -> None:
    assert parse_query("Transformers: a survey") == parse_query("transformers a survey")


# ------------------------------------------------------------------------------------------ friendly errors


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "Tell me what to look for"),
    ("   \t ", "Tell me what to look for"),
    ("-medical -survey", "can't be only exclusions"),
    ("cat:cs.LG", "subscribe to the category itself"),
    ('"graph neural', "has no closing quote"),
    ('diffusion ""', "has no words"),
    ('diffusion "  !! "', "has no words"),
    ("OR diffusion", "before the first OR"),
    ("diffusion OR", "nothing after the last OR"),
    ("diffusion OR OR flow", "two ORs in a row"),
    ("diffusion OR -medical OR flow", "apply to the whole query"),
    ("xyz:abc diffusion", "don't know the field xyz:"),
    ("au:hinton", "use `follow`"),
    ("ti:diffusion", "no prefix is needed"),
    ("diffusion cat:cs.ML", "Did you mean cs.LG (Machine Learning) or stat.ML (Machine Learning)?"),
    ('diffusion cat:"machine learning"', "cs.LG (Machine Learning)"),
    ("diffusion cat:zzzz", "Category codes look like"),
    ("diffusion cat:bio.*", "q-bio.*"),
    ("diffusion cat:", "needs a category"),
    ("diffusion -cat:cs.CV", "Excluding a category"),
    ("diffusion or flow", "OR in capitals"),
    ("diffus*", "Wildcards only work in categories"),
    ("(diffusion OR flow) model", "Parentheses"),
    ("diffusion - medical", "A lone -"),
    ("diffusion NOT", "NOT must be followed"),
    ("diffusion -diffusion", "both asked for and excluded"),
    ('"graph neural networks" -neural', "both asked for and excluded"),
])
def test_errors_explain_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert fragment in caught.value.message
    assert str(caught.value) == caught.value.message
    parse_query(caught.value.example)  # every example offered must itself be a valid query


def test_over_long_query() -> None:
    with pytest.raises(QueryError, match="the limit is 40"):
        parse_query("diffusion " * 5, max_length=40)
    assert parse_query("diffusion " * 5, max_length=60)


def test_too_many_terms() -> None:
    words = " ".join(f"w{i}" for i in range(MAX_TERMS + 1))
    with pytest.raises(QueryError, match=f"limit is {MAX_TERMS}"):
        parse_query(words)
    assert parse_query(" ".join(f"w{i}" for i in range(MAX_TERMS)))


# --------------------------------------------------------------------------------------------- properties

_piece = st.one_of(
    st.sampled_from(["OR", "AND", "NOT", "-", '"', "cat:", "cat:cs.LG", "cat:cs.*", "cat:cs.ML", "cat:hep-th",
                     "-survey", '-"medical imaging"', "self-supervised", "or", "*", "(", ")", "xyz:a", "Schrödinger",
                     "networks", "\x00", "\u200b", "“", "—"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.from_regex(r'-?"[a-zA-Z ]{0,12}"', fullmatch=True),
)
query_like = st.lists(_piece, max_size=12).map(" ".join) | st.lists(_piece, max_size=12).map("".join)


def _parse_or_none(text: str) -> TopicQuery | None:
    try:
        return parse_query(text)
    except QueryError:
        return None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), query_like))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    query = _parse_or_none(text)
    if query is not None:
        again = parse_query(query.canonical())
        assert again == query
        assert again.canonical() == query.canonical()
        assert query.describe()


@settings(max_examples=300)
@given(query_like)
def test_a_paper_made_of_an_alternative_matches_it(text: str) -> None:
    query = _parse_or_none(text)
    if query is None or query.excluded_terms or query.excluded_phrases:
        return
    categories = tuple(c.replace("*", "AI") for c in query.categories)
    for index, group in enumerate(query.groups):
        title = " ".join([*group.terms, *(" ".join(p) for p in group.phrases)])
        result = match(query, tokenize(title), [], categories)
        assert result is not None and index in result.groups
