"""``shopassist tune fusion``: choose the hybrid fusion on a shop's own questions.

A shop writes question -> expected source pairs (JSON lines) from its own traffic, e.g.

    {"question": "how long do refunds take", "expected": "Refunds", "collection": "policies"}
    {"question": "is it loud?", "expected": "R17", "collection": "reviews", "where": {"product_id": "P3"}}

``expected`` (a string or a list: any of them counts) names a stored chunk by its id or by the
record it belongs to: a review's or Q&A's ``record_id``, a conversation's ``conversation_id``, a
policy's ``title`` (its heading) or ``doc``, a product's ``product_id``. ``collection`` defaults to
``policies``; ``where`` is an optional metadata filter, as the engine uses (a product's reviews).

Each pair is answered once by the shop's retriever as the engine builds it (both rankers' candidate
lists over the collection); every setting of the fusions the product serves (RRF weight; adaptive
weight x sharpness) is then scored on those lists with the retriever's own fusion and grouping.
The setting is chosen by K-fold cross-validation over the pairs (a setting is picked on the other
folds, scored on the held-out one): the fusion with the best cross-validated hit@k, a fusion within
one pair's worth of the best counting as tied and RRF (the simpler) taken; its setting is then
picked on all pairs. The report shows the served default, both single rankers, each fusion
cross-validated, and the settings to put in the environment.

Example:
    >>> parse_pairs(['{"question": "refund time?", "expected": "Refunds"}'], "pairs.jsonl")[0].collection
    'policies'
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
import typer

from assistant.config import Settings
from assistant.retrieval.fusion import SHARPNESS_GRID, WEIGHT_GRID, FusionMethod, fuse_scores
from assistant.retrieval.hybrid import HybridRetriever, first_per_record, record_key, serving
from assistant.vectors import ALL_COLLECTIONS, CollectionName, VectorStore

IDENTITY_KEYS = ("record_id", "conversation_id", "title", "doc")
"""Metadata naming the record a chunk belongs to, which ``expected`` may give instead of a chunk id
(and ``product_id`` in the products collection, where it names the product itself)."""


@dataclass(frozen=True)
class Pair:
    """One of the shop's questions and the sources that answer it."""

    question: str
    expected: frozenset[str]
    collection: CollectionName = "policies"
    where: Mapping[str, Any] | None = None


def parse_pairs(lines: Iterable[str], name: str) -> list[Pair]:
    """Pairs from JSON lines; blank lines skipped; a bad line raises ``ValueError`` naming its line."""
    out: list[Pair] = []
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}:{no}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ValueError(f"{name}:{no}: expected an object with question and expected")
        question = row.get("question")
        if not isinstance(question, str) or not question.strip():
            raise ValueError(f"{name}:{no}: field 'question' must be a non-empty string")
        expected = row.get("expected")
        values = [expected] if isinstance(expected, str) else expected
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"{name}:{no}: field 'expected' must be a source id or a list of them")
        collection = row.get("collection", "policies")
        if collection not in get_args(CollectionName):
            raise ValueError(f"{name}:{no}: field 'collection' must be one of {', '.join(ALL_COLLECTIONS)}")
        where = row.get("where")
        if where is not None and not isinstance(where, dict):
            raise ValueError(f"{name}:{no}: field 'where' must be an object (a metadata filter)")
        out.append(Pair(question.strip(), frozenset(values), collection, where))
    if not out:
        raise ValueError(f"{name}: no pairs")
    return out


def identities(doc_id: str, metadata: Mapping[str, Any], collection: str) -> set[str]:
    """The names a chunk answers to: its id, and the record it belongs to (:data:`IDENTITY_KEYS`)."""
    out = {doc_id} | {str(metadata[k]) for k in IDENTITY_KEYS if metadata.get(k) not in (None, "")}
    if collection == "products" and metadata.get("product_id"):
        out.add(str(metadata["product_id"]))
    return out


@dataclass
class Lists:
    """One pair's candidates as the served retriever's two rankers list them (best first)."""

    cosine: list[tuple[str, float]]
    bm25: list[tuple[str, float]]
    record: dict[str, str]
    """Each chunk's record (:func:`assistant.retrieval.hybrid.record_key`), as the retriever groups."""
    relevant: set[str] = field(default_factory=set)
    """The records among the candidates that the pair expects."""


Setting = tuple[FusionMethod, float, float]
"""(fusion method, embedding weight, sharpness)."""
Single = Literal["embedding", "bm25"]


