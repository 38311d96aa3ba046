"""Sentence embeddings of product text and chat requests, cached on disk and in memory.

Example:
    >>> enc = TextEncoder("minilm", cache_dir=Path("/tmp/emb"))  # doctest: +SKIP
    >>> enc.encode_many(["stapler", "printer ink"]).shape  # doctest: +SKIP
    (2, 384)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.embeddings import EmbeddingModelName, get_embedder


class TextEncoder:
    """Wraps the configured sentence encoder with a disk cache (catalogs) and an LRU (chat)."""

    def __init__(
        self, model: EmbeddingModelName = "minilm", cache_dir: Path | None = None, lru_size: int = 4096
    ) -> None:
        self.model = model
        self.cache_dir = cache_dir
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lru_size = lru_size

    def encode_many(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Embed a batch (e.g. a whole catalog); the result is cached by the hash of all texts."""
        key = hashlib.sha256(("\x1e".join([self.model, *texts])).encode()).hexdigest()[:24]
        path = self.cache_dir / f"emb-{self.model}-{key}.npy" if self.cache_dir else None
        if path is not None and path.is_file():
            cached: np.ndarray = np.load(path)
            return cached
        out = get_embedder(self.model).encode(list(texts), is_query=False, batch_size=batch_size)
        # Empty texts (the padding row, items without text) must not look like anything.
        for i, t in enumerate(texts):
            if not t:
                out[i] = 0.0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, out)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one chat message (query side), memoised: repeats within a chat cost nothing."""
        hit = self._lru.get(text)
        if hit is not None:
            self._lru.move_to_end(text)
            return hit
        vec: np.ndarray = get_embedder(self.model).encode([text], is_query=True)[0]
        self._lru[text] = vec
        if len(self._lru) > self._lru_size:
            self._lru.popitem(last=False)
        return vec

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed several short texts in one model call, reusing memoised ones."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._lru]
        if missing:
            vecs = get_embedder(self.model).encode(missing, is_query=True)
            for t, v in zip(missing, vecs, strict=True):
                self._lru[t] = v
            while len(self._lru) > self._lru_size:
                self._lru.popitem(last=False)
        if not texts:
            return np.zeros((0, 384), np.float32)
        stacked: np.ndarray = np.stack([self._lru[t] for t in texts])
        return stacked
