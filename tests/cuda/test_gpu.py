"""On a real GPU: the op table, the CUDA kernels, a ResNet-18 training step and a checkpoint
round trip on CUDA, each compared with the CPU. Marked ``gpu``: without a CUDA GPU they
are skipped, with the reason (CuPy missing, no driver, no device).

The same device-parameterised tests that run on the strict stand-in device run here with
``device="cuda"``; ``pytest --devices cpu,strict,cuda`` runs every one of them on the GPU.
"""
import numpy as np
import pytest

from minidl.nn.functional.im2col import col2im, conv_output_size, im2col
from tests import test_devices
from tests.ops import test_op_table as op_table

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("op", op_table.OPS, ids=op_table._ids)
def test_op_table_on_cuda(op):
    op_table.test_forward_matches_numpy(op=op, device="cuda")
    op_table.test_gradcheck(op=op, device="cuda")


def test_resnet18_step_and_checkpoint_round_trip_on_cuda(tmp_path):
    test_devices.test_resnet_trains_checkpoints_and_resumes_on_every_device(
        "cuda", tmp_path, make_model=test_devices.cifar_resnet18)


GEOMETRIES = [  # (x shape, kernel, stride, padding ((PT, PB), (PL, PR)), dilation)
    ((2, 3, 7, 6), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((1, 4, 9, 8), (3, 2), (2, 3), ((0, 2), (1, 0)), (2, 1)),
    ((3, 2, 5, 5), (1, 1), (2, 2), ((0, 0), (0, 0)), (1, 1)),
    ((8, 64, 32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", GEOMETRIES)
def test_kernels_equal_the_array_code_bit_for_bit(shape, kernel, stride, padding, dilation,
                                                  dtype):
    cp = pytest.importorskip("cupy")
    from minidl.cuda import kernels

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    out_hw = tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in
                   zip(shape[2:], kernel, stride, padding, dilation))
    args = (kernel, stride, padding, dilation, out_hw)
    cols = kernels.im2col(cp.asarray(x), *args)
    np.testing.assert_array_equal(cp.asnumpy(cols), im2col(x, *args))
    c = rng.standard_normal(cols.shape).astype(dtype)
    back = kernels.col2im(cp.asarray(c), shape, *args)
    np.testing.assert_array_equal(cp.asnumpy(back), col2im(c, shape, *args))


@pytest.mark.parametrize("values", ["distinct", "ties", "nan"])
def test_max_pool_kernels_equal_the_array_code(values):
    cp = pytest.importorskip("cupy")
    import minidl
    import minidl.nn.functional as F

    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 8, 15, 13))
    if values == "ties":
        x = x.round(0)
    elif values == "nan":
        x[rng.random(x.shape) < 0.1] = np.nan
    g = rng.standard_normal((4, 8, 8, 7))
    results = []
    for device in ("cpu", "cuda"):
        t = minidl.tensor(x, device=device, requires_grad=True)
        y, idx = F.max_pool2d(t, 3, stride=2, padding=1, return_indices=True)
        y.backward(minidl.tensor(g, device=device))
        results.append((y.detach().numpy(), idx.numpy(), t.grad.numpy()))
    for cpu, gpu in zip(*results):
        np.testing.assert_array_equal(gpu, cpu)
    assert cp.cuda.runtime.getDeviceCount() >= 1
