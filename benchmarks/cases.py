"""The benchmark cases, written once against the PyTorch-shaped API of both frameworks.

Every case builds its inputs from the same seeded float32 NumPy arrays and returns a
``step()`` closure that the worker times. Nothing is cached between calls of ``step``:
each forward builds a fresh graph, each backward computes fresh gradients.

Convolution layers: every distinct conv of ResNet-18 with the CIFAR stem, as
``(name, C_in, C_out, H, kernel, stride)``; padding is 1 for 3x3 and 0 for 1x1.
"""
from __future__ import annotations

import numpy as np

RESNET18_CIFAR_CONVS = [
    ("stem 3->64 3x3 @32", 3, 64, 32, 3, 1),
    ("64->64 3x3 @32", 64, 64, 32, 3, 1),
    ("64->128 3x3 s2 @32", 64, 128, 32, 3, 2),
    ("128->128 3x3 @16", 128, 128, 16, 3, 1),
    ("128->256 3x3 s2 @16", 128, 256, 16, 3, 2),
    ("256->256 3x3 @8", 256, 256, 8, 3, 1),
    ("256->512 3x3 s2 @8", 256, 512, 8, 3, 2),
    ("512->512 3x3 @4", 512, 512, 4, 3, 1),
    ("shortcut 64->128 1x1 s2 @32", 64, 128, 32, 1, 2),
    ("shortcut 128->256 1x1 s2 @16", 128, 256, 16, 1, 2),
    ("shortcut 256->512 1x1 s2 @8", 256, 512, 8, 1, 2),
]
CONV_BATCHES = (32, 128)
QUICK_BATCH = 2

TRAIN_CASES = {  # name: (model, batch, input shape of one sample, classes)
    "simplecnn_b128": ("simplecnn", 128, (3, 32, 32), 10),
    "resnet18_b32": ("resnet18", 32, (3, 32, 32), 10),
    "resnet18_b128": ("resnet18", 128, (3, 32, 32), 10),
    "mlp_b64": ("mlp", 64, (784,), 10),
}


def _rng(seed: int = 0):
    return np.random.default_rng(seed)


