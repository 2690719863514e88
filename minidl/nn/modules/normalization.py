"""Normalization layers: ``BatchNorm1d/2d``, ``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d/2d``.

Each holds its learnable scale (``weight``, gamma) and shift (``bias``, beta) as
Parameters and, for batch and instance norm, the running statistics as *buffers*
(state that is saved and moved with the model but never trained), then calls one
op of :mod:`minidl.nn.functional.normalization`.

``model.train()`` / ``model.eval()`` switch batch norm between normalising with the
current batch's statistics (and updating the running ones) and normalising with
the running statistics.
"""
from __future__ import annotations

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from .. import init
from .module import Module, Parameter
from ...errors import ArgumentError, ShapeError

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
           "InstanceNorm2d"]


class _NormBase(Module):
    """Parameters and running-statistics buffers shared by batch and instance norm."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features < 1:
            raise ShapeError(f"{type(self).__name__}: num_features must be a positive int, "
                             f"got {num_features!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = np.dtype(dtype or np.float32)
        if affine:
            self.weight = Parameter(Tensor(np.empty(num_features, dtype), device=device))
            self.bias = Parameter(Tensor(np.empty(num_features, dtype), device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype), device=device))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype), device=device))
            self.register_buffer("num_batches_tracked",
                                 Tensor(np.array(0, dtype=np.int64), device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, gamma to 1 and beta to 0 (the identity transform)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _layer_name(self) -> str:
        return f"{self._get_name()}({self.num_features})"

    def _check_input_dim(self, input) -> None:
        raise NotImplementedError  # each subclass knows its input rank

    def _expect(self, input, ranks: tuple, shapes: str) -> None:
        """Raise a clear error unless input has one of ``ranks`` and num_features channels."""
        if input.ndim not in ranks or input.shape[1] != self.num_features:
            raise ShapeError(f"{self._layer_name()}: expected input of shape {shapes}, got "
                             f"{tuple(input.shape)}")

    def _load_from_state_dict(self, state_dict, prefix, missing_keys, error_msgs, to_copy):
        # checkpoints written before num_batches_tracked existed lack it: start the count at 0
        key = prefix + "num_batches_tracked"
        if self.num_batches_tracked is not None and key not in state_dict:
            state_dict = dict(state_dict)
            state_dict[key] = np.array(0, dtype=np.int64)
        super()._load_from_state_dict(state_dict, prefix, missing_keys, error_msgs, to_copy)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._array += 1
            if self.momentum is None:  # cumulative moving average: the n-th batch weighs 1/n
                momentum = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics in training, and in eval when there are no running statistics
        use_batch_stats = self.training or self.running_mean is None
        # running statistics are updated only when they are tracked and we are training
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, one mean/variance per channel.

    In training mode each channel is normalised with the batch's mean and (biased) variance
    and ``running_mean`` / ``running_var`` move towards them:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased).
    In eval mode the running statistics normalise. Then ``y = gamma * xhat + beta``.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability.
        momentum: weight of each new batch in the running statistics; None gives the
            cumulative average over all batches so far (1 / num_batches_tracked).
        affine: learn gamma (``weight``, init 1) and beta (``bias``, init 0).
        track_running_stats: keep running statistics; if False, batch statistics are used
            in eval mode too.
        device, dtype: of the parameters and buffers.

    Shape:
        - Input: (N, C) or (N, C, L).
        - Output: same as input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> bn = nn.BatchNorm1d(3)
        >>> bn(minidl.randn(8, 3)).shape
        (8, 3)
        >>> int(bn.num_batches_tracked)
        1
        >>> bn
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    def _check_input_dim(self, input) -> None:
        c = self.num_features
        self._expect(input, (2, 3), f"(N, {c}) or (N, {c}, L)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, one mean/variance per channel.

    The layer that follows every convolution of a ResNet. Statistics are taken over the
    batch and all pixels (N * H * W values per channel); see :class:`BatchNorm1d` for
    training/eval behaviour and the arguments.

    Shape:
        - Input: (N, C, H, W).
        - Output: same as input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> bn = nn.BatchNorm2d(64)
        >>> y = bn(minidl.randn(8, 64, 16, 16))
        >>> abs(float(y.mean())) < 1e-5, bn.running_mean.shape
        (True, (64,))
        >>> [name for name, _ in bn.named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
    """

    def _check_input_dim(self, input) -> None:
        self._expect(input, (4,), f"(N, {self.num_features}, H, W)")


