"""The CUDA kernels: im2col, col2im and max pooling, one GPU thread per output element.

Everything else minidl runs on a GPU is the same array code as on the CPU, with CuPy in
place of NumPy. These four are worth a kernel: the array code loops over the KH*KW kernel
taps in Python, issuing one small GPU launch per tap (and col2im's additions would need
atomics to run in one launch). A kernel does the whole job in one launch.

Each kernel gives every *output* element its own thread. Thread ``i`` turns its flat index
back into coordinates (``ow = i % OW; t = i / OW; ...``), works out which input elements
it needs, and writes its one result. col2im and the max-pool backward are written as a
*gather* (each input pixel sums the column entries that came from it) rather than a
scatter (each column entry adding itself to its pixel), so no two threads ever write the
same address: no atomics, and the sum is taken in the same order every time, so results
are deterministic and equal, bit for bit, to the array code on the CPU.

The same index arithmetic, transcribed line by line into vectorised NumPy, is in
:mod:`minidl.cuda.transcription`; the tests hold it against the array code, so the logic
is checked on machines that cannot run a kernel. The sources are compiled by CuPy
(NVRTC) on first use, and compile-checked by the tests where NVRTC is installed.

Notation as in :mod:`minidl.nn.functional.im2col`: x (N, C, H, W), kernel KH x KW,
stride SH, SW, padding PT (top) and PL (left), dilation DH, DW, output OH x OW.
"""
from __future__ import annotations

import numpy as np

__all__ = ["SOURCE", "NAME_EXPRESSIONS", "CTYPES", "im2col", "col2im",
           "max_pool2d_forward", "max_pool2d_backward"]

