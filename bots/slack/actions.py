"""The action ids of our Block Kit buttons, shared by the renderers that make buttons and the listener that
answers clicks (a module of its own, so neither renderer needs the other)."""

from __future__ import annotations

# Values carry what the equivalent typed command takes.
ACTION_RESEARCHER = "radar_researcher"
ACTION_FOLLOW = "radar_follow"
ACTION_IAM = "radar_iam"
ACTION_UNSUBSCRIBE = "radar_unsubscribe"
ACTION_DIGEST_MORE = "radar_digest_more"
ACTION_LINK = "radar_link"  # link buttons: Slack still sends a click, which only needs an ack