def grid() -> dict[FusionMethod, list[Setting]]:
    """Every setting of the fusions the product serves: RRF weights, adaptive weights x sharpness."""
    return {
        "rrf": [("rrf", w, 1.0) for w in WEIGHT_GRID],
        "adaptive": [("adaptive", w, s) for s in SHARPNESS_GRID for w in WEIGHT_GRID],
    }


def collect(retriever: HybridRetriever, pair: Pair) -> Lists:
    """Both rankers' candidate lists for ``pair`` from the served retriever (its pool, its filter)."""
    flat = retriever.model_copy(update={"group_by": None, "collection": pair.collection})
    n = flat.candidates
    emb = flat.search(pair.question, where=pair.where, mode="embedding", k=n)
    lex = flat.search(pair.question, where=pair.where, mode="bm25", k=n)
    group_by = retriever.group_by
    record: dict[str, str] = {}
    relevant: set[str] = set()
    for p in emb + lex:
        record[p.id] = record_key(p.id, p.metadata, group_by) if group_by else p.id
        if identities(p.id, p.metadata, pair.collection) & pair.expected:
            relevant.add(record[p.id])
    return Lists(
        [(p.id, float(p.cosine or 0.0)) for p in emb], [(p.id, float(p.bm25 or 0.0)) for p in lex], record, relevant
    )


def ranking(lists: Lists, setting: Setting | Single, rrf_k: int, k: int) -> list[str]:
    """The top ``k`` records under a fusion ``setting`` (or one ranker alone), with the retriever's
    fusion (:func:`fuse_scores`) and grouping (:func:`first_per_record`)."""
    if setting == "embedding":
        order = [i for i, _ in lists.cosine]
    elif setting == "bm25":
        order = [i for i, _ in lists.bm25]
    else:
        method, w, s = setting
        order = [i for i, _ in fuse_scores(lists.cosine, lists.bm25, weight=w, method=method, rrf_k=rrf_k, sharpness=s)]
    return [r for _, r in first_per_record(order, lambda i: lists.record.get(i, i), k)]


def hit(lists: Lists, order: Sequence[str]) -> float:
    return float(any(r in lists.relevant for r in order))


def _folds(n: int, folds: int, seed: int) -> list[int]:
    fold = [i % folds for i in range(n)]
    random.Random(seed).shuffle(fold)
    return fold


def tune_fusion(
    retriever: HybridRetriever, pairs: Sequence[Pair], *, k: int = 5, folds: int = 5, seed: int = 13
) -> dict[str, Any]:
    """Figures and the chosen setting for ``pairs`` (see the module docstring)."""
    if not pairs:
        raise ValueError("no pairs")
    lists = [collect(retriever, p) for p in pairs]
    rrf_k = retriever.rrf_k

    def score(setting: Setting | Single, idx: Sequence[int]) -> float:
        return float(np.mean([hit(lists[i], ranking(lists[i], setting, rrf_k, k)) for i in idx])) if idx else 0.0

    def pick(method: FusionMethod, idx: Sequence[int]) -> Setting:
        # the best score; ties to the configured weight, then to sharpness 1 (as the evaluation's grid search)
        scored = [(score(s, idx), s) for s in grid()[method]]
        best = max(scored, key=lambda t: (round(t[0], 9), -abs(t[1][1] - retriever.fusion_weight), -abs(t[1][2] - 1)))
        return best[1]

    everyone = list(range(len(pairs)))
    n_folds = min(folds, len(pairs))
    fold = _folds(len(pairs), n_folds, seed)
    methods: tuple[FusionMethod, ...] = ("rrf", "adaptive")
    cv: dict[str, list[float]] = {m: [] for m in methods}
    for f in range(n_folds if n_folds >= 2 else 0):
        train = [i for i in everyone if fold[i] != f]
        held = [i for i in everyone if fold[i] == f]
        for m in methods:
            setting = pick(m, train)
            cv[m] += [hit(lists[i], ranking(lists[i], setting, rrf_k, k)) for i in held]
    cv_mean = {m: float(np.mean(v)) if v else 0.0 for m, v in cv.items()}
    slack = 1.0 / len(pairs)
    best: FusionMethod = "rrf" if cv_mean["rrf"] >= cv_mean["adaptive"] - slack - 1e-9 else "adaptive"
    chosen = pick(best, everyone)
    configured: Setting = (retriever.fusion, retriever.fusion_weight, retriever.sharpness)
    served = {
        "configured": _served_hits(retriever, pairs, {}, k),
        "chosen": _served_hits(
            retriever, pairs, {"fusion": chosen[0], "fusion_weight": chosen[1], "sharpness": chosen[2]}, k
        ),
    }
    return {
        "pairs": len(pairs),
        "answerable": sum(bool(x.relevant) for x in lists),
        "k": k,
        "folds": n_folds,
        "metric": f"hit@{k}",
        "embedding": round(score("embedding", everyone), 4),
        "bm25": round(score("bm25", everyone), 4),
        "configured": {"setting": _describe(configured), "hit": round(served["configured"], 4)},
        "cv": {m: round(v, 4) for m, v in cv_mean.items()},
        "chosen": {
            "setting": _describe(chosen),
            "hit_in_sample": round(served["chosen"], 4),
            "env": _env(chosen),
        },
    }