def _randn(shape, seed=0, scale=1.0):
    return (_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def conv_flops(batch: int, cin: int, cout: int, h: int, k: int, stride: int, groups: int = 1):
    """Multiply-adds x 2 of one conv forward (the backward is twice that)."""
    oh = (h + 2 * (k // 2) - k) // stride + 1
    return 2.0 * batch * cout * oh * oh * (cin // groups) * k * k


def _fwd_bwd(fw, fn, inputs, grad_out, activation=False):
    """``step()`` running ``fn(*inputs)`` and its backward with ``grad_out``; grads cleared.

    ``activation``: hand ``grad_out`` over in the framework's activation layout
    (:meth:`Framework.activation`), as the layer above would.
    """
    leaves = [t for t in inputs if getattr(t, "requires_grad", False)]
    g = fw.activation(grad_out) if activation else fw.tensor(grad_out)

    def step():
        for t in leaves:
            t.grad = None
        fn(*inputs).backward(g)
    return step


def _fwd(fn, inputs):
    def step():
        fn(*inputs)
    return step


# --------------------------------------------------------------------------- ops
def op_cases(quick: bool):
    """``[(group, name, flops_or_None, build(fw) -> {"fwd": step, "fwd+bwd": step})]``."""
    cases = []
    batches = (QUICK_BATCH,) if quick else CONV_BATCHES
    for name, cin, cout, h, k, s in RESNET18_CIFAR_CONVS:
        for n in batches:
            cases.append(("conv2d", f"{name} b{n}", conv_flops(n, cin, cout, h, k, s),
                          _conv_builder(n, cin, cout, h, k, s, input_grad=cin != 3)))
    b = QUICK_BATCH if quick else None

    def batch(full):
        return b or full

    cases += [
        ("batch_norm2d", f"BatchNorm2d(64) train ({batch(128)},64,32,32)", None,
         _bn_builder((batch(128), 64, 32, 32))),
        ("batch_norm2d", f"BatchNorm2d(256) train ({batch(128)},256,8,8)", None,
         _bn_builder((batch(128), 256, 8, 8))),
        ("max_pool2d", f"max_pool2d 2x2 ({batch(128)},32,32,32)", None,
         _pool_builder((batch(128), 32, 32, 32), 2, 2, 0)),
        ("max_pool2d", f"max_pool2d 3x3 s2 p1 ({batch(32)},64,56,56)", None,
         _pool_builder((batch(32), 64, 56, 56), 3, 2, 1)),
        ("linear", f"linear ({batch(64)},784)->256", 2.0 * batch(64) * 784 * 256,
         _linear_builder(batch(64), 784, 256)),
        ("linear", f"linear ({batch(128)},512)->1000", 2.0 * batch(128) * 512 * 1000,
         _linear_builder(batch(128), 512, 1000)),
        ("cross_entropy", f"cross_entropy ({batch(128)},10)", None, _ce_builder(batch(128), 10)),
        ("cross_entropy", f"cross_entropy ({batch(128)},1000)", None,
         _ce_builder(batch(128), 1000)),
        ("softmax", f"softmax dim=1 ({batch(128)},1000)", None, _softmax_builder((batch(128), 1000))),
        ("softmax", f"softmax dim=-1 ({batch(4096)},256)", None,
         _softmax_builder((batch(4096), 256))),
        ("conv_transpose2d", f"conv_transpose2d 128->64 4x4 s2 ({batch(32)},128,16,16)",
         2.0 * batch(32) * 128 * 16 * 16 * 64 * 4 * 4,
         _convt_builder(batch(32), 128, 64, 16)),
        ("depthwise conv2d", f"depthwise 7x7 96ch ({batch(32)},96,{14 if quick else 56},"
                             f"{14 if quick else 56})",
         conv_flops(batch(32), 96, 96, 14 if quick else 56, 7, 1, groups=96),
         _depthwise_builder(batch(32), 96, 14 if quick else 56)),
    ]
    # segmentation (S8): DeepLabv3's dilated 3x3 convs (backbone dilations 2 and 4, ASPP rates
    # 12, 24, 36; padding = dilation keeps the size) and FCN-32s's x32 upsampler
    h = 8 if quick else 32
    for d in DILATIONS:
        cases.append(("dilated conv2d", f"dilated 3x3 d{d} 128->128 ({batch(4)},128,{h},{h})",
                      2.0 * batch(4) * 128 * h * h * 128 * 9, _dilated_builder(batch(4), 128, h, d)))
    s = 5 if quick else 17  # FCN-32s's score map of a 512x512 image is 17x17
    cases.append(("conv_transpose2d", f"conv_transpose2d 7->7 k64 s32 ({batch(4)},7,{s},{s})",
                  2.0 * batch(4) * 7 * s * s * 7 * 64 * 64, _upscore_builder(batch(4), 7, s)))
    return cases


DILATIONS = (2, 4, 12, 24, 36)


def _dilated_builder(n, c, h, d):
    def build(fw):
        x = fw.activation(_randn((n, c, h, h), 1), True)
        w = fw.tensor(_randn((c, c, 3, 3), 2, scale=(2.0 / (c * 9)) ** 0.5), requires_grad=True)

        def fn(x, w):
            return fw.F.conv2d(x, w, None, 1, d, d)
        return {"fwd": _fwd(fn, (x, w)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x, w), _randn((n, c, h, h), 3), True)}
    return build


def _upscore_builder(n, c, h):
    def build(fw):
        x = fw.tensor(_randn((n, c, h, h), 1), requires_grad=True)
        w = fw.tensor(_randn((c, c, 64, 64), 2, scale=0.01), requires_grad=True)
        size = (h - 1) * 32 + 64

        def fn(x, w):
            return fw.F.conv_transpose2d(x, w, None, 32)
        return {"fwd": _fwd(fn, (x, w)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x, w), _randn((n, c, size, size), 3))}
    return build


def _conv_builder(n, cin, cout, h, k, s, input_grad=True):
    """A ResNet conv layer: its input is an activation (the stem's, the NCHW images)."""
    def build(fw):
        x = _randn((n, cin, h, h), 1)
        x = fw.activation(x, input_grad) if input_grad else fw.tensor(x)
        w = fw.tensor(_randn((cout, cin, k, k), 2, scale=(2.0 / (cin * k * k)) ** 0.5),
                      requires_grad=True)
        oh = (h + 2 * (k // 2) - k) // s + 1

        def fn(x, w):
            return fw.F.conv2d(x, w, None, s, k // 2)
        return {"fwd": _fwd(fn, (x, w)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x, w), _randn((n, cout, oh, oh), 3), True)}
    return build


def _bn_builder(shape):
    def build(fw):
        c = shape[1]
        x = fw.activation(_randn(shape, 1), requires_grad=True)
        w = fw.tensor(np.ones(c, np.float32), requires_grad=True)
        b = fw.tensor(np.zeros(c, np.float32), requires_grad=True)
        rm, rv = fw.tensor(np.zeros(c, np.float32)), fw.tensor(np.ones(c, np.float32))

        def fn(x, w, b):
            return fw.F.batch_norm(x, rm, rv, w, b, training=True)
        return {"fwd": _fwd(fn, (x, w, b)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x, w, b), _randn(shape, 3), True)}
    return build


def _pool_builder(shape, k, s, p):
    def build(fw):
        x = fw.activation(_randn(shape, 1), requires_grad=True)
        oh = (shape[2] + 2 * p - k) // s + 1

        def fn(x):
            return fw.F.max_pool2d(x, k, s, p)
        return {"fwd": _fwd(fn, (x,)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x,), _randn(shape[:2] + (oh, oh), 3), True)}
    return build


def _linear_builder(n, fin, fout):
    def build(fw):
        x = fw.tensor(_randn((n, fin), 1), requires_grad=True)
        w = fw.tensor(_randn((fout, fin), 2, scale=fin ** -0.5), requires_grad=True)
        b = fw.tensor(np.zeros(fout, np.float32), requires_grad=True)
        return {"fwd": _fwd(fw.F.linear, (x, w, b)),
                "fwd+bwd": _fwd_bwd(fw, fw.F.linear, (x, w, b), _randn((n, fout), 3))}
    return build


def _ce_builder(n, classes):
    def build(fw):
        x = fw.tensor(_randn((n, classes), 1), requires_grad=True)
        y = fw.tensor(_rng(2).integers(0, classes, n).astype(np.int64))

        def fn(x):
            return fw.F.cross_entropy(x, y)
        return {"fwd": _fwd(fn, (x,)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x,), np.ones((), np.float32))}
    return build


def _softmax_builder(shape):
    def build(fw):
        x = fw.tensor(_randn(shape, 1), requires_grad=True)

        def fn(x):
            return fw.F.softmax(x, dim=-1)
        return {"fwd": _fwd(fn, (x,)), "fwd+bwd": _fwd_bwd(fw, fn, (x,), _randn(shape, 3))}
    return build


def _convt_builder(n, cin, cout, h):
    def build(fw):
        x = fw.tensor(_randn((n, cin, h, h), 1), requires_grad=True)
        w = fw.tensor(_randn((cin, cout, 4, 4), 2, scale=0.05), requires_grad=True)

        def fn(x, w):
            return fw.F.conv_transpose2d(x, w, None, 2, 1)
        return {"fwd": _fwd(fn, (x, w)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x, w), _randn((n, cout, 2 * h, 2 * h), 3))}
    return build


