"""Every ```python block in docs/*.md and README.md runs, so the docs never rot.

The blocks of one file run in order in one namespace (a later block may use names from
an earlier one), in a temporary working directory. A block fenced ```python no-run
(or in any other language: ```bash, ```text, ...) is shown but not run. Tracebacks
point at the Markdown file and its line numbers.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>.*)$")


def python_blocks(text: str):
    """(first line number, code) of each runnable python block, in order.

    A block's lines are de-indented by the indent of its opening fence (blocks inside list
    items are indented).
    """
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        words = opening["info"].split()
        runnable = bool(words) and words[0] == "python" and "no-run" not in words[1:]
        body, start = [], i + 1
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        i += 1  # the closing fence
        if runnable:
            blocks.append((start + 1, "\n".join(body)))
    return blocks


def test_the_block_finder():
    text = "intro\n```python\na = 1\n```\n```bash\nls\n```\n1. item\n   ```python\n   b = a\n" \
           "   ```\n```python no-run\nraise SystemExit\n```\n"
    assert python_blocks(text) == [(3, "a = 1"), (10, "b = a")]


@pytest.mark.parametrize("path", [p for p in DOC_FILES if p.exists()],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_code_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    for line, code in python_blocks(path.read_text(encoding="utf-8")):
        # pad with newlines so that a traceback's line number is the Markdown file's
        compiled = compile("\n" * (line - 1) + code, str(path), "exec")
        exec(compiled, namespace)  # noqa: S102 (running our own docs is the point)
