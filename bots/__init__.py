"""Adapters: translate platform payloads into core Commands and render core Views."""
