"""Automatic differentiation: the graph (Function, Node), the engine, grad mode, gradcheck."""
from .function import Edge, Function, Node
from .engine import backward, sum_to
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "Node", "Edge", "backward", "sum_to", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "gradcheck", "GradcheckError"]
