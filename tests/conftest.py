"""Shared fixtures: the public corpus of real logs, and the project's own fixture logs."""

from __future__ import annotations

from pathlib import Path

import pytest

# a real PostgreSQL server for the store tests, started once per test session
pytest_plugins = ["tests.store.postgres_server"]

TESTS = Path(__file__).parent
CORPUS = TESTS.parent.parent / "shared" / "corpus"
DATA = TESTS / "sources" / "data"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus (``../shared/corpus`` beside the clone); skipped when absent."""
    if not (CORPUS / "MANIFEST.md").is_file():
        pytest.skip(f"the shared corpus is not at {CORPUS}; clone beside ../shared to run this")
    return CORPUS


@pytest.fixture(scope="session")
def data() -> Path:
    """Logs this project produced by running real frameworks (see tests/sources/data/README.md)."""
    return DATA
