"""The README and docs say what the code does: quick start commands, CI, documented commands."""

from __future__ import annotations

import re

from hub.cli import build_parser
from tests.conftest import REPO


def test_readme_quick_start_is_make_demo_and_make_test() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick, flags=re.M)
    assert commands == ["demo", "test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_every_command_in_the_readme_exists() -> None:
    readme = (REPO / "README.md").read_text()
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for line in re.findall(r"^porchlight ([a-z-]+(?: [a-z]+)?)", readme, flags=re.M):
        words = line.split()
        assert words[0] in subcommands, line
        if words[0] == "log":
            log_parser = subcommands["log"]
            assert words[1] in log_parser._subparsers._group_actions[0].choices, line  # type: ignore[union-attr]


def test_every_screenshot_the_readme_links_exists_and_every_page_has_one() -> None:
    readme = (REPO / "README.md").read_text()
    linked = set(re.findall(r"\((docs/screenshots/[\w-]+\.png)\)", readme))
    assert len(linked) >= 15
    for path in linked:
        assert (REPO / path).is_file(), path
        assert (REPO / path).read_bytes().startswith(b"\x89PNG"), path
