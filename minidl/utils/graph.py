"""Pictures of the graph that autograd records: Graphviz DOT text, and a rendering of it.

Every op run on tensors that require grad leaves a node behind (``tensor.grad_fn``), which
points to the nodes that made its inputs. :func:`to_dot` walks that graph from a result
back to the leaves and writes it in Graphviz's DOT language, drawn in the direction the data
flows in forward (leaves at the top, the result at the bottom); backward visits the same
nodes from the bottom up. The picture shows:

* one **box per leaf** that requires grad (a parameter or an input): its name when given,
  shape and dtype, filled green: this is where ``.grad`` lands;
* one **ellipse per op** (``MulBackward``, ...) with the shape and dtype of what it made;
* with ``show_saved=True``, one **note per op's saved arrays**: what forward kept for
  backward (shape and dtype), joined to the op by a dashed line: the memory a graph holds;
* one **box for the result**, filled yellow.

Inputs that do not require grad (constants, data) leave no edge in the graph, so they do
not appear. :func:`draw` renders the DOT text with the ``graphviz`` package (an optional
extra: ``pip install minidl[graph]``, plus Graphviz's ``dot`` program, Debian's
``graphviz``).

Example:
    >>> import minidl
    >>> from minidl.utils.graph import to_dot
    >>> w = minidl.tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> dot = to_dot(loss, params={"w": w})
    >>> dot.splitlines()[0]
    'digraph autograd {'
    >>> "MulBackward" in dot and "SumBackward" in dot and "w\\\\n(2,) float32" in dot
    True
"""
from __future__ import annotations

from .optional import import_optional

__all__ = ["to_dot", "draw"]


def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _describe(shape, dtype) -> str:
    return f"{_shape(shape)} {dtype}"


def _label(*lines) -> str:
    """A DOT label: lines joined by DOT's newline escape, quotes escaped."""
    text = "\\n".join(str(line).replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return f'"{text}"'


def to_dot(tensor, params: dict | None = None, show_saved: bool = True) -> str:
    """The autograd graph that produced ``tensor``, as Graphviz DOT text.

    Args:
        tensor: a Tensor that came out of ops on tensors requiring grad (a loss, say).
        params: optional ``{name: tensor}`` for naming leaves, e.g.
            ``dict(model.named_parameters())``; unnamed leaves are called ``leaf``.
        show_saved: draw what each op saved for backward (shapes and dtypes).

    Returns:
        The DOT text (``digraph autograd { ... }``). Node names are numbered in the order
        the graph is walked, so the same graph always gives the same text.

    Raises:
        ValueError: ``tensor`` is not a minidl Tensor.

    Example:
        >>> import minidl
        >>> x = minidl.tensor([[1.0, 2.0]], requires_grad=True)
        >>> print(to_dot(x.exp().sum(), show_saved=False))  # doctest: +NORMALIZE_WHITESPACE
        digraph autograd {
          rankdir=TB;
          node [fontname="Helvetica", fontsize=10];
          n0 [label="result\\n() float32", shape=box, style=filled, fillcolor="#fff3b0"];
          n1 [label="SumBackward\\n() float32", shape=ellipse];
          n1 -> n0;
          n2 [label="ExpBackward\\n(1, 2) float32", shape=ellipse];
          n2 -> n1;
          n3 [label="leaf\\n(1, 2) float32", shape=box, style=filled, fillcolor="#c8e6c9"];
          n3 -> n2;
        }
    """
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise ValueError(f"to_dot: expected a minidl Tensor, got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    lines = ["digraph autograd {", "  rankdir=TB;",
             '  node [fontname="Helvetica", fontsize=10];']
    ids: dict = {}

    def node_id(key) -> tuple:
        """(DOT name, whether it is new) for an object of the graph."""
        if key in ids:
            return ids[key], False
        ids[key] = f"n{len(ids)}"
        return ids[key], True

    out, _ = node_id(("result", id(tensor)))
    result = _label("result", _describe(tensor.shape, tensor.dtype))
    lines.append(f'  {out} [label={result}, shape=box, style=filled, fillcolor="#fff3b0"];')
    if tensor.grad_fn is None:
        lines.append("}")
        return "\n".join(lines) + "\n"
    # (node, its output's shape and dtype, the DOT node its output feeds), walked with a
    # stack so that deep graphs need no recursion
    stack = [(tensor.grad_fn, tensor.shape, tensor.dtype, out)]
    while stack:
        node, shape, dtype, consumer = stack.pop()
        name, new = node_id(("op", id(node)))
        if new:
            op = _label(node.name(), _describe(shape, dtype))
            lines.append(f"  {name} [label={op}, shape=ellipse];")
        lines.append(f"  {name} -> {consumer};")
        if not new:
            continue
        if show_saved:
            saved = [a for a in getattr(node, "_saved", ()) if hasattr(a, "shape")]
            if saved:
                note, _ = node_id(("saved", id(node)))
                rows = [_describe(a.shape, a.dtype) for a in saved]
                lines.append(f"  {note} [label={_label('saved for backward', *rows)}, "
                             'shape=note, fontsize=8, color="#888888"];')
                lines.append(f'  {note} -> {name} [style=dashed, arrowhead=none, '
                             'color="#888888"];')
        children = []
        for edge in node.inputs:
            if edge is None:
                continue
            if edge.node is not None:
                children.append((edge.node, edge.shape, edge.dtype, name))
            if edge.leaf is not None and edge.node is None:
                leaf, new_leaf = node_id(("leaf", id(edge.leaf)))
                if new_leaf:
                    box = _label(names.get(id(edge.leaf), "leaf"),
                                 _describe(edge.shape, edge.dtype))
                    lines.append(f'  {leaf} [label={box}, shape=box, style=filled, '
                                 'fillcolor="#c8e6c9"];')
                lines.append(f"  {leaf} -> {name};")
        stack.extend(reversed(children))  # visit the first input first
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(tensor, path, params: dict | None = None, show_saved: bool = True) -> str:
    """Render :func:`to_dot` of ``tensor`` to an image file with Graphviz.

    Args:
        tensor, params, show_saved: as for :func:`to_dot`.
        path: the file to write; its suffix is the format (``graph.png``, ``graph.svg``,
            ``graph.pdf``).

    Returns:
        The path of the written file.

    Raises:
        ImportError: the ``graphviz`` package is missing (the message names the pip command).
        RuntimeError: Graphviz's ``dot`` program is missing (the message says how to install it).
    """
    import pathlib

    graphviz = import_optional("graphviz", feature="minidl.utils.graph.draw", extra="graph",
                               package="graphviz")
    path = pathlib.Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    source = graphviz.Source(to_dot(tensor, params, show_saved))
    try:
        data = source.pipe(format=fmt)
    except graphviz.ExecutableNotFound as err:
        raise RuntimeError(
            "minidl.utils.graph.draw: Graphviz's 'dot' program is not installed (the Python "
            "package is): apt install graphviz, brew install graphviz, or see "
            "https://graphviz.org/download/") from err
    path.write_bytes(data)
    return str(path)
