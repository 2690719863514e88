"""docs/README.md, the course: every piece of code it names exists, every file it links is
there, and the generated exercise sheets are what their script writes today."""
import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "docs" / "README.md"
sys.path.insert(0, str(ROOT / "docs" / "course"))

import make_course_files  # noqa: E402


def _resolve(dotted: str):
    """Import the longest importable prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


def test_every_named_function_and_module_exists():
    names = set(re.findall(r"`(minidl(?:\.\w+)+)`", COURSE.read_text()))
    assert len(names) >= 20
    missing = []
    for name in sorted(names):
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, f"docs/README.md names code that does not exist: {missing}"


def test_every_linked_file_and_named_path_exists():
    text = COURSE.read_text()
    links = re.findall(r"\]\(([^)#]+)\)", text)
    paths = re.findall(r"`((?:examples|benchmarks|docs)/[\w/.]+\.py)`", text)
    assert links and paths
    missing = [p for p in links if not (COURSE.parent / p).exists()]
    missing += [p for p in paths if not (ROOT / p).exists()]
    assert not missing, missing


def test_the_exercise_sheets_are_what_the_script_writes():
    """Edit make_course_files.py and rerun it, never the sheets by hand."""
    for name, text in make_course_files.sheet_texts().items():
        path = ROOT / "docs" / "course" / "exercises" / name
        assert path.exists(), f"{path} is missing: python docs/course/make_course_files.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} differs from what python docs/course/make_course_files.py writes")


def test_every_lecture_is_listed_in_order():
    rows = re.findall(r"^\| (\d+) \| ", COURSE.read_text(), flags=re.M)
    assert [int(r) for r in rows] == list(range(1, 13))


@pytest.mark.parametrize("figure", ["autograd_graph.png"])
def test_figures_are_committed_and_their_script_makes_them(figure, tmp_path):
    assert (ROOT / "docs" / "figures" / figure).stat().st_size > 1000
    assert "autograd_graph_figure" in (ROOT / "docs" / "course" / "make_course_files.py").read_text()
    import shutil
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    make_course_files.autograd_graph_figure(tmp_path / figure)
    assert (tmp_path / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