SOURCE = r"""
// Geometry arguments, in this order, for every kernel (64-bit: a column matrix can have
// more than 2^31 elements):
//   N, C, H, W      input batch, channels, height, width
//   KH, KW          kernel taps
//   SH, SW          stride
//   PT, PL          padding at the top and on the left (bottom/right only shorten OH, OW)
//   DH, DW          dilation (distance between taps)
//   OH, OW          output height and width
#define GEOMETRY long long N, long long C, long long H, long long W,   \
                 long long KH, long long KW, long long SH, long long SW, \
                 long long PT, long long PL, long long DH, long long DW, \
                 long long OH, long long OW

// The value that never wins a max: -inf for floats, the smallest integer for integers.
template <typename T> __device__ T lowest();
template <> __device__ float lowest<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ double lowest<double>() {
    return -__longlong_as_double(0x7ff0000000000000LL);
}
template <> __device__ int lowest<int>() { return -2147483647 - 1; }
template <> __device__ long long lowest<long long>() { return -9223372036854775807LL - 1; }

// im2col: one thread per element of cols, seen as (C, KH, KW, N, OH, OW).
//   cols[c, kh, kw, n, oh, ow] = x[n, c, oh*SH + kh*DH - PT, ow*SW + kw*DW - PL]
// (zero where that position falls in the padding).
template <typename T>
__global__ void im2col(const T* x, T* cols, GEOMETRY) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= C * KH * KW * N * OH * OW) return;
    long long ow = i % OW;  long long t = i / OW;
    long long oh = t % OH;  t /= OH;
    long long n = t % N;    t /= N;
    long long kw = t % KW;  t /= KW;
    long long kh = t % KH;
    long long c = t / KH;
    long long h = oh * SH + kh * DH - PT;
    long long w = ow * SW + kw * DW - PL;
    bool inside = 0 <= h && h < H && 0 <= w && w < W;
    cols[i] = inside ? x[((n * C + c) * H + h) * W + w] : T(0);
}

// col2im: one thread per input pixel (n, c, h, w); it gathers the column entries that
// im2col copied from it. Tap kh of window oh reads row h when oh*SH + kh*DH - PT == h,
// i.e. when h + PT - kh*DH is a multiple of SH (then oh is the quotient).
template <typename T>
__global__ void col2im(const T* cols, T* x, GEOMETRY) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N * C * H * W) return;
    long long w = i % W;  long long t = i / W;
    long long h = t % H;  t /= H;
    long long c = t % C;
    long long n = t / C;
    T sum = T(0);
    for (long long kh = 0; kh < KH; ++kh) {
        long long rh = h + PT - kh * DH;
        if (rh < 0 || rh % SH != 0 || rh / SH >= OH) continue;
        long long oh = rh / SH;
        for (long long kw = 0; kw < KW; ++kw) {
            long long rw = w + PL - kw * DW;
            if (rw < 0 || rw % SW != 0 || rw / SW >= OW) continue;
            long long ow = rw / SW;
            sum += cols[((((c * KH + kh) * KW + kw) * N + n) * OH + oh) * OW + ow];
        }
    }
    x[i] = sum;
}

// Max pooling forward: one thread per output (n, c, oh, ow). It visits the taps in
// row-major order j = kh*KW + kw and keeps the largest value and the tap it came from.
// Taps in the padding read lowest<T>(). Ties keep the first tap (strictly greater);
// a NaN becomes the value (as NumPy's maximum) but not the winner.
template <typename T>
__global__ void max_pool2d_forward(const T* x, T* y, int* winner, GEOMETRY) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N * C * OH * OW) return;
    long long ow = i % OW;  long long t = i / OW;
    long long oh = t % OH;
    long long plane = t / OH;                 // n*C + c
    const T* x_plane = x + plane * H * W;
    T best = lowest<T>();
    int arg = 0;
    for (long long kh = 0; kh < KH; ++kh) {
        for (long long kw = 0; kw < KW; ++kw) {
            int j = (int)(kh * KW + kw);
            long long h = oh * SH + kh * DH - PT;
            long long w = ow * SW + kw * DW - PL;
            bool inside = 0 <= h && h < H && 0 <= w && w < W;
            T v = inside ? x_plane[h * W + w] : lowest<T>();
            if (j == 0) { best = v; }
            else if (v > best) { best = v; arg = j; }
            else if (v != v) { best = v; }
        }
    }
    y[i] = best;
    winner[i] = arg;
}

// Max pooling backward: one thread per input pixel (n, c, h, w). It gathers g from every
// window that reads it (the test of col2im) and whose winning tap is the one reading it.
template <typename T>
__global__ void max_pool2d_backward(const T* g, const int* winner, T* gx, GEOMETRY) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= N * C * H * W) return;
    long long w = i % W;  long long t = i / W;
    long long h = t % H;
    long long plane = t / H;                  // n*C + c
    const T* g_plane = g + plane * OH * OW;
    const int* winner_plane = winner + plane * OH * OW;
    T sum = T(0);
    for (long long kh = 0; kh < KH; ++kh) {
        long long rh = h + PT - kh * DH;
        if (rh < 0 || rh % SH != 0 || rh / SH >= OH) continue;
        long long oh = rh / SH;
        for (long long kw = 0; kw < KW; ++kw) {
            long long rw = w + PL - kw * DW;
            if (rw < 0 || rw % SW != 0 || rw / SW >= OW) continue;
            long long ow = rw / SW;
            if (winner_plane[oh * OW + ow] == kh * KW + kw) sum += g_plane[oh * OW + ow];
        }
    }
    gx[i] = sum;
}
"""

# NumPy dtype -> the C type the templates are instantiated with.
CTYPES = {
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
    np.dtype(np.int32): "int",
    np.dtype(np.int64): "long long",
}
KERNEL_NAMES = ("im2col", "col2im", "max_pool2d_forward", "max_pool2d_backward")
NAME_EXPRESSIONS = tuple(f"{name}<{ctype}>" for name in KERNEL_NAMES
                         for ctype in CTYPES.values())
OPTIONS = ("--std=c++14",)
THREADS_PER_BLOCK = 256

_module = None


def _cupy():
    import cupy  # only reached when the data already is a CuPy array

    return cupy