def _depthwise_builder(n, c, h):
    def build(fw):
        x = fw.tensor(_randn((n, c, h, h), 1), requires_grad=True)
        w = fw.tensor(_randn((c, 1, 7, 7), 2, scale=1 / 7), requires_grad=True)

        def fn(x, w):
            return fw.F.conv2d(x, w, None, 1, 3, 1, c)
        return {"fwd": _fwd(fn, (x, w)),
                "fwd+bwd": _fwd_bwd(fw, fn, (x, w), _randn((n, c, h, h), 3))}
    return build


# ---------------------------------------------------------------------- training
def train_step_builder(fw, case: str, quick: bool):
    """A full SGD step of one of :data:`TRAIN_CASES`: forward, loss, backward, update.

    BatchNorm layers are in training mode; SGD has momentum 0.9 and weight decay 5e-4,
    so the update touches every parameter and its momentum buffer.
    """
    model_name, n, sample, classes = TRAIN_CASES[case]
    if quick:
        n = QUICK_BATCH
    fw.seed(0)
    model = fw.model(model_name)
    opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = fw.tensor(_randn((n,) + sample, 1))
    y = fw.tensor(_rng(2).integers(0, classes, n).astype(np.int64))

    def step():
        opt.zero_grad()
        loss = fw.F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    n_params = sum(int(np.prod(p.shape)) for p in model.parameters())
    return step, n_params
