"""Mining: recurring customer questions in past conversations become answer candidates.

The conversations are read back from the ``conversations`` collection (what ingestion stored,
already PII-redacted), so mining works on every conversation format, on the HTTP upload, and on
stores built before this module existed (``shopassist knowledge mine``). For each conversation
the opening exchange is used: the customer's first message is the question, the agents' replies
in that window are the reply.

1. **Group**: questions are embedded with the shop's sentence encoder and clustered with
   scikit-learn's ``AgglomerativeClustering`` (cosine distance, average linkage, cut at
   ``knowledge.cluster_distance``). Conversations labelled with an intent are grouped by it (one
   candidate per recurring intent, the clusters inside it give its question variants); unlabelled
   ones form one candidate per cluster. A group is recurring from ``knowledge.min_conversations``
   distinct conversations on.
2. **Distil** (:mod:`assistant.knowledge.distill`): every reply loses its case-specific details
   (placeholders) and its claims; the most central distilled reply (the medoid by embedding) is the
   candidate's answer, and the mean pairwise similarity of the distilled replies is its
   ``consistency`` (1.0: the agents always answered alike). With a generator backend configured,
   the generator drafts the answer from the replies nearest the medoid instead, kept only when the
   groundedness guard accepts it (:mod:`assistant.knowledge.drafting`).
3. **Propose**: a group whose key (its intent, or its question) or centroid matches an existing
   candidate is that candidate: a pending, unedited one is refreshed, an approved, rejected or
   edited one is left alone. So re-ingesting the same transcripts proposes nothing already decided.

Example:
    >>> report = mine(settings, db, vectors)  # doctest: +SKIP
    >>> report.proposed, report.groups  # doctest: +SKIP
    (27, 27)

Over 400 lines on purpose: one pipeline (group, pick, score, store) whose stages share one data shape.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.config import Settings
from assistant.knowledge.distill import PLACEHOLDER_RE, Distiller
from assistant.knowledge.drafting import GeneratedDrafter
from assistant.store.db import Database
from assistant.store.models import AnswerCandidate
from assistant.vectors import VectorStore

log = logging.getLogger(__name__)

MAX_SOURCES_KEPT = 500  # conversation links stored per candidate (the count is kept whole)
PAGE = 2000  # chunks read from Chroma per request
_ROLE_LINE = re.compile(r"^(Customer|Agent|System): ?(.*)$")


@dataclass(slots=True)
class Exchange:
    """The opening exchange of one past conversation."""

    source: str
    conversation_id: str
    intent: str
    language: str
    question: str
    reply: str


@dataclass(slots=True)
class Group:
    """Exchanges asking the same thing (indices into the exchange list)."""

    members: list[int]
    intent: str
    clusters: list[list[int]] = field(default_factory=list)  # largest first


class MiningReport(BaseModel):
    """What one mining run did."""

    exchanges: int = 0
    groups: int = Field(0, description="Recurring question groups found.")
    proposed: int = Field(0, description="New candidates.")
    refreshed: int = Field(0, description="Pending candidates updated from new conversations.")
    skipped_decided: int = Field(0, description="Groups matching an approved, rejected or edited candidate.")
    inconsistent: int = Field(0, description="Groups whose agents answered too differently to propose one answer.")
    candidate_ids: list[int] = Field(default_factory=list)
    seconds: float = 0.0


# --- reading the conversations back ------------------------------------------------------------


def parse_turns(document: str) -> list[tuple[str, str]]:
    """``Customer: ...\\nAgent: ...`` (as :mod:`ingest.chunking` renders a window) back into turns."""
    turns: list[tuple[str, str]] = []
    for line in document.split("\n"):
        m = _ROLE_LINE.match(line)
        if m:
            turns.append((m.group(1).lower(), m.group(2)))
        elif turns:
            role, text = turns[-1]
            turns[-1] = (role, f"{text}\n{line}")
    return turns


def opening_exchange(document: str) -> tuple[str, str] | None:
    """(first customer message, the agents' replies in the window), or None without both."""
    turns = parse_turns(document)
    question = next((t for r, t in turns if r == "customer" and t.strip()), "")
    seen_question = False
    replies: list[str] = []
    for role, text in turns:
        if role == "customer":
            seen_question = True
        elif role == "agent" and seen_question and text.strip():
            replies.append(text.strip())
    if not question.strip() or not replies:
        return None
    return question.strip(), "\n".join(replies)


def load_exchanges(vectors: VectorStore, sources: Sequence[str] | None = None) -> list[Exchange]:
    """The opening exchange of every stored conversation (of ``sources``, or of every source)."""
    col = vectors.collection("conversations")
    where: dict[str, Any] | None = None
    if sources:
        where = {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}
    out: list[Exchange] = []
    seen: set[tuple[str, str]] = set()
    offset = 0
    while True:
        got = col.get(where=where, include=["documents", "metadatas"], limit=PAGE, offset=offset)
        ids = got["ids"]
        if not ids:
            break
        offset += len(ids)
        docs = got["documents"] or []
        metas = got["metadatas"] or []
        for doc, meta in zip(docs, metas, strict=False):
            meta = dict(meta or {})
            if str(meta.get("chunk_index", 0) or 0) != "0":
                continue
            key = (str(meta.get("source", "")), str(meta.get("conversation_id", "")))
            if key in seen:
                continue
            pair = opening_exchange(doc or "")
            if pair is None:
                continue
            seen.add(key)
            out.append(
                Exchange(
                    source=key[0],
                    conversation_id=key[1],
                    intent=str(meta.get("intent", "") or "").strip(),
                    language=str(meta.get("language", "") or ""),
                    question=pair[0],
                    reply=pair[1],
                )
            )
        if len(ids) < PAGE:
            break
    out.sort(key=lambda e: (e.source, e.conversation_id))
    return out


# --- grouping ----------------------------------------------------------------------------------


def cluster(embeddings: np.ndarray, distance: float) -> list[list[int]]:
    """Agglomerative clusters (cosine, average linkage, cut at ``distance``), largest first."""
    n = len(embeddings)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]

    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(embeddings)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[int(label)].append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _sample(indices: list[int], k: int) -> list[int]:
    if len(indices) <= k:
        return list(indices)
    step = len(indices) / k
    return [indices[int(i * step)] for i in range(k)]


