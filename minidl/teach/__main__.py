"""``python -m minidl.teach KIND [...]``: print hand-computation problems (and solutions)."""
from __future__ import annotations

import argparse
import sys

from .problems import KINDS, S0, VerificationError, from_values, generate
from .render import FORMATS, render_sheet


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minidl.teach",
        description="Print hand-computation problems with round numbers; every solution is "
                    "computed by loops and checked against autograd and finite differences.")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--seed", type=int, default=0, help="first problem's seed (default 0)")
    parser.add_argument("--count", type=int, default=1, help="problems on the sheet (default 1)")
    parser.add_argument("--size", type=int, default=3,
                        help="input side (conv2d, pooling) or hidden width (relu_chain)")
    parser.add_argument("--kernel", type=int, default=2,
                        help="kernel/window side (conv2d, pooling); outputs (relu_chain)")
    parser.add_argument("--stride", type=int, default=None,
                        help="stride (conv2d default 1, pooling default the window side)")
    parser.add_argument("--padding", type=int, default=0, help="zero padding (conv2d)")
    parser.add_argument("--batch", type=int, default=3, help="batch size (batchnorm)")
    parser.add_argument("--features", type=int, default=2,
                        help="features (batchnorm, linear_softmax_ce, relu_chain, residual)")
    parser.add_argument("--preset", choices=("s0",),
                        help="the course report's exercise instead of drawn numbers (conv2d)")
    parser.add_argument("--format", choices=FORMATS, default="markdown")
    parser.add_argument("--solutions", action="store_true", help="add the worked solutions")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    if args.preset and args.kind != "conv2d":
        parser.error("--preset s0 is a conv2d problem")
    stride = args.stride if args.stride is not None else (
        args.kernel if args.kind in ("maxpool", "avgpool") else 1)
    try:
        if args.preset:
            problems = [from_values("conv2d", S0)]
        else:
            problems = [generate(args.kind, seed=args.seed + i, size=args.size,
                                 kernel=args.kernel, stride=stride, padding=args.padding,
                                 batch=args.batch, features=args.features)
                        for i in range(args.count)]
    except ValueError as err:
        parser.error(str(err))
    except VerificationError as err:  # a bug in minidl, never in the request
        print(f"error: {err}", file=sys.stderr)
        return 1
    title = "Exercise S0" if args.preset else f"Exercises: {args.kind}"
    print(render_sheet(problems, args.format, args.solutions, title), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
