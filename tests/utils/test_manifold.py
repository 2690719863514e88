"""Tests for minidl.utils.manifold: PCA against an eigen-decomposition reference, t-SNE and
trustworthiness through scikit-learn, and the error when scikit-learn is missing."""
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minidl
from minidl.utils import manifold
from minidl.utils.manifold import pca, trustworthiness, tsne
from tests.strategies import examples


def pca_reference(X, k):
    """PCA the textbook way: eigenvectors of the covariance matrix, largest eigenvalue first."""
    centred = X - X.mean(axis=0)
    covariance = centred.T @ centred / (X.shape[0] - 1)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    return centred @ eigenvectors[:, order[:k]], eigenvalues[order]


def spread_data(seed, n, d):
    """Gaussian data with clearly different variances per direction (distinct eigenvalues)."""
    rng = np.random.default_rng(seed)
    scales = 2.0 ** -np.arange(d)
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (rng.normal(size=(n, d)) * scales) @ rotation + rng.normal(size=d) * 5


def same_up_to_column_signs(A, B, atol):
    signs = np.sign(np.sum(A * B, axis=0))
    np.testing.assert_allclose(A, B * signs, atol=atol)


@examples(25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(6, 40), d=st.integers(2, 6),
       data=st.data())
def test_pca_matches_covariance_eigenvectors(seed, n, d, data):
    X = spread_data(seed, n, d)
    k = data.draw(st.integers(1, min(n - 1, d)))
    Y, components, ratio = pca(X, k, return_components=True)
    expected, eigenvalues = pca_reference(X, k)
    assert Y.shape == (n, k) and components.shape == (k, d) and ratio.shape == (k,)
    same_up_to_column_signs(Y, expected, atol=1e-8)
    np.testing.assert_allclose(ratio, eigenvalues[:k] / eigenvalues.sum(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(components @ components.T, np.eye(k), atol=1e-10)


def test_pca_sign_convention_largest_entry_positive():
    X = spread_data(3, 30, 5)
    for flip in (1.0, -1.0):   # flipping the data flips every direction; the rule flips it back
        _, components, _ = pca(flip * X, 3, return_components=True)
        largest = components[np.arange(3), np.argmax(np.abs(components), axis=1)]
        assert np.all(largest > 0)


def test_pca_invariances():
    X = spread_data(7, 25, 4)
    Y = pca(X, 3)
    # Translation: the mean is removed first.
    np.testing.assert_allclose(pca(X + np.array([10.0, -3.0, 0.5, 2.0]), 3), Y, atol=1e-9)
    # Row order: projecting permuted rows permutes the result.
    perm = np.random.default_rng(0).permutation(25)
    np.testing.assert_allclose(pca(X[perm], 3), Y[perm], atol=1e-9)
    # Positive scaling scales the coordinates.
    np.testing.assert_allclose(pca(3.0 * X, 3), 3.0 * Y, atol=1e-8)
    # An orthogonal change of feature basis leaves the coordinates unchanged up to sign.
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 4)))
    same_up_to_column_signs(pca(X @ Q, 3), Y, atol=1e-8)
    # Keeping all components preserves the pairwise distances of the centred data.
    full = pca(X, 4)
    np.testing.assert_allclose(np.linalg.norm(full[:, None] - full[None], axis=-1),
                               np.linalg.norm(X[:, None] - X[None], axis=-1), atol=1e-8)


def test_pca_float32_and_tensor_inputs_against_float64():
    X = spread_data(11, 30, 5)
    expected = pca(X, 2)
    for data in (X.astype(np.float32), minidl.tensor(X.astype(np.float32))):
        got = pca(data, 2)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, atol=1e-4)
    assert pca(np.arange(12).reshape(4, 3), 1).dtype == np.float64


def test_pca_bad_input():
    with pytest.raises(ValueError, match=r"pca: expected X of shape \(N, D\), got shape \(5,\)"):
        pca(np.zeros(5), 1)
    with pytest.raises(ValueError, match=r"pca: expected an integer k .* min\(N, D\) = 3"):
        pca(np.zeros((3, 4)), 4)
    with pytest.raises(ValueError, match="pca: X contains NaN"):
        pca(np.array([[0.0, np.nan], [1.0, 2.0]]), 1)


def three_clusters():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, size=(3, 20))
    labels = np.repeat(np.arange(3), 20)
    return centres[labels] + rng.normal(size=(60, 20)), labels


def test_tsne_separates_well_separated_clusters():
    X, labels = three_clusters()
    Z = tsne(X, perplexity=10, random_state=0, max_iter=500)
    assert Z.shape == (60, 2)
    assert trustworthiness(X, Z, n_neighbors=5) > 0.95
    # Every point's nearest neighbour in the embedding belongs to its own cluster.
    distances = np.linalg.norm(Z[:, None] - Z[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    assert np.all(labels[np.argmin(distances, axis=1)] == labels)
    # Reproducible with the same seed.
    np.testing.assert_array_equal(tsne(X, perplexity=10, random_state=0, max_iter=500), Z)


def test_trustworthiness_random_embedding_is_low():
    X, _ = three_clusters()
    random_embedding = np.random.default_rng(5).normal(size=(60, 2))
    assert trustworthiness(X, random_embedding, n_neighbors=5) < 0.7
    assert trustworthiness(X, pca(X, 2), n_neighbors=5) > 0.9


def test_tsne_and_trustworthiness_bad_input():
    X, _ = three_clusters()
    with pytest.raises(ValueError, match=r"tsne: perplexity must be in \(0, N\) = \(0, 60\)"):
        tsne(X, perplexity=60)
    with pytest.raises(ValueError, match="trustworthiness: X and X_embedded must have the same"):
        trustworthiness(X, X[:10, :2])
    with pytest.raises(ValueError, match=r"trustworthiness: n_neighbors must satisfy"):
        trustworthiness(X, X[:, :2], n_neighbors=30)


@pytest.fixture
def without_sklearn(monkeypatch):
    """Make `import sklearn...` fail as it does where scikit-learn is not installed."""
    for name in list(sys.modules):
        if name == "sklearn" or name.startswith("sklearn."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)


@pytest.mark.parametrize("call", [lambda X: tsne(X, perplexity=5),
                                  lambda X: trustworthiness(X, X[:, :2])],
                         ids=["tsne", "trustworthiness"])
def test_missing_scikit_learn_names_the_pip_command(without_sklearn, call):
    X = np.random.default_rng(0).normal(size=(20, 4))
    with pytest.raises(ImportError) as info:
        call(X)
    message = str(info.value)
    assert "minidl.utils.manifold." in message
    assert "pip install minidl[viz]" in message and "pip install scikit-learn" in message
    # PCA needs only NumPy and still works.
    assert pca(X, 2).shape == (20, 2)


def test_module_imports_without_scikit_learn(without_sklearn):
    import importlib
    importlib.reload(manifold)
    assert manifold.pca(np.eye(3), 1).shape == (3, 1)
