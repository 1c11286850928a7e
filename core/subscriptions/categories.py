"""The arXiv category taxonomy, and the forgiving lookups people need when they type a category in chat.

Canonical codes are arXiv's own spelling (`cs.LG`, `cond-mat.str-el`, `hep-th`). Input is matched
case-insensitively. arXiv keeps a few pairs of codes for the same subject (math.IT is cs.IT, math.MP is
math-ph, ...); the alias is accepted and normalised to the code arXiv lists first, and
`equivalent_categories` gives both so a paper tagged with either still matches a restriction on the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from core.subscriptions.text import tokenize

__all__ = [
    "ALIASES",
    "ARCHIVES",
    "CATEGORIES",
    "UnknownCategory",
    "archive_of",
    "category_name",
    "equivalent_categories",
    "expand_wildcard",
    "is_category",
    "is_wildcard",
    "matching_category",
    "normalize_category",
    "normalize_wildcard",
    "suggest_categories",
]


class UnknownCategory(ValueError):
    """The text is not an arXiv category (or archive wildcard); `suggestions` holds the nearest codes."""

    def __init__(self, text: str, suggestions: list[str]) -> None:
        self.text = text
        self.suggestions = suggestions
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"{text!r} is not an arXiv category.{hint}")


ARCHIVES: Mapping[str, str] = MappingProxyType({
    "cs": "Computer Science", "math": "Mathematics", "stat": "Statistics", "physics": "Physics",
    "astro-ph": "Astrophysics", "cond-mat": "Condensed Matter", "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance", "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science", "nlin": "Nonlinear Sciences",
    "gr-qc": "General Relativity and Quantum Cosmology", "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice", "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory", "math-ph": "Mathematical Physics",
    "nucl-ex": "Nuclear Experiment", "nucl-th": "Nuclear Theory", "quant-ph": "Quantum Physics",
})

_TAXONOMY = """
cs.AI Artificial Intelligence
cs.AR Hardware Architecture
cs.CC Computational Complexity
cs.CE Computational Engineering, Finance, and Science
cs.CG Computational Geometry
cs.CL Computation and Language
cs.CR Cryptography and Security
cs.CV Computer Vision and Pattern Recognition
cs.CY Computers and Society
cs.DB Databases
cs.DC Distributed, Parallel, and Cluster Computing
cs.DL Digital Libraries
cs.DM Discrete Mathematics
cs.DS Data Structures and Algorithms
cs.ET Emerging Technologies
cs.FL Formal Languages and Automata Theory
cs.GL General Literature
cs.GR Graphics
cs.GT Computer Science and Game Theory
cs.HC Human-Computer Interaction
cs.IR Information Retrieval
cs.IT Information Theory
cs.LG Machine Learning
cs.LO Logic in Computer Science
cs.MA Multiagent Systems
cs.MM Multimedia
cs.MS Mathematical Software
cs.NA Numerical Analysis
cs.NE Neural and Evolutionary Computing
cs.NI Networking and Internet Architecture
cs.OH Other Computer Science
cs.OS Operating Systems
cs.PF Performance
cs.PL Programming Languages
cs.RO Robotics
cs.SC Symbolic Computation
cs.SD Sound
cs.SE Software Engineering
cs.SI Social and Information Networks
cs.SY Systems and Control
econ.EM Econometrics
econ.GN General Economics
econ.TH Theoretical Economics
eess.AS Audio and Speech Processing
eess.IV Image and Video Processing
eess.SP Signal Processing
eess.SY Systems and Control
math.AC Commutative Algebra
math.AG Algebraic Geometry
math.AP Analysis of PDEs
math.AT Algebraic Topology
math.CA Classical Analysis and ODEs
math.CO Combinatorics
math.CT Category Theory
math.CV Complex Variables
math.DG Differential Geometry
math.DS Dynamical Systems
math.FA Functional Analysis
math.GM General Mathematics
math.GN General Topology
math.GR Group Theory
math.GT Geometric Topology
math.HO History and Overview
math.KT K-Theory and Homology
math.LO Logic
math.MG Metric Geometry
math.NA Numerical Analysis
math.NT Number Theory
math.OA Operator Algebras
math.OC Optimization and Control
math.PR Probability
math.QA Quantum Algebra
math.RA Rings and Algebras
math.RT Representation Theory
math.SG Symplectic Geometry
math.SP Spectral Theory
math.ST Statistics Theory
astro-ph.CO Cosmology and Nongalactic Astrophysics
astro-ph.EP Earth and Planetary Astrophysics
astro-ph.GA Astrophysics of Galaxies
astro-ph.HE High Energy Astrophysical Phenomena
astro-ph.IM Instrumentation and Methods for Astrophysics
astro-ph.SR Solar and Stellar Astrophysics
cond-mat.dis-nn Disordered Systems and Neural Networks
cond-mat.mes-hall Mesoscale and Nanoscale Physics
cond-mat.mtrl-sci Materials Science
cond-mat.other Other Condensed Matter
cond-mat.quant-gas Quantum Gases
cond-mat.soft Soft Condensed Matter
cond-mat.stat-mech Statistical Mechanics
cond-mat.str-el Strongly Correlated Electrons
cond-mat.supr-con Superconductivity
gr-qc General Relativity and Quantum Cosmology
hep-ex High Energy Physics - Experiment
hep-lat High Energy Physics - Lattice
hep-ph High Energy Physics - Phenomenology
hep-th High Energy Physics - Theory
math-ph Mathematical Physics
nlin.AO Adaptation and Self-Organizing Systems
nlin.CD Chaotic Dynamics
nlin.CG Cellular Automata and Lattice Gases
nlin.PS Pattern Formation and Solitons
nlin.SI Exactly Solvable and Integrable Systems
nucl-ex Nuclear Experiment
nucl-th Nuclear Theory
physics.acc-ph Accelerator Physics
physics.ao-ph Atmospheric and Oceanic Physics
physics.app-ph Applied Physics
physics.atm-clus Atomic and Molecular Clusters
physics.atom-ph Atomic Physics
physics.bio-ph Biological Physics
physics.chem-ph Chemical Physics
physics.class-ph Classical Physics
physics.comp-ph Computational Physics
physics.data-an Data Analysis, Statistics and Probability
physics.ed-ph Physics Education
physics.flu-dyn Fluid Dynamics
physics.gen-ph General Physics
physics.geo-ph Geophysics
physics.hist-ph History and Philosophy of Physics
physics.ins-det Instrumentation and Detectors
physics.med-ph Medical Physics
physics.optics Optics
physics.plasm-ph Plasma Physics
physics.pop-ph Popular Physics
physics.soc-ph Physics and Society
physics.space-ph Space Physics
q-bio.BM Biomolecules
q-bio.CB Cell Behavior
q-bio.GN Genomics
q-bio.MN Molecular Networks
q-bio.NC Neurons and Cognition
q-bio.OT Other Quantitative Biology
q-bio.PE Populations and Evolution
q-bio.QM Quantitative Methods
q-bio.SC Subcellular Processes
q-bio.TO Tissues and Organs
q-fin.CP Computational Finance
q-fin.EC Economics
q-fin.GN General Finance
q-fin.MF Mathematical Finance
q-fin.PM Portfolio Management
q-fin.PR Pricing of Securities
q-fin.RM Risk Management
q-fin.ST Statistical Finance
q-fin.TR Trading and Market Microstructure
quant-ph Quantum Physics
stat.AP Applications
stat.CO Computation
stat.ME Methodology
stat.ML Machine Learning
stat.OT Other Statistics
stat.TH Statistics Theory
"""

_ALIAS_PAIRS = {
    # alias → the code arXiv lists as primary for the subject
    "math.IT": "cs.IT", "math.MP": "math-ph", "cs.NA": "math.NA", "stat.TH": "math.ST",
    "cs.SY": "eess.SY", "q-fin.EC": "econ.GN",
}

_ALL: dict[str, str] = dict(line.split(" ", 1) for line in _TAXONOMY.strip().splitlines())
_ALL.update({alias: _ALL[canonical] for alias, canonical in _ALIAS_PAIRS.items()})

CATEGORIES: Mapping[str, str] = MappingProxyType({c: n for c, n in _ALL.items() if c not in _ALIAS_PAIRS})
"""Every canonical category code with its English name."""

ALIASES: Mapping[str, str] = MappingProxyType(dict(_ALIAS_PAIRS))
"""Alternative codes arXiv keeps for the same subject, mapped to the canonical code."""

_BY_LOWER: dict[str, str] = {code.lower(): ALIASES.get(code, code) for code in _ALL}
_EQUIVALENTS: dict[str, frozenset[str]] = {code: frozenset({code}) for code in _ALL}
for _alias, _canonical in _ALIAS_PAIRS.items():
    _EQUIVALENTS[_alias] = _EQUIVALENTS[_canonical] = frozenset({_alias, _canonical})

# Words people type for a subject whose name does not contain them.
_HINTS: dict[str, tuple[str, ...]] = {
    "ml": ("cs.LG", "stat.ML"), "ai": ("cs.AI",), "nlp": ("cs.CL",), "llm": ("cs.CL", "cs.LG"),
    "cv": ("cs.CV",), "vision": ("cs.CV",), "security": ("cs.CR",), "hci": ("cs.HC",),
    "quantum": ("quant-ph",), "cosmology": ("astro-ph.CO", "gr-qc"), "relativity": ("gr-qc",),
    "string": ("hep-th",), "particle": ("hep-ph", "hep-ex"), "speech": ("eess.AS", "cs.CL"),
    "neuroscience": ("q-bio.NC",), "finance": ("q-fin.GN", "q-fin.CP"), "bio": ("q-bio.QM",),
}
_NAME_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(tokenize(name)) - {"and", "of", "in", "for"} for code, name in _ALL.items()
}
_INITIALS: dict[str, str] = {
    code: "".join(word[0] for word in name.replace("-", " ").split() if word[0].isupper()).lower()
    for code, name in _ALL.items()
}


def normalize_category(text: str) -> str:
    """The canonical code for `text` (any case, surrounding spaces, aliases), or raise `UnknownCategory`."""
    code = _BY_LOWER.get(text.strip().lower())
    if code is None:
        raise UnknownCategory(text.strip(), suggest_categories(text))
    return code


def is_category(text: str) -> bool:
    """Whether `text` names an arXiv category, in any case, counting aliases."""
    return text.strip().lower() in _BY_LOWER


def archive_of(category: str) -> str:
    """The archive part of a code: `cs.LG` → `cs`, `hep-th` → `hep-th`."""
    return category.split(".", 1)[0]


def category_name(category: str) -> str:
    """The English name of a category (`cs.LG` → "Machine Learning") or of an archive wildcard."""
    if is_wildcard(category):
        return f"{ARCHIVES[normalize_wildcard(category)[:-2]]} (all)"
    return _ALL[normalize_category(category)]


def equivalent_categories(category: str) -> frozenset[str]:
    """Codes that mean the same subject as `category`, itself included (`cs.IT` → {cs.IT, math.IT})."""
    found = _EQUIVALENTS.get(category)
    if found is not None:
        return found
    code = _BY_LOWER.get(category.lower())
    return _EQUIVALENTS[code] if code is not None else frozenset({category})


def matching_category(wanted: Iterable[str], paper_categories: Iterable[str]) -> str | None:
    """The first of a paper's categories that satisfies any of `wanted`, or None.

    `wanted` holds canonical codes or wildcards from `normalize_wildcard` (`cs.*`); aliases count both
    ways, so a paper in math.IT satisfies cs.IT, and one in eess.SY satisfies cs.*.
    """
    wanted = tuple(wanted)
    for paper_category in paper_categories:
        for code in equivalent_categories(paper_category):
            for want in wanted:
                if code == want or (want.endswith(".*") and (code.startswith(want[:-1]) or code == want[:-2])):
                    return paper_category
    return None


def is_wildcard(text: str) -> bool:
    """Whether `text` is written as an archive wildcard (`cs.*`, `cs*`); valid or not."""
    return text.strip().endswith("*")


def normalize_wildcard(text: str) -> str:
    """`CS.*`, `cs*` or a bare archive `cs` → `cs.*`; raise `UnknownCategory` for an unknown archive.

    A wildcard on a single-category archive (`hep-th.*`) is that category itself, returned without `.*`.
    """
    archive = text.strip().rstrip("*").rstrip(".").lower()
    if archive in ARCHIVES:
        return f"{archive}.*" if archive not in _ALL else archive
    raise UnknownCategory(text.strip(), _suggest_archives(archive))


def expand_wildcard(pattern: str) -> list[str]:
    """The codes an archive wildcard covers, as arXiv lists them: `cs.*` → [cs.AI, cs.AR, ...], sorted.

    Alias codes of the archive are included (cs.* lists cs.NA and cs.SY, math.* lists math.IT); map them
    through `normalize_category` for canonical codes. Raises `UnknownCategory` for an unknown archive.
    """
    archive = normalize_wildcard(pattern).removesuffix(".*")
    return sorted(code for code in _ALL if archive_of(code) == archive)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# Longer than any category's code or name: nothing is plausibly meant, and the edit distances below are
# quadratic (a 4,000-character "category" would hold the event loop for a second or more).
SUGGEST_MAX_LENGTH = 80


def _suggest_archives(text: str) -> list[str]:
    if len(text) > SUGGEST_MAX_LENGTH:
        return []
    ranked = sorted(ARCHIVES, key=lambda archive: _edit_distance(text, archive))
    close = [a for a in ranked if _edit_distance(text, a) <= max(2, len(text) // 2)]
    return [a if a in _ALL else f"{a}.*" for a in close[:3]]


def suggest_categories(text: str, n: int = 3) -> list[str]:
    """Up to `n` canonical codes nearest to `text`, best first; [] when nothing is plausibly meant.

    An archive (`cs`, `physics`, "Computer Science") gives its wildcard (`cs.*`). Codes are compared by edit distance, by subject code in another archive (cs.ML → stat.ML), by the
    initials of the name (ML → "Machine Learning" → cs.LG), and by the words of the name
    ("machine learning" → cs.LG, stat.ML).
    """
    query = text.strip().removeprefix("cat:").strip()
    lowered = query.lower()
    if not lowered or n <= 0 or len(lowered) > SUGGEST_MAX_LENGTH:
        return []
    # An archive's code or name (`cs`, `physics`, "computer science") means the whole archive: its wildcard.
    whole = lowered.rstrip("*").rstrip(".")
    archives = [a for a, name in ARCHIVES.items() if a not in _ALL and whole in (a, name.lower())]
    if archives:
        return [f"{archives[0]}.*"]
    archive, _, subject = lowered.partition(".")
    words = frozenset(tokenize(query)) - {"and", "of", "in", "for"}
    hinted = {code for word in words for code in _HINTS.get(word, ())}
    scored: list[tuple[int, int, int, str]] = []
    for order, code in enumerate(CATEGORIES):
        code_lower = code.lower()
        code_archive, _, code_subject = code_lower.partition(".")
        distance = _edit_distance(lowered, code_lower)
        score = 0
        if subject and (subject == code_subject or subject == _INITIALS[code]):
            score += 3
        if archive == code_archive and subject:
            score += 1
        overlap = len(words & _NAME_WORDS[code])
        if overlap:
            score += 2 * overlap + (2 if words == _NAME_WORDS[code] else 0)
        if code in hinted:
            score += 3
        if score or distance <= max(1, len(lowered) // 4):
            scored.append((-score, distance, order, code))
    scored.sort()
    # Once something matches by meaning, candidates that are merely similar in spelling are noise.
    best = -scored[0][0] if scored else 0
    return [code for negative, *_, code in scored if -negative * 2 >= best][:n]
