"""Methods that read w2s's source but no labels (neither ground truth nor weak labels): the
attacks a task with an answer key in its code falls to. Each returns P(y=1) per test row."""

from __future__ import annotations

import numpy as np

from w2s.tasks.base import TaskData


def _salient_basis(strong_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the principal directions of `strong_x` above the noise floor (the
    generator's noise latents have unit variance; salient latents have more)."""
    mean = strong_x.mean(axis=0)
    _, s, vt = np.linalg.svd(strong_x - mean, full_matrices=False)
    variance = s**2 / len(strong_x)
    return mean, vt[variance > 1.5]


def pca_plus_cue(data: TaskData, cue_column: int = 0) -> np.ndarray:
    """toy-v1's key: the salient principal components of strong_x, and the direction in them
    that predicts the cue column of weak_x; the sign of its projection is the label."""
    train = data.train_unlabel
    mean, basis = _salient_basis(train.strong_x)
    z = (train.strong_x - mean) @ basis.T
    w, *_ = np.linalg.lstsq(z, train.weak_x[:, cue_column], rcond=None)
    score = ((data.test.strong_x - mean) @ basis.T) @ w
    return 1.0 / (1.0 + np.exp(-4.0 * score / score.std()))


def best_explained_cue(data: TaskData) -> np.ndarray:
    """Knowing that the weak model leans on a cue of the concept, and that strong_x holds the
    concept saliently: the weak column that the salient subspace explains best is taken as
    the label's cue, and `pca_plus_cue` is run on it."""
    train = data.train_unlabel
    mean, basis = _salient_basis(train.strong_x)
    z = (train.strong_x - mean) @ basis.T
    weak = train.weak_x - train.weak_x.mean(axis=0)

    def explained(j: int) -> float:
        w, *_ = np.linalg.lstsq(z, weak[:, j], rcond=None)
        return 1.0 - float(np.var(weak[:, j] - z @ w) / np.var(weak[:, j]))

    return pca_plus_cue(data, max(range(weak.shape[1]), key=explained))


def _whiten(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of `x` and a matrix that whitens it (x - mean) @ w has identity covariance."""
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt.T / (s / np.sqrt(len(x)))


def shared_direction(data: TaskData) -> np.ndarray:
    """Knowing that weak_x and strong_x both carry the cues: the direction of strong_x most
    correlated with weak_x (the top canonical pair) is taken as the label's, its sign set
    so that the paired weak direction leans the same way."""
    train = data.train_unlabel
    mw, ww = _whiten(train.weak_x)
    ms, ws = _whiten(train.strong_x)
    a, b = (train.weak_x - mw) @ ww, (train.strong_x - ms) @ ws
    u, _, vt = np.linalg.svd(a.T @ b / len(a))
    direction = ws @ vt[0]
    # The weak side's first coordinate sets the sign, as a reader of the source would guess.
    sign = np.sign((ww @ u[:, 0])[0]) or 1.0
    score = sign * ((data.test.strong_x - ms) @ direction)
    return 1.0 / (1.0 + np.exp(-4.0 * score / score.std()))
