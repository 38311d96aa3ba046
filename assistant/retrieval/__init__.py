"""Retrieval over the shop's Chroma collections: embedding, BM25 and their weighted fusion.

Example:
    >>> from assistant.retrieval import HybridRetriever, weighted_rrf  # doctest: +SKIP
"""

from assistant.retrieval.bm25 import BM25Cache, BM25Index, matches
from assistant.retrieval.hybrid import (
    DEFAULT_FUSION_WEIGHT,
    DEFAULT_RRF_K,
    RETRIEVAL_MODES,
    HybridRetriever,
    Passage,
    QueryEncoder,
    RetrievalMode,
    choose_fusion_weight,
    weighted_rrf,
)
from assistant.retrieval.text import has_cjk, snippet, split_sentences, tokenize

__all__ = [
    "DEFAULT_FUSION_WEIGHT",
    "DEFAULT_RRF_K",
    "RETRIEVAL_MODES",
    "BM25Cache",
    "BM25Index",
    "HybridRetriever",
    "Passage",
    "QueryEncoder",
    "RetrievalMode",
    "choose_fusion_weight",
    "has_cjk",
    "matches",
    "snippet",
    "split_sentences",
    "tokenize",
    "weighted_rrf",
]
