"""The README's fenced blocks, for the tests that run them as written."""

import re

from tests.support.repo import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def fenced_block_after(marker: str, language: str) -> str:
    """The first ```language block after the text `marker`."""
    start = README.index(marker)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(README, start)
    assert match, f"no ```{language} block after {marker!r}"
    return match.group(1)
