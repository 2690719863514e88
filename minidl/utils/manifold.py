"""Low-dimensional pictures of high-dimensional features: PCA, t-SNE, trustworthiness.

Used to look at what a network has learnt: take the activations of its last hidden layer for a
validation set (``N`` rows of ``D`` features), map them to 2-D, and colour the points by class.

- :func:`pca` is linear and written here in NumPy (one SVD), so a student can follow it.
- :func:`tsne` and :func:`trustworthiness` call scikit-learn, the well-kept implementation the
  course used. scikit-learn is optional: ``pip install minidl[viz]`` (or
  ``pip install scikit-learn``); without it these two raise an ImportError that says so.

Inputs may be NumPy arrays, CuPy arrays or minidl Tensors; results are NumPy arrays.

Notation: N samples, D features, k output dimensions.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (20, 10)), rng.normal(8, 1, (20, 10))])
    >>> Y = pca(X, 2)
    >>> Y.shape
    (40, 2)
    >>> bool(abs(Y[:20, 0].mean() - Y[20:, 0].mean()) > 20)   # the clusters split along PC 1
    True
    >>> Z = tsne(X, perplexity=10, random_state=0)
    >>> Z.shape
    (40, 2)
    >>> bool(trustworthiness(X, Z, n_neighbors=5) > 0.9)
    True
"""
from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from ..tensor import Tensor
from .optional import import_optional

__all__ = ["pca", "tsne", "trustworthiness"]


def _as_matrix(X, name: str, argname: str = "X") -> np.ndarray:
    """X as a 2-D float NumPy array (from NumPy, CuPy or a Tensor), or a clear ValueError."""
    if isinstance(X, Tensor):
        X = X._array
    arr = np.asarray(to_numpy(X) if not isinstance(X, (list, tuple)) else X)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected {argname} of shape (N, D), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: {argname} contains NaN or infinite values")
    return arr


def pca(X, k: int = 2, *, return_components: bool = False):
    """Project the rows of ``X`` onto their first ``k`` principal components.

    The method, in three lines:

    1. Centre: ``Xc = X - X.mean(axis=0)`` (PCA describes variation around the mean; without
       centring the first "component" would mostly point at the mean).
    2. Factorise: ``Xc = U S Vt`` (thin SVD; singular values ``S`` in decreasing order). The
       rows of ``Vt`` are the principal directions, and ``S**2 / (N - 1)`` the variance of the
       data along each.
    3. Project: ``Y = Xc @ Vt[:k].T`` (equal to ``U[:, :k] * S[:k]``).

    Sign convention: a singular vector is defined only up to its sign, so the sign would
    otherwise depend on the LAPACK build. Each direction ``Vt[i]`` is flipped so that its entry
    of largest absolute value is positive (the rule scikit-learn's PCA follows), which makes the
    result deterministic and equal across machines.

    Args:
        X: data, shape (N, D); NumPy, CuPy or Tensor.
        k: number of components to keep, ``1 <= k <= min(N, D)``.
        return_components: also return the directions and the explained-variance ratios.

    Returns:
        ``Y`` of shape (N, k), in X's float dtype (float64 for integer input). With
        ``return_components=True``: ``(Y, components, explained_variance_ratio)``, where
        ``components`` has shape (k, D) (orthonormal rows) and the ratios (k,) are each
        component's share of the total variance.

    Shape:
        - X: (N, D)
        - Y: (N, k)

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]])   # points on the diagonal
        >>> Y, components, ratio = pca(X, 1, return_components=True)
        >>> Y.round(4).ravel().tolist()
        [-2.8284, 0.0, 2.8284]
        >>> components.round(4).tolist(), ratio.round(4).tolist()
        ([[0.7071, 0.7071]], [1.0])
    """
    arr = _as_matrix(X, "pca")
    n, d = arr.shape
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= min(n, d):
        raise ValueError(f"pca: expected an integer k with 1 <= k <= min(N, D) = {min(n, d)} "
                         f"for X of shape {arr.shape}, got k={k!r}")
    centred = arr - arr.mean(axis=0, keepdims=True)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:k]
    # Fix each direction's sign: its largest-magnitude entry is made positive.
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(k), largest])
    signs[signs == 0] = 1
    components = components * signs[:, None]
    projected = centred @ components.T
    if not return_components:
        return projected
    variance = singular ** 2
    total = variance.sum()
    ratio = variance[:k] / total if total > 0 else np.zeros(k, dtype=arr.dtype)
    return projected, components, ratio


