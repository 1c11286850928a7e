"""A run's backlog is stored with each reason once; `digest more` still reads the runs stored before that."""

from __future__ import annotations

import orjson

from core.storage.db import json_text
from core.storage.ledger import backlog_ids, backlog_item, packed_backlog

TOPIC = {"kind": "topic", "subscription": 1, "text": 'topic "diffusion"', "by_name": False}
CATEGORY = {"kind": "category", "subscription": 2, "text": "cs.CV", "by_name": False}


def test_packed_backlog_gives_each_paper_its_reasons_in_order() -> None:
    stored = packed_backlog([TOPIC, CATEGORY], {"arXiv:2411.00002": [0, None, [1]],
                                                "arXiv:2411.00001": [2, 2, [0, 1]]})
    assert backlog_ids(stored) == ["arXiv:2411.00002", "arXiv:2411.00001"]
    assert backlog_item(stored, "arXiv:2411.00001") == (2, 2, [TOPIC, CATEGORY])
    assert backlog_item(stored, "arXiv:2411.00002") == (0, None, [CATEGORY])
    assert backlog_item(stored, "arXiv:2411.99999") == (0, None, [])


def test_a_backlog_stored_before_the_packed_format_still_reads() -> None:
    stored = {"arXiv:2411.00003": {"reasons": [TOPIC], "revision": 3, "version": 3},
              "arXiv:2411.00004": {"reasons": [CATEGORY], "revision": 0, "version": None}}
    assert backlog_ids(stored) == ["arXiv:2411.00003", "arXiv:2411.00004"]
    assert backlog_item(stored, "arXiv:2411.00003") == (3, 3, [TOPIC])
    assert backlog_item(stored, "arXiv:2411.00005") == (0, None, [])


def test_a_plans_backlog_is_stored_with_each_reason_once_and_read_back_per_paper() -> None:
    from datetime import date

    from core.digest.deliver import _backlog
    from core.digest.matching import DigestMatch, MatchReason
    from core.digest.plan import PlannedItem
    from core.model.papers import PaperRecord

    def item(paper_id: str, *reasons: MatchReason, versions: tuple[int, ...] = (1,), revision: int = 0) -> PlannedItem:
        paper = PaperRecord(title=paper_id, announced=date(2024, 11, 28), versions=versions)
        return PlannedItem(DigestMatch(paper_id, paper, reasons, 0.0), revision)

    topic = MatchReason("topic", 1, 'topic #1: matched "diffusion" in title', score=3.2)
    same_topic_other_score = topic._replace(score=1.1)  # the score is not stored: the same reason
    category = MatchReason("category", 2, "new in cs.CV")
    guess = MatchReason("researcher", 3, "possibly by Wei Wang", by_name=True, possible=True)
    sure = MatchReason("researcher", 3, "possibly by Wei Wang", by_name=True)  # same words, not a guess
    odd = 'doi:10.1000/"quoted"\\back\u2028\x01é'  # text JSON must escape, in a paper's id
    packed = _backlog([item("a", topic, category), item("b", same_topic_other_score), item("c", guess),
                       item("d", sure, versions=(1, 2, 3), revision=3), item(odd, topic, versions=())])
    stored = orjson.loads(packed.text)
    # Written piece by piece, it is the very text the JSON encoder writes of the value it stands for.
    assert packed.text == json_text(stored) and packed.waiting == 5
    assert len(stored["reasons"]) == 4
    assert backlog_ids(stored) == ["a", "b", "c", "d", odd]
    assert backlog_item(stored, odd) == (0, None, backlog_item(stored, "b")[2])
    assert backlog_item(stored, "a") == (0, 1, [
        {"kind": "topic", "subscription": 1, "text": 'topic #1: matched "diffusion" in title', "by_name": False},
        {"kind": "category", "subscription": 2, "text": "new in cs.CV", "by_name": False}])
    assert backlog_item(stored, "b")[2] == backlog_item(stored, "a")[2][:1]
    assert backlog_item(stored, "c")[2][0]["possible"] is True
    assert backlog_item(stored, "d") == (3, 3, [{"kind": "researcher", "subscription": 3,
                                                 "text": "possibly by Wei Wang", "by_name": True}])
