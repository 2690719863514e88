"""``Module`` and ``Parameter``: the building blocks of every model.

A Module is a Python object that owns

* **parameters** (``Parameter``: tensors an optimizer updates),
* **buffers** (tensors that are state but not trained, such as BatchNorm's
  running statistics),
* **sub-modules** (the layers it is made of),

each kept in an ordered dict, in the order the attributes were assigned in
``__init__``. Assigning ``self.fc = Linear(4, 2)`` goes through
:meth:`Module.__setattr__`, which files the layer under ``_modules["fc"]``;
that is all it takes for ``model.parameters()`` to find the layer's weight and
bias, for ``state_dict()`` to save them as ``"fc.weight"`` and ``"fc.bias"``
and for ``model.to("cuda")`` to move them.

Calling a module (``model(x)``) runs the forward-pre-hooks, ``forward`` and
the forward hooks, in that order. Subclasses define ``forward`` only.

Example:
    >>> import minidl
    >>> import minidl.nn as nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(4, 8)
    ...         self.out = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> model = TwoLayer()
    >>> [name for name, _ in model.named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    >>> model(minidl.randn(3, 4)).shape
    (3, 2)
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from ... import backend
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ...errors import ArgumentError, ArgumentTypeError, DTypeError

__all__ = ["Module", "Parameter", "RemovableHandle"]


class Parameter(Tensor):
    """A Tensor that is a module's learnable parameter (``requires_grad=True`` by default).

    Assigning a Parameter as an attribute of a Module registers it, so that
    ``module.parameters()`` yields it. A Parameter made from a Tensor shares
    that tensor's data (no copy) and is a new leaf of the graph.

    Args:
        data: a Tensor, array or nested list (None gives an empty float32 tensor).
        requires_grad: whether the optimizer should train it.

    Example:
        >>> import minidl
        >>> p = Parameter(minidl.zeros(2))
        >>> p.requires_grad
        True
        >>> print(p)
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data._array if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copy = Parameter(self._array.copy(), requires_grad=self.requires_grad)
        if self.grad is not None:
            copy.grad = Tensor._wrap(self.grad._array.copy())
        memo[id(self)] = copy
        return copy

    def __reduce_ex__(self, protocol):
        # Tensor keeps its state in __slots__; rebuild a Parameter from its data instead.
        return (_rebuild_parameter,
                (backend.to_numpy(self._array), self.requires_grad, str(self.device)))


