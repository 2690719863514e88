"""``Function``: one differentiable op, its forward and its backward side by side.

Every op in minidl is a subclass::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):              # raw arrays in, raw array out
            y = array_module(x).exp(x)
            ctx.save_for_backward(y)      # keep only what backward needs
            return y

        @staticmethod
        def backward(ctx, grad):          # dL/dy in, one dL/d(input) per input out
            (y,) = ctx.saved_tensors
            return grad * y

    def exp(x):
        return Exp.apply(x)

``Function.apply`` unwraps Tensor arguments to arrays, runs ``forward`` and, when
an input requires grad and grad mode is on, records a :class:`Node` that the
engine later visits. Non-tensor arguments (ints, tuples, flags) pass through to
``forward`` untouched and get ``None`` as their gradient.

``backward`` may return a gradient of the broadcast shape: the engine sums it
back to each input's shape (one shared helper, ``sum_to``), so ops do not
repeat that bookkeeping.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import AutogradError, DeviceError, InplaceError
from .grad_mode import is_grad_enabled
from .version import last_writer, version

__all__ = ["Function", "Node", "Edge", "check_same_device"]


class Edge(NamedTuple):
    """Where the gradient of one input goes.

    A node keeps edges rather than its input tensors, so that activations that
    backward does not need are freed as soon as forward is done with them.
    """

    node: "Node | None"   # the op that made the input (None for a leaf)
    leaf: object          # the input Tensor itself when it is a leaf or retains grad
    shape: tuple
    dtype: object


class Node:
    """A recorded op in the graph; it is also the ``ctx`` that forward and backward share.

    Attributes:
        fn: the Function subclass that made it.
        inputs: one :class:`Edge` per positional argument that requires grad (others None).
        needs_input_grad: one bool per positional argument.
        saved_tensors: the arrays that forward saved.
    """

    __slots__ = ("fn", "inputs", "needs_input_grad", "_saved", "_versions", "released",
                 "__dict__")

    def __init__(self, fn):
        self.fn = fn
        self.inputs = ()
        self.needs_input_grad = ()
        self._saved = ()
        self._versions = ()
        self.released = False

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for backward; they are freed after backward (unless retain_graph).

        The version of each array's storage is recorded too, so that backward can tell
        when one was changed in place in between (see :mod:`minidl.autograd.version`).
        """
        self._saved = arrays
        self._versions = tuple(version(a) for a in arrays)

    @property
    def saved_tensors(self) -> tuple:
        if self.released:
            raise AutogradError(self.released_message())
        for array, saved in zip(self._saved, self._versions):
            now = version(array)
            if now != saved:
                shape = tuple(getattr(array, "shape", ()))
                raise InplaceError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: {last_writer(array)}, saved version {saved}, "
                    f"now {now} (a {array.dtype} array of shape {shape} that {self.name()} "
                    "saved). Do the in-place change after backward, or on a clone().")
        return self._saved

    def released_message(self) -> str:
        return (f"{self.name()}: trying to backward through the graph a second time (its saved "
                "arrays were freed). Call backward(retain_graph=True) the first time if you "
                "need to go through it again.")

    def release(self) -> None:
        """Free what forward saved (the engine calls this after backward)."""
        self._saved = ()
        self.__dict__.clear()
        self.released = True

    @property
    def next_functions(self) -> tuple:
        """The nodes that produced this node's inputs (None for leaves and constants)."""
        return tuple(None if e is None else e.node for e in self.inputs)

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Function:
    """Base class of differentiable ops; subclasses define ``forward`` and ``backward``."""

    @staticmethod
    def forward(ctx: Node, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on Tensors (or numbers) and record it for backward when needed."""
        from ..tensor import Tensor

        arrays = [a._array if isinstance(a, Tensor) else a for a in args]
        tensors = [a for a in args if isinstance(a, Tensor)]
        _check_same_device(cls, tensors)
        ctx = Node(cls)
        needs = [isinstance(a, Tensor) and a.requires_grad for a in args]
        record = is_grad_enabled() and any(needs)
        ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *arrays, **kwargs)
        result = Tensor._wrap(out)
        if record and result._array.dtype.kind in "fc":  # integer/bool results carry no gradient
            ctx.inputs = tuple(_edge(a) if need else None for a, need in zip(args, needs))
            result.requires_grad = True
            result.grad_fn = ctx
        return result


def _edge(t) -> Edge:
    leaf = t if (t.grad_fn is None or t._retains_grad) else None
    return Edge(t.grad_fn, leaf, t._array.shape, t._array.dtype)


def _check_same_device(fn, tensors) -> None:
    check_same_device(fn.__name__, tensors)


def check_same_device(op: str, tensors) -> None:
    """Raise a clear error naming both devices when ``tensors`` do not share one device."""
    if len(tensors) < 2:
        return
    kind = type(tensors[0]._array)
    # the cheap common case: all NumPy arrays (one CPU); other array types carry a device
    # number (cuda:0, cuda:1), which must be compared too
    if kind is np.ndarray and all(type(t._array) is kind for t in tensors):
        return
    first = tensors[0].device
    for t in tensors[1:]:
        if t.device != first:
            raise DeviceError(
                f"{op}: expected all tensors on the same device, got tensors on "
                f"'{first}' and '{t.device}'; move one with .to(device)")
