"""`iam`, `follow lab` and `unfollow lab`: people say which researcher record is them, and a channel can follow
everyone who did.

A claim is one per chat user per workspace or server, and unchecked (it is a note for colleagues, shown on the
card as "on this workspace: @name"). `follow lab` is a standing instruction, not a snapshot: the channel follows
everyone claimed here now, and each later `iam` adds that person to every channel that follows the lab. The
people the lab added are ordinary researcher subscriptions (they show in `list` and can be unfollowed one by
one), marked as the lab's, so that `unfollow lab` and `iam nobody` take back exactly those.
"""

from __future__ import annotations

from dataclasses import replace

from core.app import App
from core.commands import FollowLab, IAm, UnfollowLab
from core.model.channels import Channel, ChannelSettings
from core.model.context import Actor, Destination
from core.model.researchers import AuthorProfile, ResearcherClaim
from core.researchers.profile import plausible_names
from core.storage import channels, claims
from core.storage.db import AsyncSession
from core.subscriptions.handlers import next_digest_phrase
from core.subscriptions.setup import open_channel
from core.views import Notice, Problem, View, Visibility, plural

LAB = "@lab"  # `created_by` of the subscriptions `follow lab` adds (no chat user id looks like this)


def claim_for(actor: Actor, profile: AuthorProfile) -> ResearcherClaim:
    return ResearcherClaim(
        user_id=actor.user_id, display_name=profile.display_name[:300], openalex_id=profile.openalex_id,
        orcid=profile.orcid, s2_id=profile.s2_id, name_variants=tuple(plausible_names(profile)),
        institution=profile.institutions[0] if profile.institutions else None,
    )


def _ids(claim: ResearcherClaim) -> set[str]:
    return {claim.openalex_id} if claim.openalex_id else set()


async def _add_to_lab(session: AsyncSession, channel: Channel, claim: ResearcherClaim, limit: int) -> bool:
    """Follow `claim`'s person in a lab channel unless it already does or is full; whether it now does."""
    records = await channels.list_subscriptions(session, channel.id)
    if any(r.kind == "researcher" and claim.is_person({r.openalex_id or ""}, r.orcid, r.s2_id) for r in records):
        return False
    if len(records) >= limit:
        return False
    await channels.add_subscription(
        session, channel.id, kind="researcher", openalex_id=claim.openalex_id, orcid=claim.orcid,
        s2_id=claim.s2_id, display_name=claim.display_name, name_variants=list(claim.name_variants),
        created_by=LAB)
    return True


async def _still_claimed(session: AsyncSession, where: Destination, claim: ResearcherClaim) -> bool:
    others = await claims.workspace_claims(session, where.platform, where.workspace_id)
    return any(o.is_person(_ids(claim), claim.orcid, claim.s2_id) for o in others if o.user_id != claim.user_id)


async def save_iam(app: App, profile: AuthorProfile, actor: Actor, where: Destination) -> Notice:
    """Record the claim and have every lab channel here follow the person; the confirmation for the claimant."""
    claim = claim_for(actor, profile)
    async with app.db.session() as session:
        earlier = await claims.claim_of(session, where.platform, where.workspace_id, actor.user_id)
        await claims.save_claim(session, where.platform, where.workspace_id, claim)
        if earlier is not None and not earlier.is_person(_ids(claim), claim.orcid, claim.s2_id):
            await _forget_in_labs(session, where, earlier)
        added = 0
        for channel in await claims.lab_channels(session, where.platform, where.workspace_id):
            added += await _add_to_lab(session, channel, claim, app.settings.max_subscriptions_per_channel)
        await session.commit()
    place = f" ({claim.institution})" if claim.institution else ""
    text = (f"On this workspace you are {claim.display_name}{place}: that researcher card now says so. "
            "Nobody checks this; `iam nobody` takes it back.")
    if earlier is not None and earlier.display_name != claim.display_name:
        text += f" (Before, you were {earlier.display_name}.)"
    if added:
        text += f" {plural(added, 'channel')} here that follow the lab now follow you."
    return Notice(text, title="Noted", actor_id=actor.user_id)


