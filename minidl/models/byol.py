"""BYOL: Bootstrap Your Own Latent (Grill et al., 2020), self-supervised pre-training (S7).

Two networks see two augmented views of the same images::

    online:  backbone f  ->  projector g  ->  predictor q        (trained by gradient)
    target:  backbone f' ->  projector g'                        (no gradient; EMA of online)

    loss = (2 - 2 cos(q(g(f(v1))), g'(f'(v2)))) + (2 - 2 cos(q(g(f(v2))), g'(f'(v1))))

averaged over the batch: each term is the squared distance of the two L2-normalised vectors,
and the second term swaps the views (the symmetrised loss, 0 to 8). After every optimiser
step the target moves towards the online network,
``theta' <- tau theta' + (1 - tau) theta``, with ``tau`` rising from ``tau_base`` to 1 on the
paper's cosine schedule ``tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2``.

BatchNorm in the target: its weight and bias are parameters and follow the average; its
running statistics (buffers) are copied from the online network at each update, so the
target in eval mode normalises as the online network does. During pre-training both
networks run in training mode (batch statistics), as in the paper.

After pre-training only the online backbone is kept: :meth:`BYOL.backbone_state_dict`
is what a fine-tuning script loads.

:class:`BYOLAugment` makes the two views of a batch, with the paper's augmentations
(random resized crop, flip, colour jitter (0.4, 0.4, 0.2, 0.1) with p 0.8, grayscale p 0.2,
Gaussian blur p 1.0 / 0.1, solarize p 0 / 0.2), each a whole-batch array operation.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from .. import backend, nn
from ..autograd.grad_mode import no_grad
from ..data import transforms as T
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["BYOL", "MLPHead", "BYOLAugment", "tau_schedule", "byol_loss"]


def tau_schedule(step: int, total_steps: int, tau_base: float = 0.996) -> float:
    """The EMA rate after ``step`` of ``total_steps``: ``1 - (1 - tau_base)(cos(pi k/K) + 1)/2``.

    Example:
        >>> tau_schedule(0, 100), tau_schedule(50, 100), tau_schedule(100, 100)
        (0.996, 0.998, 1.0)
    """
    if total_steps <= 0:
        raise ValueError(f"tau_schedule: total_steps must be positive, got {total_steps}")
    k = min(max(step, 0), total_steps)
    return round(1 - (1 - tau_base) * (math.cos(math.pi * k / total_steps) + 1) / 2, 15)


def byol_loss(prediction: Tensor, target: Tensor) -> Tensor:
    """``mean(2 - 2 cos(prediction, target))`` over the batch; ``target`` carries no gradient.

    Shape:
        prediction, target: (N, D) -> scalar.
    """
    p = F.normalize(prediction, dim=1)
    z = F.normalize(target.detach(), dim=1)
    return (2 - 2 * (p * z).sum(dim=1)).mean()


class MLPHead(nn.Sequential):
    """Linear -> BatchNorm1d -> ReLU -> Linear: BYOL's projector and predictor."""

    def __init__(self, in_features: int, hidden_dim: int = 4096, out_features: int = 256):
        super().__init__(nn.Linear(in_features, hidden_dim), nn.BatchNorm1d(hidden_dim),
                         nn.ReLU(inplace=True), nn.Linear(hidden_dim, out_features))


def _features(backbone, x):
    """Pooled features (N, D): ``forward_features`` when the backbone has one (the zoo's
    ResNets, whose ``forward`` ends in a classifier), else ``backbone(x)``."""
    if hasattr(backbone, "forward_features"):
        return backbone.forward_features(x)
    return backbone(x)


