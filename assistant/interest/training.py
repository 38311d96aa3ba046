"""Training loop, validation and checkpoints of the interest models.

Example:
    >>> data = load_amazon_lcrec(Path("/work/shared/data/amazon-office"))  # doctest: +SKIP
    >>> feats = ItemFeatures.build(data.catalog, cfg, TextEncoder())  # doctest: +SKIP
    >>> result = train_model("fusion", cfg, data, leave_one_out(data), feats)  # doctest: +SKIP
    >>> save_checkpoint(Path("ckpt.pt"), result, data, feats)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from tqdm import tqdm  # type: ignore[import-untyped]

from assistant.config import InterestSettings
from assistant.embeddings import resolve_device
from assistant.interest.data import (
    REQUEST_LEVELS,
    TRAIN_TEMPLATES,
    Catalog,
    InteractionData,
    RequestTemplate,
    Split,
    build_request,
    category_at,
    category_path,
    pad_left,
)
from assistant.interest.metrics import mask_history, ranking_metrics, target_ranks
from assistant.interest.models import MODELS, InterestModel, ModelInputs
from assistant.interest.text import TextEncoder

if TYPE_CHECKING:
    from assistant.interest.distributed import DistributedTraining

CHECKPOINT_VERSION = 1


def seed_everything(seed: int) -> None:
    """Same seed, same data -> same model (on CPU; cuDNN kernels may still differ on GPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def configure_threads(cfg: InterestSettings) -> None:
    torch.set_num_threads(cfg.num_threads or max(1, os.cpu_count() or 1))


def request_strings(catalog: Catalog, level: str, template: RequestTemplate) -> list[str]:
    """The request for every item (index 0: ""), naming its category at ``level`` in ``template``."""
    out = [""]
    for cat in catalog.categories[1:]:
        name = category_at(cat, level)
        out.append(template.render(name) if name else "")
    return out


def embed_requests(encoder: TextEncoder, requests: list[list[str]]) -> np.ndarray:
    """(V, M+1, 384) embeddings of V request lists, each distinct string embedded once."""
    uniq = sorted({r for reqs in requests for r in reqs})
    emb = encoder.encode_many(uniq)
    row = {t: i for i, t in enumerate(uniq)}
    out: np.ndarray = np.stack([emb[[row[r] for r in reqs]] for reqs in requests]).astype(np.float32)
    return out


def category_groups(catalog: Catalog, levels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The catalog tree as ids: ``(ancestors, request_group)``.

    ``ancestors`` (M+1, D): the id of every node on each item's category path (its prefixes, 0-padded;
    row 0 and uncategorised items all 0); ``request_group`` (len(levels), M+1): the node a request at
    each level names for each item (``leaf``: the full path; ``parent``: the path without its last
    level, or the path itself when it has one level), 0 when the item has no category.

    Example:
        >>> c = Catalog(["", "a", "b"], ["", "A", "B"], ["", "X, Y", "X, Z"], ["", "", ""], [None] * 3, [True] * 3)
        >>> anc, grp = category_groups(c, ["leaf", "parent"])
        >>> anc.tolist(), grp.tolist()
        ([[0, 0], [1, 2], [1, 3]], [[0, 2, 3], [0, 1, 1]])
    """
    node: dict[tuple[str, ...], int] = {}
    paths = [category_path(c) if i else [] for i, c in enumerate(catalog.categories)]
    depth = max(1, max(len(p) for p in paths))
    anc = np.zeros((len(paths), depth), dtype=np.int64)
    for i, path in enumerate(paths):
        for d in range(len(path)):
            anc[i, d] = node.setdefault(tuple(path[: d + 1]), len(node) + 1)
    group = np.zeros((len(levels), len(paths)), dtype=np.int64)
    for li, level in enumerate(levels):
        for i, path in enumerate(paths):
            if path:
                cut = len(path) - 1 if level == "parent" and len(path) > 1 else len(path)
                group[li, i] = node[tuple(path[:cut])]
    return anc, group


@dataclass
class ItemFeatures:
    """Per-item sentence embeddings of product text and of the synthetic category requests.

    ``request_text`` is the request of the configured template on the leaf category (the ``leaf``
    evaluation variant). ``train_request_text`` holds one request per (category level, training
    phrasing) pair, :data:`REQUEST_LEVELS` x :data:`TRAIN_TEMPLATES`: training draws one of them per
    target, so the model learns the language of requests, not one template. ``None``: the leaf
    request only (as before).
    """

    item_text: np.ndarray  # (M+1, 384), row 0 zeros
    request_text: np.ndarray  # (M+1, 384): embedding of build_request(category of item)
    requests: list[str]
    train_request_text: np.ndarray | None = None  # (V, M+1, 384)

    @classmethod
    def build(cls, catalog: Catalog, cfg: InterestSettings, encoder: TextEncoder) -> ItemFeatures:
        item_text = encoder.encode_many(catalog.texts)
        requests = [build_request(c, cfg.request_template) if i else "" for i, c in enumerate(catalog.categories)]
        variants = [request_strings(catalog, lv, t) for lv in REQUEST_LEVELS for t in TRAIN_TEMPLATES]
        emb = embed_requests(encoder, [requests, *variants])
        return cls(item_text, emb[0], requests, emb[1:])


@dataclass
class TrainResult:
    model: InterestModel
    model_name: str
    cfg: InterestSettings
    best_valid: dict[str, float]
    epochs_run: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def _windows(items: list[np.ndarray], events: list[np.ndarray], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut sequences into windows of length+1 from the newest end (older tails become more windows)."""
    wi, we = [], []
    for s, e in zip(items, events, strict=True):
        end = len(s)
        while end >= 2:
            start = max(0, end - length - 1)
            wi.append(s[start:end])
            we.append(e[start:end])
            end = start + 1 if start > 0 else 0
    return pad_left(wi, length + 1), pad_left(we, length + 1)


def _bucketed_batches(lengths: np.ndarray, size: int, gen: torch.Generator) -> list[np.ndarray]:
    """Batches of similar-length windows in random order: Amazon histories are short, and trimming
    the common left padding cuts the encoder's work several-fold without changing any result."""
    noise = torch.rand(len(lengths), generator=gen).numpy()
    order = np.lexsort((noise, lengths))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    perm = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[i] for i in perm]


