"""The channel and researcher-profile storage the features use: frozen values out, named changes in."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from core.model.channels import Subscription
from core.model.context import Destination
from core.model.papers import PaperRecord
from core.model.researchers import AuthorProfile
from core.storage import channels, repos
from core.storage.db import Database
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, ResearcherRow, utcnow
from core.storage.researchers import find_saved_profile, save_profile

CHANNEL = Destination("slack", "T1", "C1")
OTHER = Destination("discord", "G1", "42")


async def test_settings_of_an_unknown_channel_are_the_defaults_and_store_nothing(db: Database) -> None:
    async with db.session() as session:
        settings = await channels.channel_settings(session, CHANNEL)
        assert await channels.find_channel(session, CHANNEL) is None
    assert settings == channels.default_settings()
    assert (settings.timezone, settings.digest_time, settings.weekdays, settings.paused) == (
        "UTC", "08:00", "mon-fri", False)


async def test_channel_snapshots_are_frozen(db: Database) -> None:
    async with db.session() as session:
        channel = await channels.ensure_channel(session, CHANNEL)
        sub = await channels.add_subscription(session, channel.id, kind="topic", query="diffusion")
        await session.commit()
    with pytest.raises(dataclasses.FrozenInstanceError):
        channel.settings.paused = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        sub.number = 9  # type: ignore[misc]


async def test_save_settings_writes_only_what_changed(db: Database) -> None:
    async with db.session() as session:
        channel = await channels.ensure_channel(session, CHANNEL)
        await session.commit()
    # Two people change two different settings at once: both changes survive.
    async with db.session() as first, db.session() as second:
        mine = await channels.ensure_channel(first, CHANNEL)
        theirs = await channels.ensure_channel(second, CHANNEL)
        now_mine = await channels.save_settings(
            first, mine, dataclasses.replace(mine.settings, timezone="Europe/Berlin"))
        await first.commit()
        await channels.save_settings(second, theirs, dataclasses.replace(theirs.settings, max_items=25))
        await second.commit()
    assert now_mine == dataclasses.replace(mine, timezone="Europe/Berlin")
    assert now_mine.settings == dataclasses.replace(mine.settings, timezone="Europe/Berlin")
    async with db.session() as session:
        stored = await channels.channel_settings(session, CHANNEL)
        row = await session.get(DestinationRow, channel.id)
    assert (stored.timezone, stored.max_items) == ("Europe/Berlin", 25)
    assert row is not None and (row.timezone, row.max_items) == ("Europe/Berlin", 25)


async def test_subscriptions_come_back_as_values_and_stay_per_channel(db: Database) -> None:
    async with db.session() as session:
        mine = await channels.ensure_channel(session, CHANNEL)
        theirs = await channels.ensure_channel(session, OTHER)
        await channels.add_subscription(session, mine.id, kind="topic", query="diffusion", created_by="U1")
        person = await channels.add_subscription(
            session, mine.id, kind="researcher", openalex_id="A1", display_name="Ada", name_variants=["Ada", "A. L."])
        await channels.add_subscription(session, theirs.id, kind="category", query="hep-th")
        await session.commit()
    assert person == Subscription(number=2, kind="researcher", openalex_id="A1", display_name="Ada",
                                  name_variants=("Ada", "A. L."), destination_id=mine.id)
    async with db.session() as session:
        assert await channels.remove_subscription(session, theirs.id, 2) is None  # not theirs to remove
        removed = await channels.remove_subscription(session, mine.id, 1)
        await session.commit()
    assert removed is not None and (removed.number, removed.query, removed.created_by) == (1, "diffusion", "U1")
    async with db.session() as session:
        assert [s.number for s in await channels.list_subscriptions(session, mine.id)] == [2]
        assert await channels.count_subscriptions(session, theirs.id) == 1


async def test_delivery_reasons_since_reads_what_one_channel_was_sent_in_the_window(db: Database) -> None:
    async with db.session() as session:
        mine = await channels.ensure_channel(session, CHANNEL)
        theirs = await channels.ensure_channel(session, OTHER)
        await session.commit()
    now = utcnow()
    async with db.session() as session:
        assert await channels.delivery_reasons_since(session, mine.id, now - timedelta(days=7)) == []
        run = DigestRunRow(destination_id=mine.id)
        other_run = DigestRunRow(destination_id=theirs.id)
        session.add_all([run, other_run])
        await session.flush()
        await repos.upsert_papers(session, [PaperRecord(title=f"P{i}", arxiv_id=f"2401.0000{i}") for i in (1, 2, 3)])
        assert run.id is not None and other_run.id is not None
        session.add_all([
            DeliveryRow(destination_id=mine.id, paper_id="arXiv:2401.00001", run_id=run.id,
                        reasons=[{"subscription": 1}], claimed_at=now - timedelta(days=1),
                        sent_at=now - timedelta(days=1)),
            DeliveryRow(destination_id=mine.id, paper_id="arXiv:2401.00002", run_id=run.id,
                        reasons=[{"subscription": 2}], claimed_at=now - timedelta(days=8),
                        sent_at=now - timedelta(days=8)),
            DeliveryRow(destination_id=theirs.id, paper_id="arXiv:2401.00003", run_id=other_run.id,
                        reasons=[{"subscription": 1}], claimed_at=now - timedelta(days=1),
                        sent_at=now - timedelta(days=1)),
            # Claimed but never sent (a run that stopped): not shown, so not counted.
            DeliveryRow(destination_id=mine.id, paper_id="arXiv:2401.00003", run_id=run.id,
                        reasons=[{"subscription": 3}], claimed_at=now - timedelta(days=1)),
        ])
        await session.commit()
    async with db.session() as session:
        assert await channels.delivery_reasons_since(session, mine.id, now - timedelta(days=7)) == [
            [{"subscription": 1}]]


async def test_saved_profiles_are_found_by_any_id_the_richest_first(db: Database) -> None:
    fetched = utcnow()
    openalex = AuthorProfile(openalex_id="A1", orcid="0000-0001-6187-6610", display_name="Jason Priem",
                             alternative_names=("J. Priem",), source="openalex")
    s2 = AuthorProfile(s2_id="123", orcid="0000-0001-6187-6610", display_name="J. Priem", source="semanticscholar")
    async with db.session() as session:
        assert await save_profile(session, s2, fetched)
        await session.commit()
    async with db.session() as session:
        assert await save_profile(session, openalex, fetched)
        await session.commit()
    async with db.session() as session:
        by_orcid = await find_saved_profile(session, "orcid", "0000-0001-6187-6610")
        by_s2 = await find_saved_profile(session, "s2", "123")
        assert await find_saved_profile(session, "name", "Jason Priem") is None
        assert await find_saved_profile(session, "openalex", "A404") is None
    assert by_orcid is not None and by_orcid.profile is not None
    assert AuthorProfile.from_json(by_orcid.profile).openalex_id == "A1"  # the OpenAlex row is the richer one
    assert by_s2 is not None and by_s2.profile is not None and by_s2.fetched_at is not None
    assert AuthorProfile.from_json(by_s2.profile).display_name == "J. Priem"


async def test_save_profile_without_ids_saves_nothing(db: Database) -> None:
    async with db.session() as session:
        assert not await save_profile(session, AuthorProfile(display_name="Nobody", source="openalex"), utcnow())
        assert (await session.exec(ResearcherRow.__table__.select())).first() is None  # type: ignore[attr-defined,call-overload]


async def test_save_profile_that_collides_gives_way(db: Database) -> None:
    profile = AuthorProfile(openalex_id="A1", display_name="Ada", source="openalex")
    async with db.session() as session:
        # How another request's insert of the same person looks from here: a row with the same id that the
        # lookup inside `save_profile` does not see.
        with session.no_autoflush:
            session.add(ResearcherRow(openalex_id="A1", display_name="Other"))
            assert not await save_profile(session, profile, utcnow())
        await session.commit()  # the caller may still commit: the session was rolled back, not broken
    async with db.session() as session:
        assert await save_profile(session, profile, utcnow())
        await session.commit()
    async with db.session() as session:
        saved = await find_saved_profile(session, "openalex", "A1")
    assert saved is not None and saved.profile is not None
    assert AuthorProfile.from_json(saved.profile).display_name == "Ada"


async def test_the_clocks_plain_read_of_subscriptions_equals_the_mapped_one_for_every_kind(db: Database) -> None:
    """Stored subscriptions are filled in without their `__init__` (`channels.stored_subscription`: the clock
    reads 100,000 at a time): the clock's plain read gives what the mapped read gives, whatever the kind, and
    every field is there as the dataclass's own constructor would set it."""
    from core.model.institutions import InstitutionRoster, RosterMember
    from core.model.researchers import ResearcherEvidence
    from core.storage import digest_inputs

    evidence = ResearcherEvidence(coauthors=("ada lovelace",), institutions=("I1",), categories=("cs.CV",),
                                  terms=("detection", "3d"))
    roster = InstitutionRoster((RosterMember("A1", "Wei Wang", evidence), RosterMember("A2", "Li Na")))
    async with db.session() as session:
        first = await channels.ensure_channel(session, CHANNEL)
        second = await channels.ensure_channel(session, OTHER)
        await channels.add_subscription(session, first.id, kind="topic", query='"large language" -survey')
        await channels.add_subscription(session, first.id, kind="category", query="cs.CV")
        await channels.add_subscription(session, first.id, kind="researcher", openalex_id="A5", orcid="0000-0001",
                                        s2_id="77", display_name="Wei Wang", name_variants=["W. Wang", "Wang Wei"],
                                        evidence=evidence.to_json(), created_by="U1")
        await channels.add_subscription(session, second.id, kind="similar", query="ex:1",
                                        examples={"vectors": [[[1, 2], [0.5, 0.5]]], "titles": ["A paper"]})
        await channels.add_subscription(session, second.id, kind="institution", openalex_id="I9",
                                        display_name="MIT", roster=roster.to_json())
        await session.commit()
    async with db.session() as session:
        plain = await digest_inputs.channels_subscriptions(session, [first.id, second.id])
        mapped = {i: await channels.list_subscriptions(session, i) for i in (first.id, second.id)}
    assert plain == mapped
    assert [s.kind for s in plain[first.id]] == ["topic", "category", "researcher"]
    researcher = plain[first.id][2]
    assert (researcher.evidence, researcher.name_variants, researcher.created_by) == (
        evidence, ("W. Wang", "Wang Wei"), "U1")
    assert plain[second.id][0].examples == {"vectors": [[[1, 2], [0.5, 0.5]]], "titles": ["A paper"]}
    assert plain[second.id][1].roster == roster
    # Every field is compared, the ones left out of equality too.
    for got, want in zip(plain[first.id] + plain[second.id], mapped[first.id] + mapped[second.id], strict=True):
        assert vars(got) == vars(want) == vars(Subscription(**vars(got)))
