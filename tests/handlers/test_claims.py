"""The researcher card's "here" part: how sure we are, who follows them in this workspace, who said `iam`; and
`follow lab` / `unfollow lab`, as people in two channels of one workspace see them."""

from __future__ import annotations

from typing import Any

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import FollowLab, IAm, LookupResearcher, PickCandidate, UnfollowLab
from core.model.context import Actor, Destination
from core.service import handle
from core.views import Notice, PickList, Problem, ResearcherCard, Visibility
from tests.fakes import SourceRouter, ask_text
from tests.handlers.test_researchers import namesake_routes, subscriptions

ALICE = Actor("console", "alice", can_manage=True)
BOB = Actor("console", "bob", can_manage=False)
LAB_CHANNEL = CONSOLE_DESTINATION
OTHER_CHANNEL = Destination("console", CONSOLE_DESTINATION.workspace_id, "other")
ELSEWHERE = Destination("console", "another-workspace", "general")
NO_ORCID = "A5100000004"  # a Maria Garcia whose OpenAlex profile has no ORCID


async def _as(app: Any, actor: Actor, where: Destination, command: Any) -> Any:
    return await handle(command, actor, where, app=app)


async def test_card_says_how_sure_who_follows_and_who_claimed(app_factory: Any, synthetic: Any) -> None:
    router = namesake_routes(SourceRouter(), synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")
    picks = await _as(app, BOB, LAB_CHANNEL, IAm("Maria Garcia"))
    # The pick list says how sure each record is: two have an ORCID, one only an OpenAlex profile.
    assert isinstance(picks, PickList) and picks.action == "iam"
    assert [c.identity for c in picks.candidates] == ["ORCID", "ORCID", "OpenAlex id"]
    noted = await _as(app, BOB, LAB_CHANNEL, PickCandidate("iam", 2))
    assert isinstance(noted, Notice) and noted.visibility is Visibility.EPHEMERAL
    assert "On this workspace you are Maria Garcia (University of Toronto)" in noted.text
    await ask_text(app, "follow A5100000002")
    card = await _as(app, ALICE, OTHER_CHANNEL, LookupResearcher("A5100000002"))
    assert isinstance(card, ResearcherCard)
    assert card.claimed_by == ("bob",) and card.followers == 1 and not card.followed
    assert card.identity == "ORCID" and card.identity_note.startswith("linked to ORCID 0000-0001-9876-5439")
    _, text = await ask_text(app, "researcher A5100000002")
    assert "On this workspace: @bob" in text and "Followed by 1 channel of this workspace" in text
    assert "How sure: linked to ORCID 0000-0001-9876-5439: the person's own record" in " ".join(text.split())
    # Another workspace sees neither the claim nor the follow.
    away = await _as(app, ALICE, ELSEWHERE, LookupResearcher("A5100000002"))
    assert isinstance(away, ResearcherCard) and away.claimed_by == () and away.followers == 0
    # A record without ORCID says what that means.
    unsure = await _as(app, ALICE, LAB_CHANNEL, LookupResearcher(NO_ORCID))
    assert isinstance(unsure, ResearcherCard) and unsure.identity == "OpenAlex id"
    assert "may include a namesake's" in unsure.identity_note


async def test_iam_is_one_per_person_and_can_be_taken_back(app_factory: Any, synthetic: Any) -> None:
    app = app_factory(namesake_routes(SourceRouter(), synthetic), OPENALEX_API_KEY="k")
    shown = await _as(app, BOB, LAB_CHANNEL, IAm())
    assert isinstance(shown, Notice) and "You have not said who you are" in shown.text
    await _as(app, BOB, LAB_CHANNEL, IAm("A5100000002"))
    changed = await _as(app, BOB, LAB_CHANNEL, IAm("A5100000001"))
    assert isinstance(changed, Notice) and "Universidad de Sevilla" in changed.text
    old = await _as(app, ALICE, LAB_CHANNEL, LookupResearcher("A5100000002"))
    new = await _as(app, ALICE, LAB_CHANNEL, LookupResearcher("A5100000001"))
    assert old.claimed_by == () and new.claimed_by == ("bob",)
    shown = await _as(app, BOB, LAB_CHANNEL, IAm())
    assert "On this workspace you are Maria Garcia (Universidad de Sevilla)" in shown.text
    gone = await _as(app, BOB, LAB_CHANNEL, IAm(forget=True))
    assert isinstance(gone, Notice) and "no longer Maria Garcia" in gone.text
    card = await _as(app, ALICE, LAB_CHANNEL, LookupResearcher("A5100000001"))
    assert card.claimed_by == ()
    # Claims belong to a workspace: a direct message has none.
    dm = await _as(app, BOB, Destination("discord", "@me", "123"), IAm("A5100000001"))
    assert isinstance(dm, Problem) and dm.code == "permission"


async def test_follow_lab_follows_claims_now_and_later(app_factory: Any, synthetic: Any) -> None:
    router = namesake_routes(SourceRouter(), synthetic)
    app = app_factory(router, OPENALEX_API_KEY="k")
    await _as(app, BOB, LAB_CHANNEL, IAm("A5100000002"))
    refused = await _as(app, BOB, LAB_CHANNEL, FollowLab())
    assert isinstance(refused, Problem) and refused.code == "permission"  # changing a channel needs a manager
    followed = await _as(app, ALICE, LAB_CHANNEL, FollowLab())
    assert isinstance(followed, Notice) and followed.visibility is Visibility.CHANNEL
    assert "1 person who said who they are here" in followed.text and "Maria Garcia" in followed.text
    assert "Anyone who says `iam` later is followed too" in followed.text
    # Carol says who she is afterwards: the lab channel follows her too; a channel without the lab does not.
    carol = Actor("console", "carol")
    noted = await _as(app, carol, OTHER_CHANNEL, IAm(NO_ORCID))
    assert isinstance(noted, Notice) and "1 channel here that follow the lab now follow you" in noted.text
    people = {(s.destination_id, s.openalex_id, s.created_by) for s in await subscriptions(app)}
    assert {(oa, by) for _, oa, by in people} == {("A5100000002", "@lab"), (NO_ORCID, "@lab")}
    assert len({destination for destination, _, _ in people}) == 1  # only the lab channel
    _, listed = await ask_text(app, "list")
    assert "#1   researcher Maria Garcia" in listed and "#2   researcher Maria Garcia" in listed
    # Saying `follow lab` again adds nobody twice.
    again = await _as(app, ALICE, LAB_CHANNEL, FollowLab())
    assert "already followed" in again.text and len(await subscriptions(app)) == 2
    # Someone followed by hand stays when the lab goes; the lab's own go.
    await ask_text(app, "unfollow 2")
    await ask_text(app, f"follow {NO_ORCID}")
    stopped = await _as(app, ALICE, LAB_CHANNEL, UnfollowLab())
    assert isinstance(stopped, Notice) and "1 person it had added" in stopped.text
    assert [s.openalex_id for s in await subscriptions(app)] == [NO_ORCID]
    assert "does not follow the lab" in (await _as(app, ALICE, LAB_CHANNEL, UnfollowLab())).text


async def test_taking_a_claim_back_unfollows_it_in_lab_channels(app_factory: Any, synthetic: Any) -> None:
    app = app_factory(namesake_routes(SourceRouter(), synthetic), OPENALEX_API_KEY="k")
    await _as(app, ALICE, LAB_CHANNEL, FollowLab())
    none_yet = await _as(app, ALICE, LAB_CHANNEL, FollowLab())
    assert "nobody here has said who they are yet" in none_yet.text
    await _as(app, BOB, LAB_CHANNEL, IAm("A5100000002"))
    assert len(await subscriptions(app)) == 1
    await _as(app, BOB, LAB_CHANNEL, IAm("A5100000001"))  # Bob changes his mind: the lab follows the new one
    assert [s.openalex_id for s in await subscriptions(app)] == ["A5100000001"]
    await _as(app, BOB, LAB_CHANNEL, IAm(forget=True))
    assert await subscriptions(app) == []
