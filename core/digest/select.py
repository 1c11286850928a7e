"""Which matched papers a digest shows within the channel's cap, and in what order the rest wait.

The matcher ranks one channel's papers as a single list (tier, then summed relevance). Cut at `max`, that
list is what one verbose subscription makes it: on the recorded 2024-11-28 feed, a channel following
`diffusion`, `"large language model" -survey` and cs.CV saw nine LLM papers in its top ten. Here each
subscription that matched gets its share instead:

- every subscription keeps its own stream of papers, in its own order, whatever other subscriptions think of
  them: a topic by its own relevance, a category what only it brings, then its papers primarily there before
  its cross-lists, newest first, a followed researcher the papers verified by id before those recognised by name; in every stream,
  revised papers come after new ones;
- the streams take turns, one paper each per round: followed researchers first, then topics and categories
  by subscription number; a paper several streams hold is taken once, by the first, with every reason;
- what the turns give first is shown (followed researchers' papers on top, the rest in turn order), and the
  rest, in the same turn order, is the run's backlog for `digest more`;
- "possibly by <name>" papers (a followed name with no evidence that it is that person) take a turn only
  after every other stream, at most `POSSIBLE_SHOWN` of them within the cap, and are shown last.

Nothing here reads the database; `plan_digest` calls it for every channel, previews and scheduled runs alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.model.papers import PaperRecord

__all__ = ["POSSIBLE_SHOWN", "Arranged", "Filing", "arrange", "filing", "matched_per_subscription"]

POSSIBLE_SHOWN = 3  # name guesses shown below everything verified, at most this many (fewer for small caps)
DISLIKED = -0.05  # a cosine with the profile this low: closer to what the channel disliked than to what it liked


class _Reason(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def by_name(self) -> bool: ...
    @property
    def score(self) -> float: ...
    @property
    def possible(self) -> bool: ...


class _Entry(Protocol):
    """What selection reads of a planned item (`core.digest.plan.PlannedItem`)."""

    @property
    def reasons(self) -> Sequence[_Reason]: ...
    @property
    def is_revision(self) -> bool: ...
    @property
    def paper_id(self) -> str: ...
    @property
    def paper(self) -> PaperRecord: ...


@dataclass(frozen=True)
class Arranged:
    """Positions into the planned items: `shown` in display order, then `backlog` in turn order."""

    shown: tuple[int, ...]
    backlog: tuple[int, ...]

    @property
    def order(self) -> tuple[int, ...]:
        return self.shown + self.backlog


Filing = tuple[int, int, float]  # (subscription number, TOPIC | BUCKET | FOLLOWED | POSSIBLE, score or rank class)
TOPIC, BUCKET, FOLLOWED, POSSIBLE = 0, 1, 2, 3


def filing(reason: _Reason) -> Filing:
    """Where `_streams` files a new paper for `reason`: a topic's stream by its own relevance, a category's rank
    class (primary papers before cross-lists), a person's (verified by id before recognised by name), or the
    name guesses. Worked out once on a planned item whose only reason it is (`PlannedItem.filing`)."""
    kind, number = reason.kind, reason.number
    if kind == "topic" or kind == "similar":
        return number, TOPIC, -reason.score
    if kind == "category":
        return number, BUCKET, 1 if "cross-listed" in reason.text else 0
    if reason.possible and kind == "researcher":
        return number, POSSIBLE, 0
    return number, FOLLOWED, 1 if reason.by_name else 0


def _streams(items: Sequence[_Entry], filings: Sequence[Filing | None] | None = None
             ) -> tuple[list[list[int]], list[int], list[int]]:
    """Each subscription's papers in its own order, streams in turn order, their numbers, and the "possibly by"
    papers.

    A plan holds every match of the day (hundreds for a broad channel) and the clock plans thousands of
    channels, so this is one pass with the cheap cases inline rather than a sort key per paper.
    """
    topics: dict[int, list[tuple[float, int]]] = {}  # number -> (-own score, position)
    buckets: dict[int, list[list[int]]] = {}  # number -> its papers by rank class, each in the matcher's order
    revised: dict[int, list[int]] = {}  # number -> revised older papers, after all its new ones
    researchers: set[int] = set()
    possible: list[int] = []
    given = filings if filings is not None else [None] * len(items)
    for index, (item, filed) in enumerate(zip(items, given, strict=True)):
        placed: Sequence[Filing]
        if filed is not None:  # a new paper with one reason, filed beforehand (`PlannedItem.filing`)
            placed, shared = (filed,), False
        else:
            reasons = item.reasons
            if item.is_revision:
                real = False  # a revision only a name guess brought waits with the other guesses
                for reason in reasons:
                    kind = reason.kind
                    if kind == "researcher" and reason.possible:
                        continue
                    real = True
                    number = reason.number
                    later = revised.get(number)
                    if later is None:
                        revised[number] = [index]
                    else:
                        later.append(index)
                    if kind == "researcher":
                        researchers.add(number)
                if reasons and not real:
                    possible.append(index)
                continue
            placed, shared = [filing(reason) for reason in reasons], len(reasons) > 1
        for number, where, value in placed:
            if where == TOPIC:
                found = topics.get(number)
                if found is None:
                    found = topics[number] = []
                found.append((value, index))
                continue
            if where == POSSIBLE:
                if not shared:
                    possible.append(index)
                continue
            if where == FOLLOWED:
                researchers.add(number)
            elif shared:
                # A category's paper a topic also matched comes in that topic's turns, so the category's own
                # turns bring first what only it brings, primary papers before cross-lists.
                value += 2
            lists = buckets.get(number)
            if lists is None:
                lists = buckets[number] = [[], [], [], []]
            lists[int(value)].append(index)
    streams: dict[int, list[int]] = {number: [i for _, i in sorted(found)] for number, found in topics.items()}
    for number, lists in buckets.items():
        streams[number] = [i for part in lists for i in part]
    for number, later in revised.items():
        streams.setdefault(number, []).extend(later)
    order = sorted(streams, key=lambda n: (n not in researchers, n))
    return [streams[n] for n in order], order, possible


def _rank_class(item: _Entry, number: int) -> int:
    """The rank class `_streams` files a category or researcher paper under (smaller first)."""
    for reason in item.reasons:
        if reason.number == number:
            if reason.kind == "category":
                return 2 * (len(item.reasons) > 1) + ("cross-listed" in reason.text)
            return 1 if reason.by_name else 0
    return 0


def _own_score(item: _Entry, number: int) -> float:
    return next((r.score for r in item.reasons if r.number == number), 0.0)


def _blend(items: Sequence[_Entry], streams: list[list[int]], numbers: list[int], affinity: Sequence[float],
           weight: float, scale: float | None) -> tuple[list[list[int]], set[int]]:
    """Each stream reordered by its own order blended with the channel's profile, and the papers the profile
    strongly dislikes taken out (they go after everything, past the cap).

    A topic's relevance (divided by its best) is blended with the affinity (divided by the best in the digest);
    a category's or a person's stream keeps its rank classes and is ordered by the affinity within each.
    """
    best = scale if scale is not None else max((a for a in affinity if a > 0), default=0.0)
    sunk = {i for i, a in enumerate(affinity) if a <= DISLIKED}
    blended: list[list[int]] = []
    for stream, number in zip(streams, numbers, strict=True):
        keep = [i for i in stream if i not in sunk]
        if not keep:
            blended.append(keep)
            continue
        if any(r.kind in ("topic", "similar") and r.number == number for r in items[keep[0]].reasons):
            scores = [_own_score(items[i], number) for i in keep]
            top = max(scores) or 1.0
            own = [score / top for score in scores]
            classes = [0] * len(keep)
        else:
            # A category or a followed person has no relevance of its own: its rank classes stay (what only it
            # brings, primary papers, verified ones first) and within a class the profile decides.
            own = [0.0] * len(keep)
            classes = [_rank_class(items[i], number) for i in keep]
        revised = [items[i].is_revision for i in keep]
        keyed = sorted(range(len(keep)), key=lambda k: (
            revised[k], classes[k],
            -((1 - weight) * own[k] + weight * (max(affinity[keep[k]], 0.0) / best if best else 0.0))))
        blended.append([keep[k] for k in keyed])
    return blended, sunk


def arrange(items: Sequence[_Entry], max_items: int, *, affinity: Sequence[float] | None = None,
            weight: float = 0.0, scale: float | None = None,
            filings: Sequence[Filing | None] | None = None) -> Arranged:
    """Take turns over the subscriptions' streams; the first `max_items` taken are shown.

    With a profile (`affinity`: each item's cosine with what the channel liked, `weight` > 0), each stream is
    ordered by its own order blended with it, and what the profile strongly dislikes waits past the cap. The
    affinity is scaled by `scale` (the best among the papers nobody rated, so that papers already liked, which
    are the closest of all, do not flatten everyone else's), else by the best of all. `filings`: each item's
    `filing` where it is a new paper with one reason (None elsewhere), worked out beforehand."""
    streams, numbers, possible = _streams(items, filings)
    sunk: set[int] = set()
    if affinity is not None and weight > 0:
        streams, sunk = _blend(items, streams, numbers, affinity, weight, scale)
        possible = [i for i in possible if i not in sunk]
    taken = bytearray(len(items))
    turns: list[int] = []
    heads = [0] * len(streams)
    possible_cap = min(POSSIBLE_SHOWN, max(1, max_items // 10)) if possible else 0
    possible_head = 0
    live = list(range(len(streams)))
    while live or possible_head < len(possible):
        still = []
        for s in live:
            stream, head = streams[s], heads[s]
            while head < len(stream) and taken[stream[head]]:
                head += 1
            if head < len(stream):
                taken[stream[head]] = 1
                turns.append(stream[head])
                head += 1
            heads[s] = head
            if head < len(stream):
                still.append(s)
        live = still
        # A name guess takes a turn after every real subscription, and only while the cap has room for it.
        # Possibles are in no other stream, so `possible_head` counts those taken so far.
        if possible_head < len(possible) and (not live or possible_head < possible_cap):
            taken[possible[possible_head]] = 1
            turns.append(possible[possible_head])
            possible_head += 1
    return _display(items, turns, max_items, set(possible), sorted(sunk))


def _display(items: Sequence[_Entry], turns: list[int], max_items: int, possible: set[int],
             sunk: list[int]) -> Arranged:
    """Shown papers: followed researchers' first, then the other streams' in turn order, name guesses last;
    the papers the profile sank come after the whole backlog."""
    shown = turns[:max_items]
    followed = [i for i in shown if i not in possible and items[i].reasons[0].kind == "researcher"]
    guesses = [i for i in shown if i in possible]
    rest = [i for i in shown if i not in possible and items[i].reasons[0].kind != "researcher"]
    return Arranged(tuple(followed + rest + guesses), tuple(turns[max_items:]) + tuple(sunk))


def matched_per_subscription(items: Sequence[_Entry]) -> dict[int, int]:
    """How many papers each subscription matched (a paper counts for every subscription it matched)."""
    counts: dict[int, int] = {}
    get = counts.get
    for item in items:
        reasons = item.reasons
        if len(reasons) == 1:  # most papers: no set to build
            number = reasons[0].number
            counts[number] = get(number, 0) + 1
            continue
        for number in {r.number for r in reasons}:
            counts[number] = get(number, 0) + 1
    return counts