def _trim(x: np.ndarray) -> np.ndarray:
    """Drop the columns that are padding in every row (left padding)."""
    nz = np.flatnonzero(x.any(0))
    return x[:, nz[0] :] if len(nz) else x[:, -1:]


def length_batches(inputs: list[np.ndarray], size: int, max_len: int) -> list[np.ndarray]:
    """Row indices in batches of similar history length (shortest first, ties in row order).

    Ranking pads each batch only to its own longest history: on short Amazon histories this cuts
    the encoder's work several-fold, and no score changes (padding is masked, positions count back
    from the newest event)."""
    lengths = np.fromiter((min(len(h), max_len) for h in inputs), dtype=np.int64, count=len(inputs))
    order = np.argsort(lengths, kind="stable")
    return [order[i : i + size] for i in range(0, len(order), size)]


def batch_inputs(
    inputs: list[np.ndarray], events: list[np.ndarray], rows: np.ndarray, max_len: int, device: str
) -> ModelInputs:
    """The left-padded histories of ``rows``, as long as the longest of them (at most ``max_len``)."""
    hist = [inputs[r] for r in rows]
    length = max(1, min(max_len, max(len(h) for h in hist)))
    return ModelInputs(
        torch.from_numpy(pad_left(hist, length)).to(device),
        torch.from_numpy(pad_left([events[r] for r in rows], length)).to(device),
    )


@torch.no_grad()
def user_score_batches(
    model: InterestModel,
    inputs: list[np.ndarray],
    events: list[np.ndarray],
    cfg: InterestSettings,
    requests: list[np.ndarray | None],
    device: str = "cpu",
) -> Iterator[tuple[np.ndarray, list[torch.Tensor]]]:
    """The model's (rows, M+1) scores of every user, a batch of similar history length at a time:
    ``(rows, [scores under each request set])`` (one (U, 384) array per set, ``None``: behavior
    only; padding item 0 scored -inf); each history is encoded once for all request sets."""
    model.eval()
    item_vecs = model.item_vectors()
    for rows in length_batches(inputs, cfg.eval_batch_size, cfg.max_seq_len):
        b = batch_inputs(inputs, events, rows, cfg.max_seq_len, device)
        texts = [None if r is None else torch.from_numpy(r[rows]).to(device) for r in requests]
        scores = []
        for u in model.user_vectors_many(b, texts):
            s = model.score_pairs(u, item_vecs).float()
            s[:, 0] = -torch.inf
            scores.append(s)
        yield rows, scores


@torch.no_grad()
def rank_targets_many(
    model: InterestModel,
    inputs: list[np.ndarray],
    events: list[np.ndarray],
    targets: np.ndarray,
    cfg: InterestSettings,
    requests: list[np.ndarray | None],
    device: str = "cpu",
) -> list[np.ndarray]:
    """0-based full-ranking ranks of ``targets`` (history masked) under each of several request
    sets (one (U, 384) array per set, ``None``: behavior only); each history is encoded once."""
    out = np.zeros((len(requests), len(inputs)), dtype=np.int64)
    for rows, scores in user_score_batches(model, inputs, events, cfg, requests, device):
        tgt = torch.from_numpy(targets[rows]).to(device)
        hist = [inputs[r] for r in rows]
        for j, s in enumerate(scores):
            out[j, rows] = target_ranks(mask_history(s, hist), tgt).cpu().numpy()
    return list(out)


