"""A run's backlog is stored with each reason once; `digest more` still reads the runs stored before that."""

from __future__ import annotations

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
