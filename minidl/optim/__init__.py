"""Optimizers and learning-rate schedulers, as in ``torch.optim``.

* :class:`Optimizer`: parameter groups, per-parameter state, ``zero_grad``, ``step``,
  ``state_dict`` / ``load_state_dict``;
* :class:`SGD` (momentum, Nesterov, weight decay), :class:`Adam`, :class:`AdamW`,
  :class:`RMSprop`: each update rule written with its equations beside the code;
* :mod:`minidl.optim.lr_scheduler`: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
  LinearLR, OneCycleLR, LambdaLR, SequentialLR, ReduceLROnPlateau.

Example:
    >>> import minidl
    >>> import minidl.optim as optim
    >>> w = minidl.tensor([3.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> for _ in range(50):
    ...     opt.zero_grad()
    ...     ((w - 1.0) ** 2).backward()     # minimum at w = 1
    ...     opt.step()
    >>> round(w.item(), 3)
    1.0
"""
from .optimizer import Optimizer, required
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler", "required"]