def rank_targets(
    model: InterestModel,
    inputs: list[np.ndarray],
    events: list[np.ndarray],
    targets: np.ndarray,
    cfg: InterestSettings,
    request_text: np.ndarray | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """0-based full-ranking ranks of ``targets`` given each user's input sequence (history masked)."""
    return rank_targets_many(model, inputs, events, targets, cfg, [request_text], device)[0]


def build_model(name: str, cfg: InterestSettings, feats: ItemFeatures, has_history: np.ndarray) -> InterestModel:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    if name in ("fusion", "gated"):
        cfg = cfg.model_copy(update={"model": name})
    return MODELS[name](cfg, torch.from_numpy(feats.item_text), torch.from_numpy(has_history))


def train_model(
    name: str,
    cfg: InterestSettings,
    data: InteractionData,
    split: Split,
    feats: ItemFeatures,
    *,
    device: str = "auto",
    epochs: int | None = None,
    progress: bool = True,
    max_seconds: float | None = None,
    distributed: DistributedTraining | None = None,
) -> TrainResult:
    """Train one model on ``split.train_*``; early-stop on validation NDCG@10 and keep the best.

    ``distributed`` (set by :mod:`assistant.interest.distributed` under torchrun): train this rank's
    share of each epoch's batches through DistributedDataParallel.

    The validation metric of text models is the geometric mean of behavior-only and with-request
    NDCG@10: both ways of serving must stay good, and a relative gain counts the same on either side
    (an arithmetic mean would follow the with-request figure, several times larger, alone).
    """
    seed_everything(cfg.seed)
    configure_threads(cfg)
    dev = resolve_device(device)
    has_history = np.zeros(data.catalog.num_items + 1, dtype=bool)
    for s in split.train_items:
        has_history[s] = True
    has_history[0] = False
    model = build_model(name, cfg, feats, has_history).to(dev)
    if distributed is not None:
        distributed.attach(model)
    uses_text = model.uses_text
    epochs = epochs or cfg.epochs

    win_items, win_events = _windows(split.train_items, split.train_events, cfg.max_seq_len)
    # (V, M+1, 384): one request per category level and training phrasing, drawn per target.
    req_np = feats.train_request_text if feats.train_request_text is not None else feats.request_text[None]
    req = torch.from_numpy(req_np).to(dev)
    item_groups = req_group = None
    if uses_text and cfg.category_loss_weight > 0:
        # The level of each training request variant (leaf only when the features hold one variant).
        levels = [lv for lv in REQUEST_LEVELS for _ in TRAIN_TEMPLATES] if len(req_np) > 1 else ["leaf"]
        anc, grp = category_groups(data.catalog, levels)
        item_groups, req_group = torch.from_numpy(anc).to(dev), torch.from_numpy(grp).to(dev)
    counts = np.bincount(np.concatenate(split.train_items), minlength=data.catalog.num_items + 1).astype(float)
    log_q = None
    if data.catalog.num_items > cfg.sampled_softmax_threshold:
        q = (counts + 1.0) ** 0.75  # word2vec's smoothing: popular items are sampled, not only them
        q[0] = 0.0
        log_q = torch.from_numpy(np.log(np.maximum(q / q.sum(), 1e-30))).float().to(dev)

    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for pname, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "ln" in pname or "norm" in pname else decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
    )
    gen = torch.Generator().manual_seed(cfg.seed)
    batch_gen = distributed.batch_generator if distributed is not None else gen
    use_amp = dev.startswith("cuda")

    val_users = split.eval_users
    val_in = [split.train_items[u] for u in val_users]
    val_ev = [split.train_events[u] for u in val_users]
    # Validation requests: one (level, phrasing) per user, fixed by the seed, from the training set.
    val_variant = np.random.default_rng(cfg.seed).integers(0, len(req_np), len(val_users))
    val_req = req_np[val_variant, split.valid_target] if uses_text else None

    def validate() -> dict[str, float]:
        # One pass: each validation history is encoded once, then scored without and with its request.
        ranks = rank_targets_many(
            model, val_in, val_ev, split.valid_target, cfg, [None, val_req] if uses_text else [None], dev
        )
        beh = ranking_metrics(ranks[0])
        out = {"behavior_ndcg@10": beh["ndcg@10"]}
        if uses_text:
            fus = ranking_metrics(ranks[1])
            out["fused_ndcg@10"] = fus["ndcg@10"]
            out["score"] = math.sqrt(max(beh["ndcg@10"], 0.0) * max(fus["ndcg@10"], 0.0))
        else:
            out["score"] = beh["ndcg@10"]
        return out

    win_len = (win_items > 0).sum(1)
    n_batches = (len(win_items) + cfg.batch_size - 1) // cfg.batch_size
    best: dict[str, float] = {"score": -1.0}
    best_state: dict[str, torch.Tensor] = {}
    history: list[dict[str, float]] = []
    bad, t0, epoch = 0, time.perf_counter(), 0
    bar = tqdm(total=epochs * n_batches, desc=f"train {name}", disable=not progress, dynamic_ncols=True)
    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        batches = _bucketed_batches(win_len, cfg.batch_size, gen)
        for idx in batches if distributed is None else distributed.shard(batches):
            seq_np = _trim(win_items[idx])
            seq = torch.from_numpy(seq_np).to(dev)
            ev = torch.from_numpy(win_events[idx][:, -seq_np.shape[1] :]).to(dev)
            batch = ModelInputs(seq[:, :-1], ev[:, :-1])
            tgt = seq[:, 1:]
            if uses_text:
                pick = torch.randint(0, req.shape[0], tgt.shape, generator=batch_gen).to(dev)
                batch.text = req[pick, tgt]
                keep = torch.rand(tgt.shape, generator=batch_gen) >= cfg.text_dropout
                batch.has_text = keep.to(dev) & (tgt > 0)
                if req_group is not None:
                    batch.request_group = torch.where(batch.has_text, req_group[pick, tgt], 0)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                if distributed is None:
                    loss = model.loss(batch, tgt, log_q, item_groups)
                else:  # the in-category term is not passed through DDP's forward
                    loss = distributed.loss(batch, tgt, log_q)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            total += float(loss.detach())
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", val_ndcg=f"{best.get('score', 0):.4f}")
        metrics = validate()
        metrics.update(epoch=float(epoch), loss=total / max(1, n_batches))
        history.append(metrics)
        bar.set_postfix(loss=f"{metrics['loss']:.3f}", val_ndcg=f"{metrics['score']:.4f}")
        if metrics["score"] > best["score"]:
            best, bad = metrics, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= cfg.patience:
                break
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, name, cfg, best, epoch, time.perf_counter() - t0, history)