async def _forget_in_labs(session: AsyncSession, where: Destination, claim: ResearcherClaim) -> int:
    """Unfollow a person in the lab channels that follow them only because of this claim."""
    if await _still_claimed(session, where, claim):
        return 0
    removed = 0
    for channel in await claims.lab_channels(session, where.platform, where.workspace_id):
        removed += await claims.remove_added_by(session, channel.id, LAB, _ids(claim), claim.orcid, claim.s2_id)
    return removed


async def show_or_forget(app: App, command: IAm, actor: Actor, where: Destination) -> View:
    """`iam` alone (who am I here?) and `iam nobody` (take it back)."""
    async with app.db.session() as session:
        if command.forget:
            claim = await claims.claim_of(session, where.platform, where.workspace_id, actor.user_id)
            if claim is None:
                return Notice("You had not said who you are on this workspace: nothing to take back.")
            await _forget_in_labs(session, where, claim)
            await claims.remove_claim(session, where.platform, where.workspace_id, actor.user_id)
            await session.commit()
            return Notice(f"You are no longer {claim.display_name} on this workspace; channels that followed "
                          "you only through `follow lab` no longer do.", title="Taken back")
        claim = await claims.claim_of(session, where.platform, where.workspace_id, actor.user_id)
    if claim is None:
        return Notice("You have not said who you are on this workspace. Say it with `iam <your name>` or "
                      "`iam <your ORCID>`.")
    return Notice(f"On this workspace you are {claim.display_name}"
                  + (f" ({claim.institution})." if claim.institution else ".")
                  + " `iam <someone else>` changes it; `iam nobody` takes it back.")


async def follow_lab(app: App, command: FollowLab, actor: Actor, where: Destination) -> Notice | Problem:
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        first = not await channels.list_subscriptions(session, channel.id)
        channel = await channels.save_settings(session, channel, _with_lab(channel, True))
        members = await claims.workspace_claims(session, where.platform, where.workspace_id)
        added = [m.display_name for m in members
                 if await _add_to_lab(session, channel, m, app.settings.max_subscriptions_per_channel)]
        full = len(await channels.list_subscriptions(session, channel.id)) >= app.settings.max_subscriptions_per_channel
        await session.commit()
    if not members:
        text = ("This channel now follows the lab, but nobody here has said who they are yet: each person's "
                "`iam <their name>` adds them.")
    else:
        names = ", ".join(added[:10]) + (f" and {len(added) - 10} more" if len(added) > 10 else "")
        text = (f"This channel now follows the lab: {plural(len(members), 'person', 'people')} who said who they "
                f"are here with `iam`" + (f" (newly followed: {names})" if added else " (already followed)")
                + ". Anyone who says `iam` later is followed too. "
                + next_digest_phrase(app, channel.settings, actor, first=first))
    if full and len(added) < len(members):
        text += (f" The channel is at its limit of {app.settings.max_subscriptions_per_channel} subscriptions: "
                 "some people were left out.")
    return Notice(text, title="Following the lab", actor_id=actor.user_id, visibility=Visibility.CHANNEL)


async def unfollow_lab(app: App, command: UnfollowLab, actor: Actor, where: Destination) -> Notice:
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        if channel is None or not channel.settings.follow_lab:
            return Notice("This channel does not follow the lab.")
        await channels.save_settings(session, channel, _with_lab(channel, False))
        removed = await claims.remove_added_by(session, channel.id, LAB, everyone=True)
        await session.commit()
    return Notice(f"This channel no longer follows the lab; {plural(removed, 'person', 'people')} it had added "
                  "are unfollowed (anyone followed by hand stays).", title="Unfollowed the lab",
                  actor_id=actor.user_id, visibility=Visibility.CHANNEL)


def _with_lab(channel: Channel, on: bool) -> ChannelSettings:
    return replace(channel.settings, follow_lab=on)
