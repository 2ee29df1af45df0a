"""The end-to-end tests' fixtures: the image, built once per session, and the monitoring runs'
real servers on loopback (tests/support/monitoring.py); tests/conftest.py has the rest."""

from __future__ import annotations

import pytest

from tests.support.monitoring import ping_recorder, pushgateway, smtp_server  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def image(tmp_path_factory, pytestconfig):
    """The project's image, built once per session for the image tests (tests/support/image.py)."""
    from tests.support.image import built_image, remember_config

    remember_config(pytestconfig)
    yield from built_image(tmp_path_factory)
