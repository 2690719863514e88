"""S0 conv-by-hand: the course's hand-derived convolution exercise, computed three ways.

One input channel, one output channel, a 2x2 kernel, stride 1, no padding, bias b:

    Y[i, j] = sum_{p, q} X[i + p, j + q] * W[p, q] + b

Given dL/dY, backpropagation gives

    dL/dW[p, q] = sum_{i, j} dL/dY[i, j] * X[i + p, j + q]   (correlate X with dL/dY)
    dL/db       = sum_{i, j} dL/dY[i, j]
    dL/dX[m, n] = sum_{i, j} dL/dY[i, j] * W[m - i, n - j]   (full convolution of dL/dY
                                                              with W rotated by 180 degrees)

Each quantity is computed by explicit loops (the formulas above), by minidl's conv2d and
its backward, and by central finite differences, printed side by side with an agreement
check. Then the course report's dL/dX is reproduced to show where it went wrong: it
convolved the zero-padded *output Y* with the rotated kernel, where the formula needs the
*upstream gradient dL/dY*.

Run:  python examples/conv_by_hand.py
"""
import argparse

import numpy as np

import minidl
import minidl.nn.functional as F

X = np.array([[0.5, -0.2, 0.3],
              [0.6, 0.4, -0.1],
              [-0.4, 0.5, 0.2]])
W = np.array([[0.1, -0.2],
              [-0.3, 0.4]])
B = 0.04
DY = np.array([[0.3, 0.1],
               [-0.4, 0.2]])
REPORT_Y = np.array([[0.11, -0.20], [0.34, 0.03]])  # what the report computed (correct)


# ---------------------------------------------------------------- 1. explicit loops
def forward_loops(x, w, b):
    """Y[i, j] = sum_{p,q} X[i+p, j+q] W[p, q] + b, exactly as the formula reads."""
    kh, kw = w.shape
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    y[i, j] += x[i + p, j + q] * w[p, q]
            y[i, j] += b
    return y


def backward_loops(x, w, dy):
    """dL/dX, dL/dW, dL/db by distributing each dL/dY[i, j] to what produced Y[i, j]."""
    kh, kw = w.shape
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), 0.0
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            for p in range(kh):
                for q in range(kw):
                    dx[i + p, j + q] += dy[i, j] * w[p, q]  # Y[i,j] used X[i+p, j+q] ...
                    dw[p, q] += dy[i, j] * x[i + p, j + q]  # ... times W[p, q]
            db += dy[i, j]
    return dx, dw, db


# ---------------------------------------------------------------- 2. minidl
def minidl_conv(x, w, b, dy):
    """conv2d on (N=1, C=1, H, W) tensors, then backward with gradient dL/dY."""
    xt = minidl.tensor(x[None, None], dtype=minidl.float64, requires_grad=True)
    wt = minidl.tensor(w[None, None], dtype=minidl.float64, requires_grad=True)
    bt = minidl.tensor([b], dtype=minidl.float64, requires_grad=True)
    y = F.conv2d(xt, wt, bt)
    y.backward(minidl.tensor(dy[None, None], dtype=minidl.float64))
    return (y.detach().numpy()[0, 0], xt.grad.numpy()[0, 0], wt.grad.numpy()[0, 0],
            float(bt.grad.numpy()[0]))


# ---------------------------------------------------------------- 3. finite differences
def finite_differences(x, w, b, dy, eps=1e-6):
    """Central differences of L = sum(Y * dL/dY), whose gradient is exactly what we want."""
    def loss(x_, w_, b_):
        return float((forward_loops(x_, w_, b_) * dy).sum())

    def numeric(arr, f):
        grad = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += eps
            minus[idx] -= eps
            grad[idx] = (f(plus) - f(minus)) / (2 * eps)
        return grad

    dx = numeric(x, lambda v: loss(v, w, b))
    dw = numeric(w, lambda v: loss(x, v, b))
    db = (loss(x, w, b + eps) - loss(x, w, b - eps)) / (2 * eps)
    return dx, dw, db


# ---------------------------------------------------------------- the report's method
def full_convolution_with_rotated_kernel(a, w):
    """Zero-pad ``a`` by (KH-1, KW-1) and correlate with W rotated 180 degrees."""
    kh, kw = w.shape
    padded = np.pad(a, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return forward_loops(padded, np.rot90(w, 2), 0.0)


def fmt(value):
    """A matrix or number as a Python literal with 4 decimals (parsed by the tests)."""
    if np.ndim(value) == 0:
        return f"{float(value):.4f}"
    return "[" + ", ".join("[" + ", ".join(f"{v:.4f}" for v in row) + "]" for row in value) + "]"


def show(name, values, tol):
    """Print one quantity three ways and whether they agree within ``tol``."""
    print(f"== {name} ==")
    for label, v in values.items():
        print(f"  {label:<19}: {fmt(v)}")
    arrays = [np.asarray(v, dtype=float) for v in values.values()]
    worst = max(float(np.max(np.abs(a - arrays[0]))) for a in arrays[1:])
    print(f"  {'agreement':<19}: max difference {worst:.1e} -> {'OK' if worst <= tol else 'MISMATCH'}")
    return worst <= tol


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    args = parser.parse_args(argv)

    y_loop = forward_loops(X, W, B)
    dx_loop, dw_loop, db_loop = backward_loops(X, W, DY)
    y_md, dx_md, dw_md, db_md = minidl_conv(X, W, B, DY)
    dx_fd, dw_fd, db_fd = finite_differences(X, W, B, DY, args.eps)

    print("S0: a 2x2 convolution by hand (stride 1, no padding)\n")
    ok = show("Y", {"loops": y_loop, "minidl conv2d": y_md, "course report": REPORT_Y}, 5e-3)
    ok &= show("dL/dX", {"loops": dx_loop, "minidl backward": dx_md, "finite differences": dx_fd}, 1e-6)
    ok &= show("dL/dW", {"loops": dw_loop, "minidl backward": dw_md, "finite differences": dw_fd}, 1e-6)
    ok &= show("dL/db", {"loops": db_loop, "minidl backward": db_md, "finite differences": db_fd}, 1e-6)

    report_dx = full_convolution_with_rotated_kernel(y_loop, W)
    right_dx = full_convolution_with_rotated_kernel(DY, W)
    print("\n== Where the course report's dL/dX went wrong ==")
    print(f"  {'report (uses Y)':<19}: {fmt(report_dx)}")
    print(f"  {'correct (uses dL/dY)':<19}: {fmt(right_dx)}")
    print("  dL/dX is the full convolution of the *upstream gradient* dL/dY with the kernel\n"
          "  rotated by 180 degrees. The report padded and convolved the *output* Y instead:\n"
          "  Y is what the layer produced, not how the loss changes with it, so its result\n"
          "  does not depend on dL/dY at all and is wrong for any loss. With dL/dY in its place\n"
          "  the same recipe gives the loops', minidl's and the finite differences' answer.")
    print(f"\nAll three methods agree: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
