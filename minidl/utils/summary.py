"""``summary``: the layer table, parameter counts, memory estimate and MACs of a model.

The table has the familiar layout (Layer (type) | Output Shape | Param #). It is
built by running one forward pass on zeros with a forward hook on every module
except containers (Sequential, ModuleList, ModuleDict) and the model itself; a
module called twice (the shared ReLU of a ResNet block) gets two rows.

Counting conventions, stated because published figures differ:

* **Param #** of a row counts the module's own parameters (not its children's);
  the totals count every parameter of the model once.
* **Memory** (float32, 4 bytes per number): input size; forward/backward pass size
  = 2 x the sum of every row's output size (activations kept for backward plus
  their gradients); params size; their sum as the estimated total.
* **MACs** (``convention="macs"``, the default): multiply-accumulates of
  convolutions (output elements x in_channels/groups x KH x KW), transposed
  convolutions (input elements x out_channels/groups x KH x KW) and linear layers
  (output elements x in_features). Biases, normalisation, activations and
  pooling are not counted. This is the "FLOPs" that papers quote for ResNets
  (1.8 G for ResNet-18 at 224x224).
* ``convention="report"``: the figure a common counting tool prints and the S1
  course report quoted as "FLOPs": the MACs above plus 4 x the number of output
  elements of every affine BatchNorm layer (2 without affine).

Example:
    >>> from minidl.models import SimpleCNN
    >>> s = summary(SimpleCNN(), (3, 32, 32))
    >>> s.total_params, s.macs, s.report_flops
    (114186, 10342400, 10571776)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..factory import zeros

__all__ = ["summary", "ModelSummary", "LayerRow"]

_MB = 1024.0 ** 2
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


@dataclass
class LayerRow:
    """One row of the table: a module call with its output shape, parameters and MACs."""

    name: str
    output_shape: tuple
    params: int
    trainable: bool
    macs: int
    bn_flops: int


@dataclass
class ModelSummary:
    """What :func:`summary` measured; ``str()`` gives the table."""

    rows: list = field(default_factory=list)
    input_size: tuple = ()
    batch_size: int = 1
    total_params: int = 0
    trainable_params: int = 0
    input_mb: float = 0.0
    forward_backward_mb: float = 0.0
    params_mb: float = 0.0
    macs: int = 0
    report_flops: int = 0

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def total_mb(self) -> float:
        return self.input_mb + self.forward_backward_mb + self.params_mb

    def __str__(self) -> str:
        line = "-" * 64
        out = [line, f"{'Layer (type)':>25}  {'Output Shape':>25} {'Param #':>15}", "=" * 64]
        for row in self.rows:
            shape = str([-1, *row.output_shape[1:]])
            out.append(f"{row.name:>25}  {shape:>25} {row.params:>15,}")
        out += [
            "=" * 64,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            line,
            f"Input size (MB): {self.input_mb:.2f}",
            f"Forward/backward pass size (MB): {self.forward_backward_mb:.2f}",
            f"Params size (MB): {self.params_mb:.2f}",
            f"Estimated Total Size (MB): {self.total_mb:.2f}",
            line,
            f"MACs (conv + linear multiply-accumulates): {self.macs:,}",
            f"Report FLOPs (MACs + 4 x affine BatchNorm outputs): {self.report_flops:,}",
            line,
        ]
        return "\n".join(out)


def _layer_macs(module, inputs, output) -> int:
    """Multiply-accumulates of one call of a conv, transposed conv or linear layer."""
    if isinstance(module, nn.ConvTranspose2d):
        kh, kw = module.kernel_size
        return inputs[0].numel() * (module.out_channels // module.groups) * kh * kw
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def _bn_flops(module, output) -> int:
    """The counting tool's BatchNorm figure: 4 per output element (2 without affine)."""
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return (4 if module.affine else 2) * output.numel()
    return 0


def summary(model, input_size, batch_size: int = 1, dtype=np.float32, device=None) -> ModelSummary:
    """Run one forward pass on zeros and tabulate every layer.

    Args:
        model: the Module to describe (it is put in eval mode for the pass and restored).
        input_size: shape of one input without the batch dimension, e.g. ``(3, 32, 32)``.
        batch_size: batch used for the pass and for the memory and MAC figures.
        dtype: input dtype (sizes are reported for 4-byte numbers, as is customary).
        device: where to make the input (default: where the model's first parameter is).

    Returns:
        a :class:`ModelSummary`; ``print(summary(model, (3, 32, 32)))`` shows the table.
    """
    input_size = tuple(input_size)
    result = ModelSummary(input_size=input_size, batch_size=batch_size)
    first = next(iter(model.parameters()), None)
    if device is None and first is not None:
        device = first.device

    def hook(module, inputs, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        own = list(module.parameters(recurse=False))
        result.rows.append(LayerRow(
            name=f"{type(module).__name__}-{len(result.rows) + 1}",
            output_shape=tuple(out.shape),
            params=sum(p.numel() for p in own),
            trainable=any(p.requires_grad for p in own),
            macs=_layer_macs(module, inputs, out),
            bn_flops=_bn_flops(module, out)))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if m is not model and not isinstance(m, _CONTAINERS)]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(zeros(batch_size, *input_size, dtype=dtype, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)

    params = list(model.parameters())
    result.total_params = sum(p.numel() for p in params)
    result.trainable_params = sum(p.numel() for p in params if p.requires_grad)
    result.input_mb = float(np.prod(input_size)) * batch_size * 4 / _MB
    activations = sum(int(np.prod(r.output_shape)) for r in result.rows)
    result.forward_backward_mb = 2.0 * activations * 4 / _MB
    result.params_mb = result.total_params * 4 / _MB
    result.macs = sum(r.macs for r in result.rows)
    result.report_flops = result.macs + sum(r.bn_flops for r in result.rows)
    return result
