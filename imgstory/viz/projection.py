"""2-D projections of photo feature vectors (PCA and t-SNE) and cosine similarity between photos."""

from __future__ import annotations

import numpy as np

PROJECTIONS = ("PCA", "t-SNE")


def project_features(vectors: np.ndarray, method: str = "PCA", *, seed: int = 0) -> np.ndarray:
    """Project feature vectors to 2-D.

    Args:
        vectors: (n_photos, dimension) float array; needs at least 3 photos.
        method: "PCA" (fast, linear) or "t-SNE" (neighbourhoods, slower; perplexity adapts to n).
        seed: random state for t-SNE, so a map is reproducible.

    Returns:
        (n_photos, 2) float32 coordinates.
    """
    if method not in PROJECTIONS:
        raise ValueError(f"unknown projection {method!r}: use one of {', '.join(PROJECTIONS)}")
    vectors = np.asarray(vectors, dtype=np.float32)  # (n, d)
    if vectors.ndim != 2 or vectors.shape[0] < 3:
        raise ValueError(f"need a (n >= 3, d) array of features, got shape {vectors.shape}")
    if method == "PCA":
        from sklearn.decomposition import PCA

        components = min(2, vectors.shape[1])
        points = PCA(n_components=components, random_state=seed).fit_transform(vectors)
        if components == 1:
            points = np.hstack([points, np.zeros_like(points)])
        return points.astype(np.float32)  # (n, 2)
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(2.0, (vectors.shape[0] - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    return tsne.fit_transform(vectors).astype(np.float32)  # (n, 2)


def cosine_similarity_matrix(vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity between every pair of rows: (n, d) -> (n, n); zero vectors give 0."""
    vectors = np.asarray(vectors, dtype=np.float64)  # (n, d)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)  # (n, 1)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return unit @ unit.T  # (n, n)


def strongest_dimensions(vector: np.ndarray, count: int = 20) -> list[tuple[int, float]]:
    """The ``count`` feature dimensions with the largest absolute value, as (index, value), largest
    first."""
    vector = np.asarray(vector, dtype=np.float64).ravel()  # (d,)
    order = np.argsort(-np.abs(vector), kind="stable")[:count]
    return [(int(index), float(vector[index])) for index in order]