def _sklearn_manifold(feature: str):
    return import_optional("sklearn.manifold", feature=feature, extra="viz",
                           package="scikit-learn")


def tsne(X, n_components: int = 2, *, perplexity: float = 30.0, learning_rate="auto",
         max_iter: int = 1000, init: str = "pca", metric: str = "euclidean",
         random_state: int | None = 0):
    """Embed the rows of ``X`` in ``n_components`` dimensions with t-SNE (scikit-learn).

    t-SNE places points so that each point's near neighbours in ``X`` stay near in the
    embedding; distances between far-apart clusters carry no meaning. ``perplexity`` is roughly
    the number of neighbours each point attends to (it must be below N). This calls
    ``sklearn.manifold.TSNE`` with the arguments below; ``init="pca"`` and a fixed
    ``random_state`` make the picture reproducible.

    Args:
        X: data, shape (N, D); NumPy, CuPy or Tensor.
        n_components: output dimensions (2 for a scatter plot).
        perplexity: effective number of neighbours, ``0 < perplexity < N``.
        learning_rate: step size of the optimisation; ``"auto"`` picks ``max(N / 12 / 4, 50)``.
        max_iter: optimisation steps (at least 250).
        init: ``"pca"`` or ``"random"``.
        metric: distance between rows of X (any metric scikit-learn accepts).
        random_state: seed of the optimisation (None: not reproducible).

    Returns:
        The embedding, a float NumPy array of shape (N, n_components).

    Raises:
        ImportError: scikit-learn is not installed (the message says how to install it).

    Shape:
        - X: (N, D)
        - output: (N, n_components)

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(1).normal(size=(30, 5))
        >>> tsne(X, perplexity=5).shape
        (30, 2)
    """
    arr = _as_matrix(X, "tsne")
    n = arr.shape[0]
    if not 0 < perplexity < n:
        raise ValueError(f"tsne: perplexity must be in (0, N) = (0, {n}) for X of shape "
                         f"{arr.shape}, got {perplexity}")
    manifold = _sklearn_manifold("minidl.utils.manifold.tsne")
    model = manifold.TSNE(n_components=n_components, perplexity=perplexity,
                          learning_rate=learning_rate, max_iter=max_iter, init=init,
                          metric=metric, random_state=random_state)
    return np.asarray(model.fit_transform(arr))


def trustworthiness(X, X_embedded, n_neighbors: int = 5, *, metric: str = "euclidean") -> float:
    """How well an embedding keeps neighbourhoods: 1.0 when no false neighbours appear.

    For each point, the ``n_neighbors`` nearest points in the embedding are compared with its
    ranking of neighbours in ``X``; points that look near in the embedding but are far in ``X``
    are penalised by how far down ``X``'s ranking they are (Venna and Kaski's measure, computed
    by ``sklearn.manifold.trustworthiness``). A random embedding scores about 0.5.

    Args:
        X: original data, shape (N, D).
        X_embedded: embedding, shape (N, k), same N.
        n_neighbors: neighbourhood size, ``1 <= n_neighbors < N / 2``.
        metric: distance in X (any metric scikit-learn accepts).

    Returns:
        A float in [0, 1].

    Raises:
        ImportError: scikit-learn is not installed (the message says how to install it).

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(2).normal(size=(20, 3))
        >>> trustworthiness(X, X, n_neighbors=3)   # the data is a perfect embedding of itself
        1.0
    """
    arr = _as_matrix(X, "trustworthiness")
    emb = _as_matrix(X_embedded, "trustworthiness", "X_embedded")
    n = arr.shape[0]
    if emb.shape[0] != n:
        raise ValueError(f"trustworthiness: X and X_embedded must have the same number of rows, "
                         f"got {n} and {emb.shape[0]}")
    if not 1 <= n_neighbors < n / 2:
        raise ValueError(f"trustworthiness: n_neighbors must satisfy 1 <= n_neighbors < N / 2 "
                         f"= {n / 2} for N = {n}, got {n_neighbors}")
    manifold = _sklearn_manifold("minidl.utils.manifold.trustworthiness")
    return float(manifold.trustworthiness(arr, emb, n_neighbors=n_neighbors, metric=metric))
