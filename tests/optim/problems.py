"""A fixed optimisation problem shared by the optimizer tests.

Two parameters (shapes (3, 4) and (5,)), each with the element-wise objective

    f(theta) = sum( a * (1 - cos(theta - b)) + c / 2 * theta^2 ),   a, c > 0

smooth, not quadratic, and bounded below; its gradient is
``a * sin(theta - b) + c * theta``. minidl computes the gradient with autograd, the
NumPy references with that formula, and the PyTorch parity tests with torch's autograd.
"""
import numpy as np

import minidl

SHAPES = [(3, 4), (5,)]


def constants(seed: int = 7):
    """(a, b, c) arrays for each parameter."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(0.5, 2.0, s), rng.normal(0.0, 1.0, s), rng.uniform(0.05, 0.2, s))
            for s in SHAPES]


def initial_values(seed: int = 3):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 1.5, s) for s in SHAPES]


CONSTANTS = constants()
INITIAL = initial_values()


def numpy_grad(theta, consts):
    """df/dtheta by the formula."""
    a, b, c = consts
    return a * np.sin(theta - b) + c * theta


def make_params(dtype=np.float64):
    """Fresh minidl leaf tensors holding the initial values."""
    return [minidl.tensor(x.astype(dtype), requires_grad=True) for x in INITIAL]


def minidl_backward(params, dtype=None):
    """Fill each parameter's .grad with df/dtheta, computed by minidl's autograd."""
    for p, (a, b, c) in zip(params, CONSTANTS):
        dt = p.dtype if dtype is None else dtype
        a, b, c = (minidl.tensor(x.astype(dt)) for x in (a, b, c))
        loss = a * (1 - (p - b).cos()) + c * 0.5 * p ** 2
        loss.backward(gradient=minidl.ones(*p.shape, dtype=p.dtype))


def run_minidl(make_optimizer, steps: int = 100, dtype=np.float64, params=None):
    """Run ``steps`` optimizer steps on the problem; return (params, optimizer)."""
    params = make_params(dtype) if params is None else params
    opt = make_optimizer(params)
    for _ in range(steps):
        opt.zero_grad()
        minidl_backward(params)
        opt.step()
    return params, opt


def run_reference(update, steps: int = 100, lrs=None):
    """Run a NumPy reference ``update(theta, grad, state, lr)``, which returns the new theta."""
    thetas = [x.copy() for x in INITIAL]
    states = [{} for _ in thetas]
    for _ in range(steps):
        for i, consts in enumerate(CONSTANTS):
            g = numpy_grad(thetas[i], consts)
            thetas[i] = update(thetas[i], g, states[i], None if lrs is None else lrs[i])
    return thetas


def run_torch(torch, make_optimizer, steps: int = 100):
    """The same problem in PyTorch (float64), for parity tests."""
    params = [torch.tensor(x.copy(), requires_grad=True) for x in INITIAL]
    consts = [tuple(torch.tensor(v) for v in c) for c in CONSTANTS]
    opt = make_optimizer(params)
    for _ in range(steps):
        opt.zero_grad()
        loss = sum((a * (1 - torch.cos(p - b)) + c * 0.5 * p ** 2).sum()
                   for p, (a, b, c) in zip(params, consts))
        loss.backward()
        opt.step()
    return [p.detach().numpy() for p in params]
