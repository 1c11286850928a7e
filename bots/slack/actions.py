"""The action ids of our Block Kit buttons, shared by the renderers that make buttons and the listener that
answers clicks (a module of its own, so neither renderer needs the other)."""

from __future__ import annotations

# Values carry what the equivalent typed command takes.
ACTION_RESEARCHER = "radar_researcher"
ACTION_FOLLOW = "radar_follow"
ACTION_IAM = "radar_iam"
ACTION_UNSUBSCRIBE = "radar_unsubscribe"
ACTION_DIGEST_MORE = "radar_digest_more"
# 👍/👎 under each digest paper, the value its id; short, as every page of a digest repeats them ten times.
ACTION_RATE_LIKE = "radar_like"
ACTION_RATE_DISLIKE = "radar_dislike"
ACTION_LINK = "radar_link"  # link buttons: Slack still sends a click, which only needs an ack
