"""Sentence meaning for picking what to quote: each policy sentence's cosine with the customer's message.

Policy text does not change between turns, so each sentence is embedded once (as a passage) and its
vector kept in a bounded LRU cache; a turn embeds only the sentences it has not seen before.

Example:
    >>> vectors = SentenceVectors(lambda texts: np.eye(3)[: len(texts)], size=8)
    >>> score = vectors.meaning(np.array([1.0, 0.0, 0.0]))
    >>> [round(x, 2) for x in score(["a", "b"])]
    [1.0, 0.0]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from assistant.conversation.compose import Meaning


class SentenceVectors:
    """Passage embeddings of quotable sentences, cached by text (``size`` 0 caches nothing)."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], size: int = 20_000) -> None:
        self._encode = encode
        self._size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-normalised row per text, in order."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = np.asarray(self._encode(missing), dtype=np.float32)
            fresh = fresh / np.maximum(np.linalg.norm(fresh, axis=1, keepdims=True), 1e-9)
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                for t, v in zip(missing, fresh, strict=True):
                    self._cache[t] = v
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def meaning(self, message_vec: np.ndarray) -> Meaning:
        """A scorer: the cosine of each given sentence with the message's vector."""
        unit = np.asarray(message_vec, dtype=np.float32)
        unit = unit / max(float(np.linalg.norm(unit)), 1e-9)

        def score(texts: Sequence[str]) -> Sequence[float]:
            return [float(x) for x in self.vectors(texts) @ unit] if texts else []

        return score