class BYOL(nn.Module):
    """BYOL around any backbone that maps images to (N, D) features.

    Args:
        backbone: e.g. ``minidl.models.resnet50()`` (its ``forward_features`` is used).
        projection_dim: output of the projector and the predictor (256).
        hidden_dim: hidden width of both MLPs (4096).
        tau: the EMA rate at step 0 (``tau_base``, 0.996).
        feature_dim: D; read from ``backbone.num_features`` when None.

    Attributes:
        backbone, projector, predictor: the online network (trained).
        target_backbone, target_projector: the target network (no gradients).
        tau: the rate the last :meth:`update_target` used.

    Example:
        >>> import minidl
        >>> from minidl.models import resnet18
        >>> byol = BYOL(resnet18(stem="cifar"), projection_dim=8, hidden_dim=16)
        >>> v1, v2 = minidl.randn(4, 3, 16, 16), minidl.randn(4, 3, 16, 16)
        >>> loss = byol(v1, v2)
        >>> loss.backward()
        >>> 0 <= loss.item() <= 8, round(byol.update_target(step=1, total_steps=10), 6)
        (True, 0.996098)
    """

    def __init__(self, backbone: nn.Module, projection_dim: int = 256, hidden_dim: int = 4096,
                 tau: float = 0.996, feature_dim: int | None = None):
        super().__init__()
        if feature_dim is None:
            feature_dim = getattr(backbone, "num_features", None)
            if feature_dim is None:
                raise ValueError("BYOL: the backbone has no num_features; pass feature_dim=")
        if not 0.0 <= tau <= 1.0:
            raise ValueError(f"BYOL: tau must lie in [0, 1], got {tau}")
        self.tau_base = self.tau = float(tau)
        self.backbone = backbone
        self.projector = MLPHead(feature_dim, hidden_dim, projection_dim)
        self.predictor = MLPHead(projection_dim, hidden_dim, projection_dim)
        self.target_backbone = copy.deepcopy(backbone)
        self.target_projector = copy.deepcopy(self.projector)
        for p in self.target_parameters():
            p.requires_grad_(False)

    def online_parameters(self):
        """What the optimiser updates: backbone, projector and predictor."""
        for module in (self.backbone, self.projector, self.predictor):
            yield from module.parameters()

    def target_parameters(self):
        for module in (self.target_backbone, self.target_projector):
            yield from module.parameters()

    def forward(self, view1: Tensor, view2: Tensor) -> Tensor:
        """The symmetrised BYOL loss of two views of the same images."""
        q1 = self.predictor(self.projector(_features(self.backbone, view1)))
        q2 = self.predictor(self.projector(_features(self.backbone, view2)))
        with no_grad():
            z1 = self.target_projector(_features(self.target_backbone, view1))
            z2 = self.target_projector(_features(self.target_backbone, view2))
        return byol_loss(q1, z2) + byol_loss(q2, z1)

    @no_grad()
    def update_target(self, step: int | None = None, total_steps: int | None = None) -> float:
        """Move the target towards the online network; returns the ``tau`` used.

        With ``step`` and ``total_steps``, ``tau = tau_schedule(step, total_steps, tau_base)``;
        without them, ``tau_base``. Parameters: ``t <- tau t + (1 - tau) o``; buffers (BN
        running statistics) are copied from the online network.
        """
        self.tau = (tau_schedule(step, total_steps, self.tau_base) if total_steps is not None
                    else self.tau_base)
        tau = self.tau
        pairs = [(self.backbone, self.target_backbone), (self.projector, self.target_projector)]
        for online, target in pairs:
            for o, t in zip(online.parameters(), target.parameters()):
                t.data[...] = tau * t.data + (1 - tau) * o.data
            for o, t in zip(online.buffers(), target.buffers()):
                t.data[...] = o.data
        return tau

    def backbone_state_dict(self) -> dict:
        """The online backbone's ``state_dict``: what fine-tuning loads."""
        return self.backbone.state_dict()


class BYOLAugment:
    """The two views of a batch with BYOL's augmentations (Table 6 of the paper).

    Every operation is a whole-batch array operation from :mod:`minidl.data.transforms`
    with one random draw per image; the blur kernel is about a tenth of the image.

    Args:
        size: output height and width of the views.
        mean, std: per-channel normalisation applied last (3 values each), or None.
        generator: a NumPy generator (default: the transforms' generator).

    Call with uint8 (N, H, W, 3) or float (N, 3, H, W) in [0, 1] images; returns two float32
    (N, 3, size, size) arrays.

    Example:
        >>> import numpy as np
        >>> images = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
        >>> v1, v2 = BYOLAugment(size=12)(images)
        >>> v1.shape, v1.dtype
        ((4, 3, 12, 12), dtype('float32'))
    """

    # (blur probability, solarize probability) of view 1 and view 2
    VIEWS = ((1.0, 0.0), (0.1, 0.2))

    def __init__(self, size: int, mean=None, std=None, scale=(0.08, 1.0), generator=None):
        self.size = size
        self.scale = scale
        self.mean = None if mean is None else np.asarray(mean, np.float32).reshape(1, 3, 1, 1)
        self.std = None if std is None else np.asarray(std, np.float32).reshape(1, 3, 1, 1)
        self.generator = generator
        self.kernel_size = max(3, (size // 10) | 1)  # 23 at 224 in the paper; odd

    def view(self, x, blur_p: float, solarize_p: float):
        rng = self.generator if self.generator is not None else T.get_generator()
        x = T.batch_random_resized_crop(x, self.size, scale=self.scale, generator=rng)
        x = T.batch_random_horizontal_flip(x, generator=rng)
        x = T.batch_color_jitter(x, 0.4, 0.4, 0.2, 0.1, p=0.8, generator=rng)
        x = T.batch_random_grayscale(x, p=0.2, generator=rng)
        x = T.batch_gaussian_blur(x, self.kernel_size, (0.1, 2.0), p=blur_p, generator=rng)
        x = T.batch_random_solarize(x, 0.5, p=solarize_p, generator=rng)
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x.astype(np.float32, copy=False)

    def __call__(self, images):
        x = images.detach().numpy() if isinstance(images, Tensor) else backend.to_numpy(images)
        if x.dtype == np.uint8:
            x = x.transpose(0, 3, 1, 2).astype(np.float32) / 255
        return tuple(self.view(x, blur, sol) for blur, sol in self.VIEWS)
