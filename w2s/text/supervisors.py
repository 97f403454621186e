"""The weak supervisor of text tasks: a scikit-learn logistic regression on feature rows
(TF-IDF, or a small encoder's frozen features)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class LogisticSupervisor:
    """L2-regularised logistic regression; `c` is the inverse regularisation strength."""

    c: float = 1.0
    _model: Any = field(default=None, repr=False)

    def fit(self, x: np.ndarray, y: np.ndarray, *, seed: int) -> None:
        from sklearn.linear_model import LogisticRegression

        self._model = LogisticRegression(C=self.c, max_iter=2000, random_state=seed)
        self._model.fit(x, y)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("fit the weak supervisor before asking for its predictions")
        return self._model.predict_proba(x)[:, 1].astype(np.float64)
