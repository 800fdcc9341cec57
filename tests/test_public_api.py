"""The names users type daily, and an import that stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import lossboard


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert lossboard.__all__ == sorted(lossboard.__all__)
    for name in lossboard.__all__:
        assert getattr(lossboard, name) is not None
    assert dir(lossboard) == sorted(lossboard.__all__)


def test_importing_lossboard_and_its_cli_loads_no_heavy_library() -> None:
    code = (
        "import json, sys, lossboard, lossboard.cli;"
        "heavy = ['torch', 'tensorflow', 'keras', 'matplotlib', 'starlette', 'pandas', 'pyarrow', 'tensorboard'];"
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []
