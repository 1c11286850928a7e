"""The `/radar` slash command: the discord.py declarations of the options, handed to core's builder.

Each subcommand passes its options to `core.options.build_command`, which makes the same Command the text
grammar makes (or a UsageError in the grammar's words), and hands that to the Responder, which checks
permissions, defers, asks core and answers. Suggestions while typing come from core too (autocomplete.py).

Discord only honours `default_permissions` on top-level commands, never on subcommands, so it cannot hide
just the mutating subcommands; Manage Channels is checked when each command runs instead (see respond.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import discord
from discord import app_commands

from bots.discord.autocomplete import suggest
from bots.discord.respond import Responder
from core import commands as c
from core.commands import UsageError, unusable_import_file
from core.help import ENTRIES
from core.options import build_command

log = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 256_000
SettingName = Literal["time", "timezone", "days", "every", "max", "updates", "crosslists", "quiet-notice", "learning",
                      "summary"]
HELP_TOPICS = [app_commands.Choice(name=entry.command, value=entry.command) for entry in ENTRIES]
Choices = list[app_commands.Choice[str]]
PAPER_OPTION = "arXiv id or link, or DOI (as a digest shows it)"


def command_from(path: str, /, **options: str | None) -> c.Command | UsageError:
    """The Command core builds from a subcommand's options, or the UsageError that says what is wrong."""
    try:
        return build_command(path, options)
    except UsageError as error:
        return error


