"""Containers that hold other modules: ``Sequential``, ``ModuleList``, ``ModuleDict``.

Plus three parameter-free helpers that live naturally in a ``Sequential``:
``Identity``, ``Flatten`` and ``Unflatten``.

Sub-modules of a container are registered under their position as a string
("0", "1", ...) or under their key, which is where dotted names such as
``"features.3.weight"`` come from.

Example:
    >>> import minidl, minidl.nn as nn
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.ReLU())
    >>> net(minidl.randn(2, 3, 4)).shape
    (2, 4)
    >>> net[1]
    Linear(in_features=12, out_features=4, bias=True)
"""
from __future__ import annotations

import operator
from collections import OrderedDict

from .module import Module
from ...errors import ArgumentError, ArgumentTypeError

__all__ = ["Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten", "Unflatten"]


def _index(idx, length: int, where: str) -> int:
    """A possibly negative position as a non-negative one, with an IndexError naming ``where``."""
    idx = operator.index(idx)
    if not -length <= idx < length:
        raise IndexError(f"{where}: index {idx} is out of range for {length} modules")
    return idx % length



def _renumber(modules) -> None:
    """Positions stay 0..n-1 after a deletion or insertion, as names of numbered layers."""
    if all(k.isdigit() for k in modules):
        items = list(modules.values())
        modules.clear()
        for i, module in enumerate(items):
            modules[str(i)] = module

class Sequential(Module):
    """Modules applied one after the other: ``forward(x)`` is ``m_k(...m_1(m_0(x)))``.

    Args:
        *args: the modules, in order; or one ``OrderedDict`` of name -> module.

    Indexing gives a module (negative indices count from the end), slicing gives a
    new Sequential sharing the modules; ``len``, iteration and ``append`` work as
    for a list.

    Example:
        >>> import minidl.nn as nn
        >>> from collections import OrderedDict
        >>> net = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 2)), ("act", nn.ReLU())]))
        >>> net.fc is net[0], len(net), type(net[-1]).__name__
        (True, 2, 'ReLU')
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module: Module) -> None:
        keys = list(self._modules)
        setattr(self, keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            doomed = keys[idx]
        else:
            doomed = [keys[_index(idx, len(keys), "Sequential")]]
        for key in doomed:
            delattr(self, key)
        _renumber(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "Sequential":
        """Add every module of an iterable at the end."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        """Put ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise ArgumentTypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for {n} modules")
        index = index % (n + 1) if index < 0 else index
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m
        return self

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them).

    Args:
        modules: an iterable of modules (optional).

    ``ModuleList`` has no ``forward``: the owning module decides how to use them.

    Example:
        >>> import minidl.nn as nn
        >>> blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> blocks.append(nn.ReLU())
        ModuleList(
          (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
          (3): ReLU()
        )
        >>> len(blocks), len(list(blocks.parameters()))
        (4, 6)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx, module: Module) -> None:
        setattr(self, str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            doomed = keys[idx]
        else:
            doomed = [keys[_index(idx, len(keys), "ModuleList")]]
        for key in doomed:
            delattr(self, key)
        _renumber(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def append(self, module: Module) -> "ModuleList":
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        """Add every module of an iterable at the end."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise ArgumentTypeError("ModuleList.extend: expected an iterable of modules, got a single "
                            f"{type(modules).__name__}; use append")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise ArgumentTypeError(f"ModuleList.insert: expected a Module, got {type(module).__name__}")
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def index(self, module: Module) -> int:
        """The position of ``module`` (compared by identity)."""
        for i, m in enumerate(self):
            if m is module:
                return i
        raise ArgumentError("ModuleList.index: module is not in the list")

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def __repr__(self) -> str:
        # Runs of identical layers print once, as "(0-2): 3 x Linear(...)".
        reprs = [repr(m) for m in self]
        if not reprs:
            return "ModuleList()"
        lines, start = [], 0
        for end in range(1, len(reprs) + 1):
            if end == len(reprs) or reprs[end] != reprs[start]:
                count = end - start
                body = reprs[start].replace("\n", "\n  ")
                if count == 1:
                    lines.append(f"({start}): {body}")
                else:
                    lines.append(f"({start}-{end - 1}): {count} x {body}")
                start = end
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules (in insertion order) whose parameters are registered.

    Args:
        modules: a mapping or an iterable of (name, module) pairs (optional).

    Example:
        >>> import minidl.nn as nn
        >>> heads = nn.ModuleDict({"cls": nn.Linear(8, 10), "box": nn.Linear(8, 4)})
        >>> list(heads.keys()), "cls" in heads
        (['cls', 'box'], True)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}; keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove and return the module under ``key``."""
        module = self[key]
        del self[key]
        return module

    def update(self, modules) -> None:
        """Add modules from a mapping or from (name, module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for pair in pairs:
            if len(pair) != 2:
                raise ArgumentError(f"ModuleDict.update: expected (name, module) pairs, got {pair!r}")
            self[pair[0]] = pair[1]


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a classifier head).

    Any constructor arguments are accepted and ignored.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> x = minidl.randn(2)
        >>> nn.Identity(54, unused="yes")(x) is x
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Merge dimensions ``start_dim`` .. ``end_dim`` into one (by default all but the batch).

    Args:
        start_dim: first dimension to flatten (default 1, keeping the batch).
        end_dim: last dimension to flatten (default -1).

    Shape:
        - Input: (N, *dims)
        - Output: (N, prod(dims)) with the defaults.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Flatten()(minidl.zeros(8, 3, 4, 4)).shape
        (8, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into the shape ``unflattened_size`` (the inverse of Flatten).

    Args:
        dim: the dimension to split.
        unflattened_size: its new shape (its product must equal the size of ``dim``;
            one entry may be -1).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.Unflatten(1, (3, 4, 4))(minidl.zeros(8, 48)).shape
        (8, 3, 4, 4)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
