"""The README stays true: its two opening commands and every CLI command are documented."""

from __future__ import annotations

import re
from pathlib import Path

from lossboard.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    assert len(blocks) >= 2
    run, test = blocks[0], blocks[1]
    assert "lossboard plot examples/" in run and "pytest" in test
    assert README.index(run) < README.index("## ")


def test_every_command_has_help_and_appears_in_the_readme() -> None:
    for name, command in main.commands.items():
        assert command.help, name
        assert f"lossboard {name}" in README, name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    test_command = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)[1]
    assert test_command in ci