def group_exchanges(exchanges: Sequence[Exchange], q_emb: np.ndarray, settings: Settings) -> list[Group]:
    """Recurring question groups: one per labelled intent, one per cluster of unlabelled questions."""
    cfg = settings.knowledge
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(exchanges):
        by_intent[ex.intent.lower()].append(i)
    groups: list[Group] = []
    for intent, members in sorted(by_intent.items()):
        members = _sample(members, cfg.max_questions)
        clusters = [[members[j] for j in c] for c in cluster(q_emb[members], cfg.cluster_distance)]
        if intent:
            groups.append(Group(members=members, intent=intent, clusters=clusters))
        else:
            groups.extend(Group(members=c, intent="", clusters=[c]) for c in clusters)
    recurring = []
    for g in groups:
        conversations = {(exchanges[i].source, exchanges[i].conversation_id) for i in g.members}
        if len(conversations) >= cfg.min_conversations:
            recurring.append(g)
    return recurring


def medoid(emb: np.ndarray) -> tuple[int, float]:
    """Index of the most central row and the mean pairwise cosine similarity of the rows."""
    if len(emb) == 1:
        return 0, 1.0
    sims = emb @ emb.T
    n = len(emb)
    row = (sims.sum(axis=1) - np.diag(sims)) / (n - 1)
    mean = float((sims.sum() - np.trace(sims)) / (n * (n - 1)))
    return int(np.argmax(row)), max(0.0, min(1.0, mean))


def _normalise(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / max(float(np.linalg.norm(v)), 1e-12), dtype=np.float32)


def topic_of(intent: str, question: str) -> str:
    """A short topic for the citation "Our answer on <topic>"."""
    if intent:
        return re.sub(r"[_\-]+", " ", intent).strip().lower()[:200]
    words = PLACEHOLDER_RE.sub("", question)
    words = re.sub(r"[^\w\s'’-]", " ", words)
    return " ".join(words.split()[:8]).lower()[:200] or "a common question"


