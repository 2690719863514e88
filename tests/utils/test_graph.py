"""minidl.utils.graph: the DOT text of an autograd graph, and its rendering by Graphviz."""
import re
import shutil
import sys

import numpy as np
import pytest

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.utils.graph import draw, to_dot


def _edges(dot):
    return re.findall(r"^\s+(n\d+) -> (n\d+)", dot, flags=re.M)


def _labels(dot):
    return dict(re.findall(r'^\s+(n\d+) \[label="([^"]*)"', dot, flags=re.M))


def test_every_op_and_leaf_appears_once_with_its_shape():
    w = minidl.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    b = minidl.tensor(np.zeros(2, np.float32), requires_grad=True)
    x = minidl.tensor(np.ones((4, 3), np.float32))            # data: no gradient, not drawn
    loss = F.relu(x @ w + b).sum()
    labels = _labels(to_dot(loss, params={"w": w, "b": b}))
    texts = sorted(labels.values())
    assert "w\\n(3, 2) float32" in texts and "b\\n(2,) float32" in texts
    assert sum(t.startswith("leaf") for t in texts) == 0      # both leaves got their names
    ops = [t.split("\\n")[0] for t in texts if "Backward" in t]
    assert sorted(ops) == ["AddBackward", "MatmulBackward", "ReLUBackward", "SumBackward"]
    assert "result\\n() float32" in texts


def test_edges_follow_the_data_from_the_leaves_to_the_result():
    a = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = a * a                                  # a used twice: one leaf box, two edges
    loss = (y + y.exp()).sum()
    dot = to_dot(loss, params={"a": a}, show_saved=False)
    labels, edges = _labels(dot), _edges(dot)
    by_name = {v.split("\\n")[0]: k for k, v in labels.items()}
    assert (by_name["a"], by_name["MulBackward"]) in edges
    assert edges.count((by_name["a"], by_name["MulBackward"])) == 2
    assert (by_name["SumBackward"], by_name["result"]) in edges
    # y feeds both the addition and exp: the Mul node is drawn once, with two edges out
    assert sum(1 for s, _ in edges if s == by_name["MulBackward"]) == 2
    assert len(labels) == len(set(labels))


def test_saved_arrays_are_shown_when_asked():
    x = minidl.tensor(np.ones((2, 3)), requires_grad=True)
    loss = x.exp().sum()
    assert "saved for backward\\n(2, 3) float64" in to_dot(loss)
    assert "saved for backward" not in to_dot(loss, show_saved=False)


def test_same_graph_same_text_and_a_model_graph():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    x = minidl.randn(1, 1, 4, 4)
    loss = F.cross_entropy(model(x), minidl.tensor([1]))
    params = dict(model.named_parameters())
    dot = to_dot(loss, params=params)
    assert dot == to_dot(loss, params=params)
    for name in ("0.weight", "0.bias", "3.weight", "3.bias"):
        assert f'"{name}\\n' in dot


def test_a_tensor_without_graph_and_bad_input():
    assert "result" in to_dot(minidl.ones(2))
    with pytest.raises(ValueError, match="to_dot: expected a minidl Tensor"):
        to_dot(np.ones(2))


def test_deep_graphs_need_no_recursion():
    x = minidl.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert to_dot(y, show_saved=False).count("MulBackward") == 3000


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_draw_renders_a_png_and_an_svg(tmp_path):
    pytest.importorskip("graphviz")
    w = minidl.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    png = draw(loss, tmp_path / "graph.png", params={"w": w})
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    svg = draw(loss, tmp_path / "graph.svg")
    assert "MulBackward" in open(svg).read()


def test_draw_without_the_graphviz_package_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)   # makes `import graphviz` fail
    with pytest.raises(ImportError, match=r"pip install minidl\[graph\]"):
        draw(minidl.ones(1, requires_grad=True).sum(), tmp_path / "g.png")