class RadarGroup(app_commands.Group):
    """`/radar …`: one subcommand per word of the command language."""

    subscribe = app_commands.Group(name="subscribe", description="Subscribe this channel to a topic or a category")
    digest = app_commands.Group(name="digest", description="Send, preview or extend this channel's digest")

    def __init__(self, responder: Responder) -> None:
        super().__init__(
            name="radar", description="Research papers for this channel: lookups, subscriptions, daily digests",
            # Lookups also work in a direct message with the bot; everything else checks for a server channel.
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
        )
        self.responder = responder

    async def _run(self, interaction: discord.Interaction[Any], command: c.Command | UsageError) -> None:
        await self.responder.run(interaction, command)

    async def _suggest(self, interaction: discord.Interaction[Any], field: str, current: str) -> Choices:
        return await suggest(self.responder.app, interaction, field, current)

    # ------------------------------------------------------------ lookups

    @app_commands.command(name="researcher", description="A researcher's profile card")
    @app_commands.describe(name="Name, ORCID or OpenAlex id (pick a suggestion for the exact person)")
    async def researcher(self, interaction: discord.Interaction[Any], name: app_commands.Range[str, 1, 200]) -> None:
        await self._run(interaction, command_from("researcher", name=name))

    @app_commands.command(name="institution", description="A research institution's card: people and recent papers")
    @app_commands.describe(name="Name, ROR id or OpenAlex id (pick a suggestion for the exact institution)")
    async def institution(self, interaction: discord.Interaction[Any], name: app_commands.Range[str, 1, 200]) -> None:
        await self._run(interaction, command_from("institution", name=name))

    @app_commands.command(name="paper", description="A paper's card: authors, abstract, links, citations")
    @app_commands.describe(query="arXiv id or link, DOI or doi.org link, or a title")
    async def paper(self, interaction: discord.Interaction[Any], query: app_commands.Range[str, 1, 500]) -> None:
        await self._run(interaction, command_from("paper", query=query))

    @app_commands.command(name="trending", description="Hugging Face daily papers, most upvoted first")
    @app_commands.describe(day="YYYY-MM-DD (default: today)")
    async def trending(self, interaction: discord.Interaction[Any], day: app_commands.Range[str, 1, 20] | None = None) -> None:
        await self._run(interaction, command_from("trending", day=day))

    # ------------------------------------------------------------ subscriptions

    @subscribe.command(name="topic", description="Papers matching a topic query")
    @app_commands.describe(query='Words, "phrases", OR, -exclusions, cat:cs.LG (like: diffusion -medical)')
    async def subscribe_topic(self, interaction: discord.Interaction[Any], query: app_commands.Range[str, 1, 500]) -> None:
        await self._run(interaction, command_from("subscribe topic", query=query))

    @subscribe.command(name="category", description="Every new paper in an arXiv category")
    @app_commands.describe(category="An arXiv category like cs.LG, or a whole archive like cs.*")
    async def subscribe_category(self, interaction: discord.Interaction[Any], category: app_commands.Range[str, 1, 40]) -> None:
        await self._run(interaction, command_from("subscribe category", category=category))

    @subscribe.command(name="trending", description="A \"Trending today\" section of Hugging Face's daily papers")
    @app_commands.describe(top="How many trending papers each digest shows (5 unless you say)")
    async def subscribe_trending(self, interaction: discord.Interaction[Any],
                                 top: app_commands.Range[int, 1, 20] | None = None) -> None:
        await self._run(interaction, command_from("subscribe trending", top=str(top) if top else None))

    @subscribe_category.autocomplete("category")
    async def _categories(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        return await self._suggest(interaction, "category", current)

    @subscribe.command(name="similar", description="New papers close to example papers, from all of arXiv")
    @app_commands.describe(papers="Up to ten arXiv ids, DOIs or links, separated by spaces")
    async def subscribe_similar(self, interaction: discord.Interaction[Any], papers: app_commands.Range[str, 1, 1500]) -> None:
        await self._run(interaction, command_from("subscribe similar", papers=papers))

    @app_commands.command(name="follow", description="Follow a researcher: their new papers come in the digest")
    @app_commands.describe(name="Name, ORCID or OpenAlex id (pick a suggestion), or lab: everyone here who used iam")
    async def follow(self, interaction: discord.Interaction[Any], name: app_commands.Range[str, 1, 200]) -> None:
        await self._run(interaction, command_from("follow", name=name))

    @app_commands.command(name="follow-citations",
                          description="A \"New citations\" section: new works citing a researcher or a paper")
    @app_commands.describe(target="A researcher (ORCID, OpenAlex id or name) or a paper (W…, DOI or arXiv id)")
    async def follow_citations(self, interaction: discord.Interaction[Any],
                               target: app_commands.Range[str, 1, 200]) -> None:
        await self._run(interaction, command_from("follow citations", target=target))

    @follow_citations.autocomplete("target")
    async def _citation_targets(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        return await self._suggest(interaction, "researcher", current)

    @app_commands.command(name="iam", description="Say which researcher you are on this server (shown on their card)")
    @app_commands.describe(name="Your name, ORCID or OpenAlex id; nobody to take it back; empty to see yours")
    async def iam(self, interaction: discord.Interaction[Any],
                  name: app_commands.Range[str, 1, 200] | None = None) -> None:
        await self._run(interaction, command_from("iam", name=name))

    @app_commands.command(name="follow-institution",
                          description="Follow an institution: papers by its people come in the digest")
    @app_commands.describe(name="Name, ROR id or OpenAlex id (pick a suggestion for the exact institution)")
    async def follow_institution(self, interaction: discord.Interaction[Any],
                                 name: app_commands.Range[str, 1, 200]) -> None:
        await self._run(interaction, command_from("follow institution", name=name))

    @institution.autocomplete("name")
    @follow_institution.autocomplete("name")
    async def _institution_names(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        return await self._suggest(interaction, "institution", current)

    @researcher.autocomplete("name")
    @follow.autocomplete("name")
    @iam.autocomplete("name")
    async def _researcher_names(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        return await self._suggest(interaction, "researcher", current)

    @app_commands.command(name="list", description="This channel's subscriptions and their numbers")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("list"))

    @app_commands.command(name="unsubscribe", description="Remove one of this channel's subscriptions")
    @app_commands.describe(number="The number /radar list shows")
    async def unsubscribe(self, interaction: discord.Interaction[Any], number: app_commands.Range[int, 1, 99_999_999]) -> None:
        await self._run(interaction, command_from("unsubscribe", number=str(number)))

    @unsubscribe.autocomplete("number")
    async def _subscription_numbers(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[int]]:
        choices = await self._suggest(interaction, "subscription", str(current))
        # The option is an integer: Discord rejects a choice whose value is not one.
        return [app_commands.Choice(name=choice.name, value=int(choice.value)) for choice in choices
                if choice.value.isdecimal()]

    @app_commands.command(name="unfollow", description="Stop following a researcher")
    @app_commands.describe(who="A followed researcher: name, number from /radar list, or id; lab to stop following the lab")
    async def unfollow(self, interaction: discord.Interaction[Any], who: app_commands.Range[str, 1, 200]) -> None:
        await self._run(interaction, command_from("unfollow", who=who))

    @unfollow.autocomplete("who")
    async def _followed(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        return await self._suggest(interaction, "followed", current)

    # ------------------------------------------------------------ settings

    @app_commands.command(name="settings", description="Show the digest settings, or change one")
    @app_commands.describe(name="The setting to change (leave empty to show them all)",
                           value="The new value, like 08:30, Europe/Paris, mon-fri, 15 or on")
    async def settings(self, interaction: discord.Interaction[Any], name: SettingName | None = None,
                       value: app_commands.Range[str, 1, 100] | None = None) -> None:
        await self._run(interaction, command_from("settings", name=name, value=value))

    @settings.autocomplete("value")
    async def _setting_values(self, interaction: discord.Interaction[Any], current: str) -> Choices:
        # The values depend on the setting already chosen in the same form.
        setting = getattr(interaction.namespace, "name", None) or ""
        return await self._suggest(interaction, f"setting:{setting}", current)

    @app_commands.command(name="pause", description="Stop the daily digest here (subscriptions are kept)")
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("pause"))

    @app_commands.command(name="resume", description="Start the daily digest again")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("resume"))

    # ------------------------------------------------------------ digests

    @digest.command(name="now", description="Send this channel's digest now")
    @app_commands.describe(anyway="Send it even though the channel is paused (the daily digest stays paused)")
    async def digest_now(self, interaction: discord.Interaction[Any], anyway: bool = False) -> None:
        await self._run(interaction, command_from("digest now", anyway="yes" if anyway else None))

    @digest.command(name="preview", description="What the next digest would hold (only you see it)")
    async def digest_preview(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("digest preview"))

    @digest.command(name="more", description="The papers past the cap of the latest digest")
    async def digest_more(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("digest more"))

    # ------------------------------------------------------------ ratings and what they taught

    @app_commands.command(name="like", description="👍 a paper for this channel: the digest learns from it")
    @app_commands.describe(paper=PAPER_OPTION)
    async def like(self, interaction: discord.Interaction[Any], paper: app_commands.Range[str, 1, 500]) -> None:
        await self._run(interaction, command_from("like", paper=paper))

    @app_commands.command(name="dislike", description="👎 a paper for this channel: the digest learns from it")
    @app_commands.describe(paper=PAPER_OPTION)
    async def dislike(self, interaction: discord.Interaction[Any], paper: app_commands.Range[str, 1, 500]) -> None:
        await self._run(interaction, command_from("dislike", paper=paper))

    @app_commands.command(name="unrate", description="Take back your rating of a paper")
    @app_commands.describe(paper=PAPER_OPTION)
    async def unrate(self, interaction: discord.Interaction[Any], paper: app_commands.Range[str, 1, 500]) -> None:
        await self._run(interaction, command_from("unrate", paper=paper))

    @app_commands.command(name="feedback", description="What this channel's ratings taught its digest")
    @app_commands.describe(reset="Forget every rating of this channel (channel managers)")
    async def feedback(self, interaction: discord.Interaction[Any], reset: bool = False) -> None:
        await self._run(interaction, command_from("feedback", reset="yes" if reset else None))

    @app_commands.command(name="similar", description="The recent papers closest to a paper")
    @app_commands.describe(paper="arXiv id or link, DOI or doi.org link, or a title")
    async def similar(self, interaction: discord.Interaction[Any], paper: app_commands.Range[str, 1, 500]) -> None:
        await self._run(interaction, command_from("similar", paper=paper))

    # ------------------------------------------------------------ moving, status, help

    @app_commands.command(name="export", description="This channel's subscriptions and settings as JSON")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("export"))

    @app_commands.command(name="import", description="Add the subscriptions and settings of an export")
    @app_commands.describe(json="The JSON that /radar export produced", file="Or the exported file")
    async def import_(self, interaction: discord.Interaction[Any], json: app_commands.Range[str, 1, 6000] | None = None,
                      file: discord.Attachment | None = None) -> None:
        await self._run(interaction, await import_command(json, file))

    @app_commands.command(name="status", description="Last and next digest, papers today, and any problem")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await self._run(interaction, command_from("status"))

    @app_commands.command(name="help", description="What Paper Radar can do")
    @app_commands.describe(command="One command, with examples")
    @app_commands.choices(command=HELP_TOPICS)
    async def help(self, interaction: discord.Interaction[Any], command: str | None = None) -> None:
        await self._run(interaction, command_from("help", command=command))


async def import_command(payload: str | None, file: discord.Attachment | None) -> c.Command | UsageError:
    """The export pasted into `json`, or attached as `file` (read here: reading an attachment is Discord's)."""
    if file is not None:
        if file.size > MAX_IMPORT_BYTES:
            return unusable_import_file(file.size)
        try:
            data = await asyncio.wait_for(file.read(), timeout=2.0)
            payload = data.decode("utf-8")
        except (TimeoutError, discord.HTTPException, UnicodeDecodeError) as error:
            log.info("could not read an import file: %s", error)
            return unusable_import_file()
    return command_from("import", json=payload)


class RadarTree(app_commands.CommandTree[Any]):
    """The command tree, answering a failed command with a short ephemeral message instead of silence."""

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /) -> None:
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            message = ("This command changed since it was registered here. A server admin can refresh it with "
                       "`radar discord sync`; try again in a minute.")
        elif isinstance(error, app_commands.TransformerError):
            message = f"I couldn't read the option `{error.value}`: {error}"
        else:
            log.error("slash command failed", exc_info=error)
            message = "Something went wrong on our side answering that. Nothing in this channel was changed."
        if interaction.type is discord.InteractionType.autocomplete or interaction.response.is_done():
            return
        try:
            await interaction.response.send_message(message, ephemeral=True,
                                                    allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not tell interaction %s about its error", interaction.id)


def build_tree(client: discord.Client, responder: Responder) -> RadarTree:
    tree = RadarTree(client)
    tree.add_command(RadarGroup(responder))
    return tree