def _served_hits(retriever: HybridRetriever, pairs: Sequence[Pair], update: Mapping[str, Any], k: int) -> float:
    """hit@k of the served retriever itself (grouping, pool growth and all) under ``update``."""
    hits = []
    for pair in pairs:
        r = retriever.model_copy(update={**update, "collection": pair.collection})
        got = r.search(pair.question, where=pair.where, k=k)
        hits.append(float(any(identities(p.id, p.metadata, pair.collection) & pair.expected for p in got)))
    return float(np.mean(hits))


def _describe(setting: Setting) -> dict[str, Any]:
    method, w, s = setting
    return {"fusion_method": method, "fusion_weight": w, **({"fusion_sharpness": s} if method == "adaptive" else {})}


def _env(setting: Setting) -> list[str]:
    return [f"SHOPASSIST_CONVERSATION__{k.upper()}={v}" for k, v in _describe(setting).items()]


def tune_fusion_command(
    pairs: Annotated[
        Path,
        typer.Option(
            "--pairs",
            help="JSON lines: {\"question\", \"expected\" (a source id or a list), optional \"collection\" "
            "(default policies) and \"where\" (a metadata filter)}.",
        ),
    ],
    k: Annotated[int, typer.Option(help="A pair is answered when an expected source is in the top k.")] = 5,
    folds: Annotated[int, typer.Option(help="Cross-validation folds over the pairs.")] = 5,
    out: Annotated[Path | None, typer.Option(help="Also write the figures here as JSON.")] = None,
) -> None:
    """Choose the hybrid fusion (method, weight) on the shop's own questions and print the settings."""
    from assistant.cli_settings import settings_or_exit

    if k < 1 or folds < 2:
        raise typer.BadParameter("--k must be >= 1 and --folds >= 2")
    try:
        parsed = parse_pairs(pairs.read_text(encoding="utf-8").splitlines(), str(pairs))
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {pairs}: {exc.strerror}", param_hint="--pairs") from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pairs") from None
    settings = settings_or_exit()
    retriever = shop_retriever(settings)
    report = tune_fusion(retriever, parsed, k=k, folds=folds)
    _print(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")


def shop_retriever(settings: Settings, store: VectorStore | None = None) -> HybridRetriever:
    """A retriever as the conversation engine builds it (:func:`serving`), over the shop's store."""
    return HybridRetriever(
        store=store or VectorStore(settings), collection="policies", k=settings.retrieval_k, **serving(settings)
    )


def _print(report: Mapping[str, Any], echo: Callable[[str], None] = typer.echo) -> None:
    m = report["metric"]
    echo(f"{report['pairs']} pairs ({report['answerable']} with an expected source among the candidates), {m}:")
    echo(f"  embedding alone        {report['embedding']:.4f}")
    echo(f"  bm25 alone             {report['bm25']:.4f}")
    echo(f"  served now {report['configured']['setting']}: {report['configured']['hit']:.4f}")
    for method, v in report["cv"].items():
        echo(f"  {method:8s} tuned, {report['folds']}-fold cross-validated: {v:.4f}")
    chosen = report["chosen"]
    echo(f"chosen: {chosen['setting']} ({m} {chosen['hit_in_sample']:.4f} on these pairs, tuned on them)")
    echo("to serve it, set:")
    for line in chosen["env"]:
        echo(f"  {line}")


def register(app: typer.Typer) -> None:
    """Add ``tune fusion`` to the main CLI."""
    tune_app = typer.Typer(help="Tune the assistant on the shop's own data.", no_args_is_help=True)
    tune_app.command("fusion")(tune_fusion_command)
    app.add_typer(tune_app, name="tune")