class _InstanceNorm(_NormBase):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        use_input_stats = self.training or not self.track_running_stats
        track = self.track_running_stats
        return F.instance_norm(input, self.running_mean if track else None,
                               self.running_var if track else None, self.weight, self.bias,
                               use_input_stats, self.momentum, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L): every sample's every channel on its own.

    Args:
        num_features: C.
        eps, momentum: as in :class:`BatchNorm1d`.
        affine: learn per-channel gamma and beta (default False, as PyTorch).
        track_running_stats: keep running statistics for eval mode (default False).

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.InstanceNorm1d(2, eps=0.0)(minidl.tensor([[[1.0, 3.0], [5.0, 9.0]]])).tolist()
        [[[-1.0, 1.0], [-1.0, 1.0]]]
    """

    def _check_input_dim(self, input) -> None:
        self._expect(input, (3,), f"(N, {self.num_features}, L)")


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) (style transfer's normalisation).

    Arguments as :class:`InstanceNorm1d`.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> nn.InstanceNorm2d(3)(minidl.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    def _check_input_dim(self, input) -> None:
        self._expect(input, (4,), f"(N, {self.num_features}, H, W)")


class LayerNorm(Module):
    """Layer normalisation: each sample normalised over its last ``normalized_shape`` dims.

    Args:
        normalized_shape: an int or tuple: the trailing dims that share one mean/variance.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (init 1) and ``bias`` (init 0) of that shape.
        bias: learn the bias too (when elementwise_affine).
        device, dtype: of the parameters.

    Shape:
        - Input: (*, *normalized_shape).
        - Output: same as input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> ln = nn.LayerNorm(4)
        >>> y = ln(minidl.randn(2, 3, 4))
        >>> y.shape, ln
        ((2, 3, 4), LayerNorm((4,), eps=1e-05, elementwise_affine=True))
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = np.dtype(dtype or np.float32)
        if elementwise_affine:
            self.weight = Parameter(Tensor(np.empty(self.normalized_shape, dtype), device=device))
            if bias:
                self.bias = Parameter(Tensor(np.empty(self.normalized_shape, dtype), device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """gamma = 1, beta = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            dims = ", ".join(map(str, self.normalized_shape))
            raise ShapeError(f"LayerNorm({self.normalized_shape}): expected input of shape "
                             f"(*, {dims}), got {tuple(input.shape)}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Group normalisation: statistics per sample and per group of channels.

    Independent of the batch size (unlike batch norm), so it works with batches of 1.

    Args:
        num_groups: G; must divide num_channels.
        num_channels: C.
        eps: added to the variance.
        affine: learn per-channel ``weight`` (init 1) and ``bias`` (init 0).
        device, dtype: of the parameters.

    Shape:
        - Input: (N, C, *).
        - Output: same as input.

    Example:
        >>> import minidl, minidl.nn as nn
        >>> gn = nn.GroupNorm(2, 6)
        >>> gn(minidl.randn(1, 6, 4, 4)).shape, gn
        ((1, 6, 4, 4), GroupNorm(2, 6, eps=1e-05, affine=True))
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ArgumentError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        dtype = np.dtype(dtype or np.float32)
        if affine:
            self.weight = Parameter(Tensor(np.empty(num_channels, dtype), device=device))
            self.bias = Parameter(Tensor(np.empty(num_channels, dtype), device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """gamma = 1, beta = 0."""
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected input "
                             f"of shape (N, {self.num_channels}, *), got {tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
