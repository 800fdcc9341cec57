"""The committed page is built from the committed sources, and loads nothing from elsewhere."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from lossboard.server.app import STATIC

FRONTEND = Path(__file__).parents[2] / "frontend"
# what frontend/build.mjs hashes: these files and everything under src/
SOURCES = ("index.html", "build.mjs", "package.json", "package-lock.json")


def source_hash() -> str:
    names = sorted([*SOURCES, *(p.relative_to(FRONTEND).as_posix() for p in (FRONTEND / "src").rglob("*") if p.is_file())])
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (FRONTEND / name).read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_bundle_is_built_from_the_current_sources() -> None:
    recorded = (STATIC / "SOURCE_HASH").read_text().strip()
    assert recorded == source_hash(), "frontend/ changed since the bundle was built: cd frontend && npm ci && npm run build"


def test_the_page_loads_only_its_own_files() -> None:
    page = (STATIC / "index.html").read_text()
    for reference in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert reference == "data:," or re.fullmatch(r"[\w.-]+", reference), reference
    for name in ("app.js", "app.css"):
        assert (STATIC / name).stat().st_size > 0
        text = (STATIC / name).read_text()
        assert not re.search(r"""(?:fetch|import|url)\(\s*["']https?://""", text)


def test_the_page_sets_no_html_from_data() -> None:
    """Names, tags and texts from logs go in with textContent; innerHTML appears nowhere."""
    for source in (FRONTEND / "src").glob("*.js"):
        assert "innerHTML" not in source.read_text(), source