def _function(name: str, dtype):
    """The compiled kernel ``name<ctype>`` for ``dtype`` (the module compiles on first use)."""
    global _module
    dtype = np.dtype(dtype)
    if dtype not in CTYPES:
        supported = ", ".join(str(d) for d in CTYPES)
        raise TypeError(f"minidl.cuda.{name}: no kernel for dtype {dtype} (kernels exist for "
                        f"{supported})")
    if _module is None:
        _module = _cupy().RawModule(code=SOURCE, options=OPTIONS,
                                    name_expressions=NAME_EXPRESSIONS)
    return _module.get_function(f"{name}<{CTYPES[dtype]}>")


def _launch(name: str, dtype, total: int, arrays: tuple, geometry: tuple) -> None:
    """Run kernel ``name`` with one thread per element of a ``total``-element output."""
    if total == 0:
        return
    blocks = (total + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
    args = arrays + tuple(np.int64(v) for v in geometry)
    _function(name, dtype)((blocks,), (THREADS_PER_BLOCK,), args)


def geometry_args(input_shape, kernel, stride, padding, dilation, out_hw) -> tuple:
    """The kernels' GEOMETRY arguments: N, C, H, W, KH, KW, SH, SW, PT, PL, DH, DW, OH, OW."""
    n, c, h, w = input_shape
    (pt, _), (pl, _) = padding
    return (n, c, h, w, kernel[0], kernel[1], stride[0], stride[1], pt, pl,
            dilation[0], dilation[1], out_hw[0], out_hw[1])


def im2col(x, kernel, stride, padding, dilation, out_hw, out=None):
    """im2col on the GPU: x (N, C, H, W) -> cols (C*KH*KW, N*OH*OW), as the array version.

    ``padding`` is ((PT, PB), (PL, PR)); ``out`` an optional contiguous buffer to fill.
    """
    cp = _cupy()
    x = cp.ascontiguousarray(x)
    n, c = x.shape[:2]
    shape = (c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])
    cols = cp.empty(shape, dtype=x.dtype) if out is None else out.reshape(shape)
    geometry = geometry_args(x.shape, kernel, stride, padding, dilation, out_hw)
    _launch("im2col", x.dtype, cols.size, (x, cols), geometry)
    return cols


def col2im(cols, input_shape, kernel, stride, padding, dilation, out_hw):
    """col2im on the GPU: cols (C*KH*KW, N*OH*OW) -> (N, C, H, W), summing by gathering."""
    cp = _cupy()
    cols = cp.ascontiguousarray(cols)
    x = cp.empty(tuple(input_shape), dtype=cols.dtype)
    geometry = geometry_args(input_shape, kernel, stride, padding, dilation, out_hw)
    _launch("col2im", cols.dtype, x.size, (cols, x), geometry)
    return x


def max_pool2d_forward(x, kernel, stride, padding, dilation, out_hw):
    """Max pooling of x (N, C, H, W): (y (N, C, OH, OW), winning tap of each output, int32)."""
    cp = _cupy()
    x = cp.ascontiguousarray(x)
    n, c = x.shape[:2]
    y = cp.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    winner = cp.empty(y.shape, dtype=np.int32)
    geometry = geometry_args(x.shape, kernel, stride, padding, dilation, out_hw)
    _launch("max_pool2d_forward", x.dtype, y.size, (x, y, winner), geometry)
    return y, winner


def max_pool2d_backward(g, winner, input_shape, kernel, stride, padding, dilation, out_hw):
    """dL/dx (N, C, H, W) of max pooling: g goes to the winning tap of each window."""
    cp = _cupy()
    g = cp.ascontiguousarray(g)
    winner = cp.ascontiguousarray(winner, dtype=np.int32)
    gx = cp.empty(tuple(input_shape), dtype=g.dtype)
    geometry = geometry_args(input_shape, kernel, stride, padding, dilation, out_hw)
    _launch("max_pool2d_backward", g.dtype, gx.size, (g, winner, gx), geometry)
    return gx
