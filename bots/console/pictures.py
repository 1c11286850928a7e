"""A researcher card's pictures in the terminal: written as PNG files (RADAR_IMAGE_DIR), their paths printed."""

from __future__ import annotations

from pathlib import Path

from core.views import ResearcherCard, View


def save_pictures(view: View, directory: Path) -> list[Path]:
    """Write the card's pictures into `directory` (made when missing); their paths, or none for other views."""
    if not isinstance(view, ResearcherCard) or not view.images:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for image in view.images:
        path = directory / Path(image.filename).name  # the name is ours, but never a path out of the folder
        path.write_bytes(image.png)
        written.append(path)
    return written


def picture_lines(view: View, directory: Path) -> str:
    """The lines printed under a card: one per picture, its path and what it shows; an unwritable folder is
    said, not raised."""
    try:
        paths = save_pictures(view, directory)
    except OSError as error:
        return f"  Pictures: could not write them to {directory} ({error.strerror or error}); set RADAR_IMAGE_DIR."
    if not paths:
        return ""
    assert isinstance(view, ResearcherCard)
    return "\n".join(f"  Picture: {path}  ({image.title})" for path, image in zip(paths, view.images, strict=True))
