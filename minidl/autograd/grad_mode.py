"""Switching gradient recording on and off: ``no_grad`` and ``enable_grad``.

While grad mode is off, ops compute their results but record no graph, so no
memory is kept for backward. Evaluation loops run under ``no_grad()``.

Example:
    >>> import minidl
    >>> x = minidl.ones(2, requires_grad=True)
    >>> with minidl.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

# Per thread, so that a DataLoader worker thread never changes the trainer's mode.
_state = threading.local()


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward (the default)."""
    return getattr(_state, "enabled", True)


class set_grad_enabled:
    """Set grad mode to ``mode``; usable as a function, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class _GradModeContext:
    """Base of no_grad/enable_grad: a context manager that also decorates functions."""

    mode = True

    def __enter__(self):
        self.prev = is_grad_enabled()
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator: run ops without recording the graph."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager / decorator: record the graph again inside a ``no_grad`` block."""

    mode = True


class inference_mode(_GradModeContext):
    """PyTorch's ``inference_mode``: here the same as :class:`no_grad` (nothing is recorded).

    Args:
        mode: True (the default) turns recording off; False leaves it as it is.
    """

    def __init__(self, mode: bool = True):
        self.mode = False if mode else is_grad_enabled()
        self._flag = mode

    def __enter__(self):
        self.mode = False if self._flag else is_grad_enabled()
        return super().__enter__()

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"inference_mode: expected a function to decorate, got {func!r}")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(self._flag):
                return func(*args, **kwargs)
        return wrapper