def candidate_key(intent: str, question: str) -> str:
    basis = f"intent\x1f{intent.lower()}" if intent else "question\x1f" + " ".join(question.lower().split())
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class CandidateDraft:
    """A candidate ready to store."""

    key: str
    topic: str
    intent: str
    language: str
    question: str
    answer: str
    examples: list[str]
    sources: list[dict[str, str]]
    n_conversations: int
    consistency: float
    centroid: np.ndarray
    method: str = "extractive"


def distil_group(
    group: Group,
    exchanges: Sequence[Exchange],
    q_emb: np.ndarray,
    distiller: Distiller,
    vectors: VectorStore,
    settings: Settings,
    drafter: GeneratedDrafter | None = None,
) -> CandidateDraft | None:
    """One candidate from one group: medoid question, variants, central distilled reply, consistency."""
    cfg = settings.knowledge
    # Question variants: the central question of each cluster, largest clusters first.
    variant_ids: list[int] = []
    for c in group.clusters or [group.members]:
        i, _ = medoid(q_emb[c])
        variant_ids.append(c[i])
    for i in group.members:
        if len(variant_ids) >= cfg.max_examples:
            break
        if i not in variant_ids:
            variant_ids.append(i)
    examples: list[str] = []
    for i in variant_ids:
        text = distiller.distill(exchanges[i].question, drop_claims=False)
        if text and text not in examples:
            examples.append(text)
        if len(examples) >= cfg.max_examples:
            break
    # Replies: a spread-out sample, distilled, then the medoid.
    reply_ids = _sample(group.members, cfg.max_replies)
    distilled = [(i, distiller.distill(exchanges[i].reply)) for i in reply_ids]
    distilled = [(i, t) for i, t in distilled if len(t.strip()) >= 10]
    if not distilled:
        return None
    r_emb = vectors.embedder.encode([t for _, t in distilled], batch_size=settings.embedding_batch_size)
    r_index, consistency = medoid(r_emb)
    if len(distilled) > 1 and consistency < cfg.min_consistency:
        return None
    answer = distilled[r_index][1]
    method = "extractive"
    if drafter is not None:
        # The replies closest to the medoid are the evidence the generator drafts from.
        order = np.argsort(-(r_emb @ r_emb[r_index]))
        generated = drafter.draft(exchanges[distilled[r_index][0]].question, [distilled[int(j)][1] for j in order])
        if generated and (clean := distiller.distill(generated)):
            answer, method = clean, "generated"
    # The question the chosen reply answered, so the pair stays coherent.
    question = distiller.distill(exchanges[distilled[r_index][0]].question, drop_claims=False) or examples[0]
    members = group.members
    conversations = sorted({(exchanges[i].source, exchanges[i].conversation_id) for i in members})
    languages: dict[str, int] = defaultdict(int)
    for i in members:
        languages[exchanges[i].language] += 1
    language = max(languages.items(), key=lambda kv: kv[1])[0] if languages else ""
    return CandidateDraft(
        key=candidate_key(group.intent, question),
        topic=topic_of(group.intent, question),
        intent=group.intent,
        language=language,
        question=question,
        answer=answer,
        examples=examples,
        sources=[{"source": s, "conversation_id": c} for s, c in conversations[:MAX_SOURCES_KEPT]],
        n_conversations=len(conversations),
        consistency=round(consistency, 4),
        centroid=_normalise(q_emb[members].mean(axis=0)),
        method=method,
    )


# --- proposing ---------------------------------------------------------------------------------


def _merge_sources(old: list[Any], new: list[dict[str, str]]) -> list[dict[str, str]]:
    seen = {(str(s.get("source")), str(s.get("conversation_id"))) for s in old if isinstance(s, dict)}
    merged = [dict(s) for s in old if isinstance(s, dict)]
    for s in new:
        if (s["source"], s["conversation_id"]) not in seen and len(merged) < MAX_SOURCES_KEPT:
            merged.append(s)
            seen.add((s["source"], s["conversation_id"]))
    return merged


