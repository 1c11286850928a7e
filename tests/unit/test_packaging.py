"""`make run` installs the project: reading its own metadata must not print a deprecation banner (issue 21)."""

from __future__ import annotations

import tomllib
import warnings

from setuptools.config.pyprojecttoml import apply_configuration
from setuptools.dist import Distribution

from core.config import PROJECT_ROOT


def test_project_metadata_loads_without_deprecation_warnings() -> None:
    pyproject = PROJECT_ROOT / "pyproject.toml"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        distribution = apply_configuration(Distribution(), pyproject)
    banners = [str(w.message).splitlines()[0] for w in caught if "deprecat" in str(w.message).lower()]
    assert banners == []
    assert distribution.metadata.name == "paper-radar"
    # The install builds with the setuptools this file asks for, which must understand the metadata above.
    requires = tomllib.loads(pyproject.read_text())["build-system"]["requires"]
    assert "setuptools>=77" in requires
