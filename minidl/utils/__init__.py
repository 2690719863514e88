"""``minidl.utils``: helpers around training: metrics, progress bars, run logs, plots.

``minidl.utils.data`` is :mod:`minidl.data` under PyTorch's name.

Example:
    >>> import numpy as np
    >>> from minidl.utils import accuracy
    >>> accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]))
    0.5
"""
from . import data
from . import graph, logger, manifold, metrics, plotting, progress, rundir  # noqa: F401
from . import summary as _summary_module  # noqa: F401
from .logger import RunLogger, format_epoch_summary, read_metrics
from .metrics import (AverageMeter, RunningAverage, accuracy, confusion_matrix, iou_per_class,
                      mae, mean_iou, mean_iou_from_confusion_matrix, rmse,
                      topk_accuracy)
from .manifold import pca, trustworthiness, tsne
from .plotting import make_grid, plot_curves, plot_lr, save_image_grid
from .progress import ProgressBar
from .rundir import RunDirectory, add_run_arguments
from .summary import ModelSummary, summary
