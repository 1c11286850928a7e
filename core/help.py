"""Help texts for every command, in one place so that usage errors and `help <command>` agree."""

from __future__ import annotations

import difflib

from core.views import HelpEntry, HelpView

ENTRIES: tuple[HelpEntry, ...] = (
    HelpEntry("researcher", "researcher <name | ORCID | OpenAlex id>",
              "Profile card: affiliation, works and citations, h-index, topics, collaborators, recent papers. "
              "Several matches give a numbered list; choose with `researcher pick <n>`.",
              ("researcher Yoshua Bengio", "researcher 0000-0002-1825-0097", "researcher pick 2")),
    HelpEntry("institution", "institution <name | ROR id or URL | OpenAlex id>",
              "Institution card: country, type, parent and child institutions, works and citations, main topics, "
              "its most active researchers of the last two years and its recent papers, with its members marked. "
              "Several matches give a numbered list; choose with `institution pick <n>`.",
              ("institution University of Florida", "institution https://ror.org/02y3ad647", "institution I33213144",
               "institution pick 1")),
    HelpEntry("paper", "paper <arXiv id | DOI | link | OpenAlex or Semantic Scholar id | title>",
              "Paper card: authors, date, categories, abstract, links, citations and code when known. Takes "
              "arXiv, doi.org, bioRxiv, medRxiv and publisher links, W… OpenAlex ids and CorpusID:…; a title "
              "not on arXiv is searched in Semantic Scholar and OpenAlex.",
              ("paper 1706.03762", "paper https://arxiv.org/abs/2401.01234v2", "paper 10.1038/nphys1170",
               "paper https://www.biorxiv.org/content/10.1101/2020.03.22.002386v3", "paper W2741809807",
               "paper CorpusID:215416146")),
    HelpEntry("trending", "trending [YYYY-MM-DD]",
              "Hugging Face daily papers for a day, most upvoted first; without a day, the latest day with papers.",
              ("trending", "trending 2026-08-21")),
    HelpEntry("subscribe", "subscribe topic <query> | subscribe category <arXiv category> | "
                           "subscribe similar <paper> [<paper> ...] | subscribe trending [top N]",
              "A topic searches every arXiv archive this server reads (all of them, unless it is set otherwise): "
              'words (all must match), "quoted phrases", OR between groups, -word or -"phrase" to exclude, '
              "cat:cs.LG or cat:astro-ph.* to narrow it to categories, has:code for papers whose code is out, "
              'venue:ICLR or venue:"Phys. Rev. B" for papers accepted or published there. `similar` brings new '
              "papers close to up to ten example papers, from all of arXiv, even with no word in common. `trending` ends "
              "each digest with the day's most upvoted Hugging Face papers (5 unless `top N` says).",
              ('subscribe topic "graph neural networks" -survey', "subscribe topic dark matter -review",
               "subscribe topic diffusion OR \"score matching\" cat:cs.LG", "subscribe topic diffusion has:code venue:NeurIPS",
               "subscribe category stat.ML", "subscribe category astro-ph.*", "subscribe similar 2401.01234",
               "subscribe trending", "subscribe trending top 8"),
              manage=True),
    HelpEntry("follow", "follow <name | ORCID | OpenAlex id> | follow lab | "
                        "follow institution <name | ROR id | OpenAlex id> | "
                        "follow citations <researcher | OpenAlex work id | DOI | arXiv id>",
              "Follow a researcher by their stable id (not a name string): their new papers come in the digest. "
              "`follow lab` follows everyone here who said who they are with `iam`, and whoever does so later "
              "(`unfollow lab` stops that). `follow institution` brings new papers with an author at that "
              "institution or one of its labs, and fresh arXiv papers by its active researchers (needs OpenAlex: "
              "the operator sets OPENALEX_API_KEY). `follow citations` adds a \"New citations\" section: works "
              "published since the last digest that cite the paper or the researcher's most cited papers (at most 10 "
              "a digest, with a count of the rest), each saying which paper it cites. It needs OPENALEX_API_KEY and "
              "costs one OpenAlex list call per followed target a day.",
              ("follow Geoffrey Hinton", "follow pick 1", "follow A5023888391", "follow lab",
               "follow institution I33213144", "follow institution https://ror.org/02y3ad647",
               "follow citations W2741809807", "follow citations A5023888391"), manage=True),
    HelpEntry("iam", "iam <name | ORCID | OpenAlex id> | iam | iam nobody",
              "Say which researcher record is you on this workspace or server (one per person; saying it again "
              "replaces it). Their card then shows \"on this workspace: @you\", and channels that `follow lab` "
              "follow them. `iam` shows yours; `iam nobody` takes it back. Nobody checks the claim: it is a note "
              "for your colleagues.",
              ("iam 0000-0002-1825-0097", "iam Maria Garcia", "iam pick 2", "iam", "iam nobody")),
    HelpEntry("list", "list", "This channel's subscriptions with their numbers, and how many papers each matched this week and how many were shown.", ("list",)),
    HelpEntry("unsubscribe", "unsubscribe <number | topic | category>",
              "Remove a subscription by the number `list` shows, or by its topic or category.",
              ("unsubscribe 3", "unsubscribe diffusion"), manage=True),
    HelpEntry("unfollow", "unfollow <name | number | id> | unfollow lab",
              "Stop following a researcher; `unfollow lab` stops following the lab (the people it added are "
              "unfollowed, anyone also followed by hand stays).",
              ("unfollow Hinton", "unfollow 4", "unfollow lab"), manage=True),
    HelpEntry("settings", "settings [time HH:MM | timezone <Area/City | PST | UTC+2> | days mon-fri | "
                          "every day | every week on monday | max <n> | "
                          "updates on|off | crosslists on|off | quiet-notice on|off | learning on|off | "
                          "summary tldr|abstract|off]",
              "Show or change when and how the digest arrives. `every week on monday` makes it weekly (seven days "
              "in one digest), `every day` daily again. `summary` is what each paper's line says under its "
              "title: tldr (one line: Hugging Face's or Semantic Scholar's summary, else the abstract's first "
              "sentence), abstract (its opening lines) or off.",
              ("settings", "settings time 08:30", "settings timezone Europe/Paris", "settings timezone PST",
               "settings days mon,wed,fri", "settings every week on monday", "settings every day", "settings max 15", "settings updates on", "settings learning off",
               "settings summary abstract"), manage=True),
    HelpEntry("pause", "pause", "Stop the daily digest for this channel (subscriptions are kept).", ("pause",),
              manage=True),
    HelpEntry("resume", "resume", "Start the daily digest again.", ("resume",), manage=True),
    HelpEntry("digest", "digest now [--anyway] | preview | more",
              "Send the digest now, preview the next one (only you see it), or show the next papers past the cap "
              "(every subscription still takes its turn, numbered on from the digest). "
              "In a paused channel, `digest now --anyway` sends one without resuming the daily digest.",
              ("digest preview", "digest now", "digest now --anyway", "digest more")),
    HelpEntry("like", "like <paper> | dislike <paper> | unrate <paper>",
              "Rate a paper for this channel (or click 👍 / 👎 under it in a digest; a second click takes it back). "
              "One rating per person per paper; the digest learns what the channel reads.",
              ("like 2411.18562", "dislike https://arxiv.org/abs/2411.17773", "unrate 2411.18562")),
    HelpEntry("feedback", "feedback | feedback reset",
              "What the channel's ratings taught its digest: how many, by how many people, the terms and papers "
              "that weigh most for and against. `feedback reset` forgets them all.",
              ("feedback", "feedback reset")),
    HelpEntry("similar", "similar <paper>",
              "The stored recent papers closest to a paper, and Semantic Scholar's recommendations where it answers.",
              ("similar 2411.18562",)),
    HelpEntry("export", "export", "This channel's subscriptions and settings as JSON, to import elsewhere.",
              ("export",)),
    HelpEntry("import", "import <json>", "Add the subscriptions and settings from an `export`.",
              ('import {"format": "paper-radar/1", "subscriptions": [{"kind": "topic", "query": "diffusion"}]}',),
              manage=True),
    HelpEntry("status", "status", "Last and next digest, papers ingested today, and any problem.", ("status",)),
    HelpEntry("help", "help [command]", "This list, or the details of one command.", ("help subscribe",)),
)

USAGE: dict[str, str] = {entry.command: entry.usage for entry in ENTRIES}
_BY_NAME = {entry.command: entry for entry in ENTRIES}
_ALIASES = {"author": "researcher", "institute": "institution", "sub": "subscribe", "unsub": "unsubscribe", "subscriptions": "list",
            "more": "digest", "preview": "digest"}

INTRO = ("Paper Radar finds new papers for this channel: subscribe to topics, arXiv categories and researchers, "
         "and a digest arrives every morning. Anyone can look things up; changing the channel's subscriptions "
         "needs the channel manager permission.")


def help_view(topic: str | None = None) -> HelpView | None:
    """All commands, or one; None when the topic names no command."""
    if topic is None:
        return HelpView(entries=ENTRIES, intro=INTRO)
    name = _ALIASES.get(topic, topic)
    entry = _BY_NAME.get(name)
    return HelpView(entries=(entry,), topic=name) if entry else None


def suggest_command(word: str) -> str | None:
    """The command a mistyped word most likely meant."""
    names = [*_BY_NAME, *_ALIASES]
    match = difflib.get_close_matches(word.lower()[:40], names, n=1, cutoff=0.6)
    return _ALIASES.get(match[0], match[0]) if match else None
