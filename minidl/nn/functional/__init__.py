"""``minidl.nn.functional`` (import as ``F``): the stateless layer ops.

Each family lives in its own module, with forward and backward side by side:
linear, activation, dropout, loss, conv (im2col beside it), pooling,
normalization and sampling.
"""
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .conv_nd import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .pooling_nd import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .folding import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
