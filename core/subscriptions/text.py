"""Text normalisation shared by the topic query language and the digest's index.

Queries and papers must be tokenised by exactly the same function, otherwise a term typed by a user could
never equal a token of an abstract. `tokenize` therefore does everything in one place:

* Unicode folding: NFKD, combining diacritics dropped, case-folded, and a few letters NFKD leaves alone
  mapped by hand (ł→l, ø→o, æ→ae, ...), so "Schrödinger", "Schrodinger" and "SCHRÖDINGER" agree.
* Apostrophes are deleted rather than treated as separators, so "Schrödinger's" becomes one word
  (and then loses its plural-looking s) instead of leaving a stray "s" token.
* Splitting on anything that is not a letter or a digit: "self-supervised" is two tokens, "GPT-4" is
  "gpt" and "4", "3D" stays "3d".
* A light, conservative English plural stemmer (`normalize_token`), see below.

The output is a fixed point: tokenising the space-joined tokens gives the same tokens. The query language
relies on this to print a query and read it back unchanged.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_token", "tokenize"]

_WORD = re.compile(r"[^\W_]+")
# NFKD splits accented Latin, Greek and Cyrillic letters into base + mark; these blocks hold those marks.
# Scripts whose vowel signs are not in them simply split at the sign, identically for queries and papers.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_LETTERS = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h",
    "'": None, "’": None, "ʼ": None, "‘": None, "`": None,
})

# ------------------------------------------------------------------------------------------ the stemmer
#
# Only plurals are folded, and only where the singular is unambiguous. A missed plural costs a user one
# extra subscription term; a wrong fold silently merges two words and also shows up in the "why" lines, so
# every doubtful case is left alone. Rules, in order:
#   1. words of three letters or fewer, and words containing digits, are left alone (gas, its, 1990s);
#   2. irregular and Latin/Greek plurals from _IRREGULAR (indices→index, spectra→spectrum, gpus→gpu);
#   3. words in _KEEP are left alone (bias, series, lens, news, Bayes, Higgs, ...);
#   4. -ss, -us, -is endings are singular (class, loss, gauss, corpus, analysis, basis);
#   5. -ics words are names of fields (physics, robotics, dynamics) unless listed in _ICS_PLURALS (metrics);
#   6. -ies → -y (studies→study; four-letter ties/lies/dies just lose the s);
#   7. -sses, -xes, -ches, -shes, -zzes lose "es" (classes→class, boxes→box, patches→patch);
#   8. otherwise a final s is dropped (networks→network, responses→response, llms→llm).
# Every result is a fixed point of the stemmer (tests check it), which keeps queries round-trippable.

_IRREGULAR: dict[str, str] = {
    # -es plurals of -is/-us/-as words and -ches plurals of -che words
    "analyses": "analysis", "hypotheses": "hypothesis", "syntheses": "synthesis", "theses": "thesis",
    "diagnoses": "diagnosis", "prognoses": "prognosis", "crises": "crisis", "parentheses": "parenthesis",
    "emphases": "emphasis", "metastases": "metastasis", "axes": "axis", "biases": "bias", "aliases": "alias",
    "gases": "gas", "lenses": "lens", "buses": "bus", "viruses": "virus", "statuses": "status",
    "campuses": "campus", "bonuses": "bonus", "corpuses": "corpus", "censuses": "census",
    "consensuses": "consensus", "atlases": "atlas", "canvases": "canvas", "focuses": "focus",
    "radiuses": "radius", "quizzes": "quiz", "caches": "cache", "niches": "niche",
    "avalanches": "avalanche", "tranches": "tranche", "cliches": "cliche", "headaches": "headache",
    "aches": "ache", "moustaches": "moustache", "psyches": "psyche",
    # Latin and Greek plurals common in papers
    "indices": "index", "matrices": "matrix", "vertices": "vertex", "appendices": "appendix",
    "simplices": "simplex", "apices": "apex", "cortices": "cortex", "radii": "radius", "nuclei": "nucleus",
    "foci": "focus", "stimuli": "stimulus", "loci": "locus", "fungi": "fungus", "spectra": "spectrum",
    "phenomena": "phenomenon", "criteria": "criterion", "maxima": "maximum", "minima": "minimum",
    "optima": "optimum", "extrema": "extremum", "formulae": "formula", "schemata": "schema",
    "automata": "automaton", "polyhedra": "polyhedron", "mice": "mouse", "children": "child",
    # acronyms whose plural ends in -us or -is
    "gpus": "gpu", "cpus": "cpu", "tpus": "tpu", "npus": "npu", "imus": "imu", "mcus": "mcu",
    "apis": "api", "kpis": "kpi", "rois": "roi", "menus": "menu",
}

_KEEP = frozenset("""
    always perhaps whereas towards afterwards does goes news lens means series species diabetes herpes rabies
    bias alias atlas canvas pancreas christmas thomas douglas lucas nicholas kansas texas vegas midas
    chaos cosmos ethos pathos kudos eros
    bayes gibbs higgs hastings stokes hawkes reynolds kramers jones yates mises hughes archimedes socrates
    hermes andes achilles williams adams james erdos
""".split())

_ICS_PLURALS = frozenset("""
    metrics topics heuristics characteristics clinics diagnostics critics antibiotics logics mosaics
    rubrics ceramics plastics basics specifics tactics fabrics lyrics comics
""".split())

_ES_PLURAL_ENDINGS = ("sses", "xes", "ches", "shes", "zzes")
_SINGULAR_ENDINGS = ("ss", "us", "is")

_stem_cache: dict[str, str] = {}
_STEM_CACHE_LIMIT = 200_000


def _stem(word: str) -> str:
    if len(word) <= 3:
        return word
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    if word[-1] != "s" or word in _KEEP or not word.isalpha():
        return word
    if word.endswith(_SINGULAR_ENDINGS):
        return word
    if word.endswith("ics"):
        return word[:-1] if word in _ICS_PLURALS else word
    if word.endswith("ies"):
        return word[:-3] + "y" if len(word) > 4 else word[:-1]
    if word.endswith(_ES_PLURAL_ENDINGS):
        return word[:-2]
    return word[:-1]


def _stem_cached(word: str) -> str:
    stem = _stem(word)
    if len(_stem_cache) >= _STEM_CACHE_LIMIT:
        # Vocabulary grows slowly; an occasional full reset is cheaper than LRU bookkeeping per token.
        _stem_cache.clear()
    _stem_cache[word] = stem
    return stem


def _fold(text: str) -> str:
    if text.isascii():
        text = text.lower()
    else:
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()
        if not text.isascii():
            # casefold can produce new decomposable characters ("ǰ", "ẖ"); a second pass makes folding
            # idempotent, which the query language's round trip depends on.
            text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()
    return text.translate(_LETTERS)


def tokenize(text: str) -> list[str]:
    """Split `text` into normalised tokens: folded, split on non-alphanumerics, plurals stemmed."""
    if not text:
        return []
    cache = _stem_cache
    # A stem is never empty, so `or` only falls through on a cache miss.
    return [cache.get(word) or _stem_cached(word) for word in _WORD.findall(_fold(text))]


def normalize_token(token: str) -> str:
    """Normalise one word as `tokenize` would (fold case and accents, stem plurals).

    The token is not split: pass a single word. Returns "" when nothing alphanumeric remains.
    """
    words = _WORD.findall(_fold(token))
    if not words:
        return ""
    word = "".join(words)
    return _stem_cache.get(word) or _stem_cached(word)
