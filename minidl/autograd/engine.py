"""The backward pass: reverse-mode differentiation over the recorded graph.

``Tensor.backward()`` calls :func:`backward`, which

1. collects every node reachable from the output, in topological order, with an
   explicit stack (no recursion, so a chain of 100,000 ops is fine);
2. visits the nodes from the output back to the leaves; each node's ``backward``
   turns the gradient of its output into gradients of its inputs;
3. sums gradients that reach the same tensor along several paths (a tensor used
   twice gets the sum of both contributions), stores them in ``.grad`` of leaves,
   and passes them on to the nodes that made non-leaf inputs;
4. frees each node's saved arrays once it is done (unless ``retain_graph``).
"""
from __future__ import annotations

from ..backend import array_module
from ..errors import AutogradError

__all__ = ["backward", "sum_to"]


def sum_to(grad, shape: tuple):
    """Sum ``grad`` over the axes that broadcasting expanded, so that it has ``shape``.

    This undoes broadcasting for every op in one place: if ``x`` of shape (3, 1)
    was broadcast to (2, 3, 4), its gradient is summed over axis 0 and axis 2.

    Example:
        >>> import numpy as np
        >>> sum_to(np.ones((2, 3, 4)), (3, 1)).tolist()
        [[8.0], [8.0], [8.0]]
    """
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0:
        raise AutogradError(f"sum_to: cannot reduce a gradient of shape {grad.shape} to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(grad.shape[lead:])
    if grad.shape != shape:
        raise AutogradError(f"sum_to: cannot reduce a gradient of shape {grad.shape} to {shape}")
    return grad


def _topological_order(root) -> list:
    """Nodes reachable from ``root``, each after all nodes that consume its output."""
    order, visited = [], {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, children = stack[-1]
        for edge in children:
            child = None if edge is None else edge.node
            if child is not None and id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(child.inputs)))
                break
        else:  # all children done: node comes after them in post-order
            stack.pop()
            order.append(node)
    order.reverse()  # reverse post-order: consumers before producers
    return order


def backward(tensor, grad=None, retain_graph: bool = False) -> None:
    """Back-propagate from ``tensor``, accumulating into ``.grad`` of the leaves.

    Args:
        tensor: the output to differentiate (usually a scalar loss).
        grad: dL/d(tensor); may be omitted only when ``tensor`` has one element.
        retain_graph: keep the saved arrays so that backward can run again.
    """
    from ..tensor import Tensor

    if not tensor.requires_grad:
        raise AutogradError(
            "backward: the tensor does not require grad and has no grad_fn (did you build it "
            "under no_grad(), or from tensors without requires_grad=True?)")
    if grad is None:
        if tensor.numel() != 1:
            raise AutogradError(
                f"backward: grad can be implicitly created only for a tensor with one element, "
                f"got shape {tensor.shape}; pass gradient= (dL/d(output), same shape)")
        grad = array_module(tensor._array).ones_like(tensor._array)
    else:
        grad = grad._array if isinstance(grad, Tensor) else array_module(tensor._array).asarray(grad)
        if grad.shape != tensor.shape:
            raise AutogradError(
                f"backward: gradient has shape {grad.shape}, expected the tensor's {tensor.shape}")
        grad = grad.astype(tensor.dtype, copy=False)

    if tensor.grad_fn is None:  # a leaf: its gradient is the given one
        tensor._accumulate(grad)
        return

    grads = {id(tensor.grad_fn): grad}
    for node in _topological_order(tensor.grad_fn):
        g_out = grads.pop(id(node), None)
        if g_out is None:
            continue
        if node.released:  # freed by an earlier backward: say so, not "no attribute 'shape'"
            raise AutogradError(node.released_message())
        g_inputs = node.fn.backward(node, g_out)
        if not isinstance(g_inputs, tuple):
            g_inputs = (g_inputs,)
        if len(g_inputs) < len(node.inputs):
            raise AutogradError(
                f"{node.name()}: backward returned {len(g_inputs)} gradients for "
                f"{len(node.inputs)} inputs")
        for edge, g in zip(node.inputs, g_inputs):
            if edge is None or g is None:
                continue
            if g.shape != edge.shape:
                g = sum_to(g, edge.shape)
            if g.dtype != edge.dtype:
                g = g.astype(edge.dtype)
            if edge.leaf is not None:
                edge.leaf._accumulate(g)
            if edge.node is not None:
                key = id(edge.node)
                grads[key] = g if key not in grads else grads[key] + g
        if not retain_graph:
            node.release()