def _rebuild_parameter(array, requires_grad: bool, device: str) -> Parameter:
    return Parameter(Tensor(array, device=device), requires_grad=requires_grad)


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``handle.remove()`` unregisters the hook.

    It is also a context manager that removes the hook on exit::

        with model.register_forward_hook(hook):
            model(x)
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict: OrderedDict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        """Unregister the hook (doing it twice is harmless)."""
        self.hooks_dict.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (for nested reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _parse_to(args, kwargs, where: str):
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` -> (device, dtype)."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise DTypeError(f"{where}: unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, backend.Device):
            device = a
        elif isinstance(a, str):
            try:
                device = backend.Device(a)
            except ValueError:  # not a device name: a dtype name such as "float64"
                dtype = a
        elif isinstance(a, int) and not isinstance(a, bool):
            device = backend.Device("cuda", a)  # module.to(0) means cuda:0, as in PyTorch
        else:
            dtype = a
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise DTypeError(
                f"{where}: only floating-point dtypes can be given (parameters are floats), "
                f"got {dtype}")
    if device is not None:
        device = backend.Device(device)
    return device, dtype


class Module:
    """Base class of all layers and models.

    Subclasses call ``super().__init__()`` first, assign parameters and
    sub-modules as attributes, and define ``forward``.

    Attributes:
        training: True in training mode (dropout active, batch statistics used),
            False after ``eval()``.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> class Affine(nn.Module):
        ...     def __init__(self, n):
        ...         super().__init__()
        ...         self.scale = nn.Parameter(minidl.ones(n))
        ...         self.register_buffer("calls", minidl.zeros(1))
        ...     def forward(self, x):
        ...         return x * self.scale
        >>> m = Affine(3)
        >>> list(m.state_dict().keys())
        ['scale', 'calls']
        >>> m.eval().training
        False
    """

    training: bool

    def __init__(self):
        # object.__setattr__ skips our own __setattr__, which needs these dicts to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation of the layer; every subclass defines it."""
        raise NotImplementedError(
            f"{self._get_name()}: forward() is not defined; a Module subclass must define "
            "forward(self, ...)")

    # ------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        """Run forward-pre-hooks, ``forward`` and forward hooks."""
        if "_forward_hooks" not in self.__dict__:
            self._missing_init()
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:  # a pre-hook may replace the inputs
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:  # a hook may replace the output
                output = result
        return output

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``.

        The hook may return a new input (a value or a tuple of values) to use instead.

        Returns:
            a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``.

        The hook may return a new output to use instead. Model summaries and
        feature-map viewers use forward hooks to see every layer's output.

        Returns:
            a handle whose ``remove()`` unregisters the hook.

        Example:
            >>> import minidl, minidl.nn as nn
            >>> shapes = []
            >>> layer = nn.Linear(4, 2)
            >>> handle = layer.register_forward_hook(lambda m, args, out: shapes.append(out.shape))
            >>> _ = layer(minidl.randn(3, 4)); handle.remove(); _ = layer(minidl.randn(5, 4))
            >>> shapes
            [(3, 2)]
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # -------------------------------------------------------- registration
    def _missing_init(self):
        raise AttributeError(
            f"{type(self).__name__}: Module.__init__() was not called; add super().__init__() "
            f"as the first line of {type(self).__name__}.__init__")

    def _check_name(self, name, what: str) -> None:
        if not isinstance(name, str):
            raise ArgumentTypeError(f"{self._get_name()}: {what} name should be a string, got {name!r}")
        if name == "" or "." in name:
            raise KeyError(f"{self._get_name()}: {what} name can't be empty or contain '.', "
                           f"got {name!r}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent parameter such as a missing bias).

        Args:
            name: attribute name (no dots).
            param: a Parameter, or None.
        """
        if "_parameters" not in self.__dict__:
            self._missing_init()
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"{self._get_name()}: attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise ArgumentTypeError(
                f"{self._get_name()}: cannot assign '{type(param).__name__}' as parameter "
                f"'{name}' (minidl.nn.Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not trained (e.g. BatchNorm's running mean).

        Buffers move with ``to()`` and, when ``persistent``, are saved by ``state_dict()``.

        Args:
            name: attribute name (no dots).
            tensor: a Tensor, or None.
            persistent: whether ``state_dict()`` includes it.
        """
        if "_buffers" not in self.__dict__:
            self._missing_init()
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"{self._get_name()}: attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ArgumentTypeError(
                f"{self._get_name()}: cannot assign '{type(tensor).__name__}' as buffer "
                f"'{name}' (minidl.Tensor or None expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a sub-module under ``name`` (what ``self.name = module`` does)."""
        if "_modules" not in self.__dict__:
            self._missing_init()
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"{self._get_name()}: attribute '{name}' already exists")
        if module is not None and not isinstance(module, Module):
            raise ArgumentTypeError(
                f"{self._get_name()}: {type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, (Parameter, Module)) and params is None:
            self._missing_init()
        if isinstance(value, Parameter):
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise ArgumentTypeError(
                    f"{self._get_name()}: cannot assign '{type(value).__name__}' as parameter "
                    f"'{name}' (minidl.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise ArgumentTypeError(
                    f"{self._get_name()}: cannot assign '{type(value).__name__}' as child "
                    f"module '{name}' (minidl.nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise ArgumentTypeError(
                    f"{self._get_name()}: cannot assign '{type(value).__name__}' as buffer "
                    f"'{name}' (minidl.Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from wherever it was, before it is registered anew."""
        self.__dict__.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            self.__dict__[key].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        if "_parameters" not in d and not name.startswith("__"):
            self._missing_init()
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(key)
            if registry is not None and name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(k for k in keys if not k[0].isdigit()))

    # ------------------------------------------------------------ iteration
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True):
        """Yield ``(dotted_name, module)`` for self and every sub-module, depth first.

        A module reachable along two paths is yielded once (unless ``remove_duplicate=False``).

        Example:
            >>> import minidl.nn as nn
            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
            >>> [name for name, _ in net.named_modules()]
            ['', '0', '1', '1.0']
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        """Yield self and every sub-module (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules (each once)."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        """Yield ``(dotted_name, parameter)``, in definition order ("layer1.0.conv1.weight").

        A parameter shared by two layers is yielded once, under its first name.

        Args:
            prefix: put in front of every name.
            recurse: include sub-modules' parameters (else only this module's own).
            remove_duplicate: yield shared parameters once.
        """
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Yield the parameters (what an optimizer is given: ``SGD(model.parameters(), lr)``)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        """Yield ``(dotted_name, buffer)`` (persistent and non-persistent)."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        """Yield the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at a dotted path: ``model.get_submodule("layer1.0.conv1")``."""
        if target == "":
            return self
        module = self
        walked = []
        for part in target.split("."):
            if part not in module._modules or module._modules[part] is None:
                where = ".".join(walked) or "the model"
                raise AttributeError(
                    f"get_submodule: {module._get_name()} ({where}) has no sub-module "
                    f"'{part}' (looking for '{target}')")
            module = module._modules[part]
            walked.append(part)
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path: ``model.get_parameter("fc.weight")``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"get_parameter: {module._get_name()} has no parameter '{name}'")
        return module._parameters[name]

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every sub-module (children first) and on self.

        Typical use: a custom initialisation, ``model.apply(init_weights)``.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (True) or evaluation mode (False) here and in every sub-module."""
        if not isinstance(mode, bool):
            raise ArgumentError(f"{self._get_name()}.train: mode should be a bool, got {mode!r}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: dropout off, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Switch gradients of every parameter on or off (``False`` freezes the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._array[...] = 0

    # --------------------------------------------------- devices and dtypes
    def _apply(self, fn) -> "Module":
        """Replace the array of every parameter, gradient and buffer by ``fn(array)``, in place.

        The Parameter objects themselves are kept, so an optimizer built before
        ``model.to(...)`` still holds the right ones.
        """
        for p in self.parameters():
            p._array = fn(p._array)
            if p.grad is not None:
                p.grad._array = fn(p.grad._array)
        for b in self.buffers():
            b._array = fn(b._array)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Move and/or cast every parameter and buffer, in place; returns self.

        ``model.to("cuda")``, ``model.to(minidl.float64)``, ``model.to("cpu", minidl.float32)``
        or ``model.to(tensor)`` (its device and dtype). Only floating-point
        parameters and buffers change dtype (an integer counter stays an integer).

        Example:
            >>> import minidl, minidl.nn as nn
            >>> layer = nn.Linear(2, 2)
            >>> weight = layer.weight
            >>> layer.to(minidl.float64).weight is weight, weight.dtype
            (True, dtype('float64'))
        """
        device, dtype = _parse_to(args, dict(kwargs), f"{self._get_name()}.to")

        def convert(a):
            if dtype is not None and a.dtype.kind in "fc" and a.dtype != dtype:
                a = a.astype(dtype)
            if device is not None:
                a = backend.to_device(a, device)
            return a

        return self._apply(convert)

    def cpu(self) -> "Module":
        """Move every parameter and buffer to the CPU, in place."""
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> "Module":
        """Move every parameter and buffer to a CUDA device, in place."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    def float(self) -> "Module":
        """Cast floating-point parameters and buffers to float32, in place."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """Cast floating-point parameters and buffers to float64, in place."""
        return self.to(np.float64)

    def half(self) -> "Module":
        """Cast floating-point parameters and buffers to float16, in place."""
        return self.to(np.float16)

    # ------------------------------------------------------------ state
    def _save_to_state_dict(self, destination: OrderedDict, prefix: str, keep_vars: bool):
        """Put this module's own parameters and persistent buffers into ``destination``."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, destination: OrderedDict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """All parameters and persistent buffers by dotted name, in definition order.

        The values are detached Tensors sharing the module's memory (``keep_vars=True``
        gives the Parameters themselves). Save it with ``minidl.save``.

        Args:
            destination: an OrderedDict to fill (a new one by default).
            prefix: put in front of every key.
            keep_vars: return the Parameters/buffers, not detached views.

        Example:
            >>> import minidl.nn as nn
            >>> list(nn.Sequential(nn.Linear(2, 3)).state_dict())
            ['0.weight', '0.bias']
        """
        if destination is None:
            destination = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            module._save_to_state_dict(
                destination, module_prefix + "." if module_prefix else "", keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix: str, missing_keys: list,
                              error_msgs: list, to_copy: list) -> None:
        """Match this module's own entries against ``state_dict``.

        Appends absent keys to ``missing_keys``, shape mismatches to ``error_msgs`` and
        ``(tensor, value)`` pairs to ``to_copy``; nothing is written here, so that a
        failed load leaves the model untouched. Layers whose saved form differs from
        their attributes (older checkpoints) override this.
        """
        local = OrderedDict()
        self._save_to_state_dict(local, "", keep_vars=True)
        for name, tensor in local.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
            if shape != tuple(tensor.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {shape} from "
                    f"checkpoint, the shape in current model is {tuple(tensor.shape)}.")
                continue
            to_copy.append((tensor, value))

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Parameters keep their identity (an optimizer holding them keeps working) and
        their dtype and device; values are converted as they are copied. Nothing is
        written unless the whole load can succeed.

        Args:
            state_dict: a mapping from dotted names to Tensors or arrays.
            strict: require the keys to match exactly.

        Returns:
            a namedtuple ``(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: listing every missing key, unexpected key and shape mismatch
                (shape mismatches raise even when ``strict=False``).
        """
        if not hasattr(state_dict, "keys"):
            raise ArgumentTypeError("load_state_dict: expected a dict of name -> tensor, got "
                            f"{type(state_dict).__name__}")
        missing, errors, to_copy = [], [], []
        for module_prefix, module in self.named_modules():
            module._load_from_state_dict(state_dict, module_prefix + "." if module_prefix else "",
                                         missing, errors, to_copy)
        expected = set(self.state_dict(keep_vars=True).keys()) | set(missing)
        unexpected = [k for k in state_dict.keys() if k not in expected]
        messages = []
        if strict and missing:
            messages.append("Missing key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            messages.append("Unexpected key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in unexpected) + ".")
        messages += errors
        if messages:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(messages))
        with no_grad():
            for tensor, value in to_copy:
                tensor.copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text inside the parentheses of this layer's printout (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(module), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
