"""Layers as Modules: thin classes holding parameters and calling one functional op."""
from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .pooling_nd import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .folding import *  # noqa: F401,F403