def new_checkpoint_path(directory: Path) -> Path:
    """A checkpoint name in ``directory`` that no checkpoint holds yet: ``interest-<UTC time>.pt``, with
    ``-2``, ``-3``... when a run in the same second already took it (two quick retrainings must not
    overwrite each other). Training runs one at a time per shop (the training lock), so a free name stays
    free until :func:`save_checkpoint` writes it."""
    stem = f"interest-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    for n in range(1, 10_000):
        path = directory / (f"{stem}.pt" if n == 1 else f"{stem}-{n}.pt")
        if not path.exists() and not path.with_suffix(".tmp").exists():
            return path
    raise FileExistsError(f"{directory}: no free checkpoint name for {stem}")


def save_checkpoint(
    path: Path, result: TrainResult, data: InteractionData, feats: ItemFeatures, blend: dict[str, Any] | None = None
) -> Path:
    """Write weights plus everything needed to rebuild and trust them: config, ids, data fingerprint,
    and ``blend`` (:meth:`~assistant.interest.blend.ServedBlend.to_dict`: the served ranking's
    weights, chosen on validation users; a checkpoint without them is served by the model alone)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "version": CHECKPOINT_VERSION,
        "model_name": result.model_name,
        "config": result.cfg.model_dump(),
        "state_dict": result.model.state_dict(),
        "item_ids": data.catalog.ids,
        "item_has_history": result.model.item_has_history.cpu().numpy(),
        "item_text": feats.item_text,
        "fingerprint": data.fingerprint(),
        "dataset": data.name,
        "best_valid": result.best_valid,
        "epochs_run": result.epochs_run,
        "created": time.time(),
    }
    if blend is not None:
        payload["blend"] = blend
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # atomic: a reader never sees half a checkpoint
    return path


@dataclass
class LoadedCheckpoint:
    model: InterestModel
    item_ids: list[str]
    fingerprint: str
    meta: dict[str, Any]


def load_checkpoint(path: Path, device: str = "cpu") -> LoadedCheckpoint:
    payload = torch.load(path, map_location=device, weights_only=False)
    if payload.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {payload.get('version')} != {CHECKPOINT_VERSION}")
    cfg = InterestSettings(**payload["config"])
    text = torch.from_numpy(np.asarray(payload["item_text"], dtype=np.float32))
    hist = torch.from_numpy(np.asarray(payload["item_has_history"], dtype=bool))
    model = MODELS[payload["model_name"]](cfg, text, hist)
    model.load_state_dict(payload["state_dict"])
    model.to(device).eval()
    meta = {k: v for k, v in payload.items() if k not in ("state_dict", "item_text", "item_has_history")}
    return LoadedCheckpoint(model, list(payload["item_ids"]), str(payload["fingerprint"]), meta)
