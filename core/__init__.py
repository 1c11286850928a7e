"""Paper Radar's platform-neutral core: commands in, views out."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # `core.handle` without importing the whole service layer on every `import core`.
    if name == "handle":
        from core.service import handle

        return handle
    raise AttributeError(name)
