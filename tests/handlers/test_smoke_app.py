"""The handler test harness itself: an App on the test database answers through the console adapter."""

from __future__ import annotations

from core.views import HelpView, Notice


async def test_app_factory_answers(app_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes import ask_text

    app = app_factory()
    view, text = await ask_text(app, "help")
    assert isinstance(view, HelpView) and "subscribe" in text
    view, text = await ask_text(app, "subscribe category stat.ML")
    assert isinstance(view, Notice) and "stat.ML" in text