def propose(db: Database, drafts: Sequence[CandidateDraft], settings: Settings, report: MiningReport) -> None:
    """Store drafts as candidates; a draft matching an existing candidate never re-proposes it."""
    with db.session() as s:
        existing = list(s.scalars(select(AnswerCandidate)))
        by_key = {c.key: c for c in existing}
        cents = [(c, np.asarray(c.centroid, dtype=np.float32)) for c in existing if c.centroid]
        for d in drafts:
            match = by_key.get(d.key)
            if match is None and cents:
                sims = [(float(v @ d.centroid), c) for c, v in cents if v.shape == d.centroid.shape]
                if sims:
                    best, cand = max(sims, key=lambda x: x[0])
                    # Two labelled intents stay apart however close their questions are.
                    if best >= settings.knowledge.duplicate_similarity and not (cand.intent and d.intent
                                                                                and cand.intent != d.intent):
                        match = cand
            if match is None:
                row = AnswerCandidate(
                    key=d.key, topic=d.topic, intent=d.intent, language=d.language, question=d.question,
                    answer=d.answer, mined_answer=d.answer, examples=d.examples, sources=d.sources,
                    n_conversations=d.n_conversations, consistency=d.consistency, method=d.method,
                    centroid=[round(float(x), 6) for x in d.centroid], status="pending",
                )
                s.add(row)
                s.flush()
                by_key[d.key] = row
                cents.append((row, d.centroid))
                report.proposed += 1
                report.candidate_ids.append(row.id)
            elif match.status == "pending" and match.edited_by is None:
                match.sources = _merge_sources(list(match.sources or []), d.sources)
                match.n_conversations = max(match.n_conversations, d.n_conversations, len(match.sources))
                match.question, match.answer, match.mined_answer = d.question, d.answer, d.answer
                match.examples, match.consistency, match.method = d.examples, d.consistency, d.method
                match.centroid = [round(float(x), 6) for x in d.centroid]
                report.refreshed += 1
                report.candidate_ids.append(match.id)
            else:
                report.skipped_decided += 1


def mine(
    settings: Settings,
    db: Database,
    vectors: VectorStore,
    sources: Sequence[str] | None = None,
) -> MiningReport:
    """Mine the stored conversations (of ``sources``, or all) into answer candidates."""
    started = time.perf_counter()
    report = MiningReport()
    exchanges = load_exchanges(vectors, sources)
    report.exchanges = len(exchanges)
    if exchanges:
        q_emb = vectors.embedder.encode([e.question for e in exchanges], is_query=True,
                                        batch_size=settings.embedding_batch_size)
        groups = group_exchanges(exchanges, q_emb, settings)
        report.groups = len(groups)
        distiller = Distiller.for_store(settings, db)
        drafter = GeneratedDrafter.from_settings(settings)
        drafts = [
            d for g in groups if (d := distil_group(g, exchanges, q_emb, distiller, vectors, settings, drafter))
        ]
        report.inconsistent = len(groups) - len(drafts)
        propose(db, drafts, settings, report)
    report.seconds = round(time.perf_counter() - started, 3)
    log.info("mined %d exchanges into %d groups: %d proposed, %d refreshed, %d already decided",
             report.exchanges, report.groups, report.proposed, report.refreshed, report.skipped_decided)
    return report


def propose_after_ingest(settings: Settings, db: Any, vectors: Any, report: Any, sources: Sequence[str]) -> None:
    """The ingestion hook: after a run that wrote conversations, mine its sources; notes go in its report."""
    if not settings.knowledge.mine_on_ingest or db is None or vectors is None:
        return
    counts = report.counts.get("conversation")
    if counts is None or (counts.written + counts.replaced) == 0:
        return
    try:
        mined = mine(settings, db, vectors, sources)
    except Exception as exc:  # mining must never fail an ingestion run that already committed
        log.exception("mining answer candidates failed")
        report.notes.append(f"answer candidates: mining failed ({type(exc).__name__}); run `shopassist knowledge "
                            "mine` to retry")
        return
    report.notes.append(
        f"answer candidates: {mined.proposed} new, {mined.refreshed} refreshed, {mined.skipped_decided} already "
        f"reviewed ({mined.groups} recurring questions in {mined.exchanges} conversations)"
    )
