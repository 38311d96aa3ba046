"""``ours_online`` (issue 18): the evaluation's row for what the product serves for a chat request — the
category our request parser reads as a hard filter, ranked inside by the served blend
(:meth:`assistant.interest.blend.ServedBlend.scores`, what InterestService ranks by; its equality with
a by-hand blend over the stored events is tests/assistant/interest/test_served_blend.py) — checked
against an independent computation of that ranking; ``ours_filter_model`` is the same filter ranked
by the model alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from assistant.evaluation.recommend.run import (
    CHAT_METHODS,
    _ranks,
    filter_mask,
    hard_filter_ranks,
    prefer,
)
from assistant.interest.blend import Blend, ServedBlend, shown_filter
from assistant.interest.data import CategoryMatcher
from assistant.interest.metrics import ranking_metrics

GEL, ROLLER, PAPER = "Office, Pens, Gel Pens", "Office, Pens, Rollerball Pens", "Office, Paper, Copy Paper"


def _served(parser: CategoryMatcher, text: str, scores: np.ndarray, hist: np.ndarray, target: int, k: int = 10) -> int:
    """The rank the product gives ``target``, computed the plain way: the parsed category's items less
    the history (the whole catalog when it reads none, or when nothing of it is left), by score;
    a target the filter hides is a miss (rank ``k``)."""
    m = len(scores) - 1
    named = parser.items(text)
    pool = set(range(1, m + 1)) if named is None else {int(i) for i in named}
    pool -= {int(i) for i in hist}
    if not pool:
        pool = set(range(1, m + 1)) - {int(i) for i in hist}
    order = sorted(pool, key=lambda i: (-scores[i], i))
    return order.index(target) if target in pool else k


def test_online_ranking_is_the_parsed_hard_filter_then_the_score_inside_it() -> None:
    cats = ["", GEL, GEL, GEL, ROLLER, ROLLER, PAPER, PAPER, PAPER, PAPER, PAPER, PAPER, PAPER, PAPER, PAPER]
    m = len(cats) - 1
    parser = CategoryMatcher(cats, forms="customer")
    texts = [
        "I'm looking for a gel pen",  # a leaf in the customer's words: items 1-3
        "any pens?",  # one level up: items 1-5
        "I'd like a rollerball pen",  # items 4-5, both in the history: the panel drops the category
        "something for my desk",  # no category read: the whole catalog
        "a gel pen, please",  # the target is outside the category: never shown
    ]
    hist = [np.array([2]), np.array([6, 7]), np.array([4, 5]), np.array([1]), np.array([3])]
    targets = np.array([3, 5, 9, 12, 8])
    rng = np.random.default_rng(7)
    model = torch.from_numpy(rng.normal(size=(len(texts), m + 1)).astype(np.float32))
    model[4, 8] = 5.0  # the model's favourite, but outside the category the request names
    parsed, share = filter_mask(parser, texts, m)
    assert share == 0.8
    keep = shown_filter(parsed, hist)
    assert keep[2, 1:].all() and keep[3, 1:].all() and keep[0, 1:].sum() == 3 and not keep[:, 0].any()
    got = hard_filter_ranks(model, keep, hist, targets, bs=2)  # two batches
    want = [_served(parser, t, model[r].numpy(), hist[r], int(targets[r])) for r, t in enumerate(texts)]
    # Shown targets keep their place; a hidden one is a miss (at least k): the soft filter of the
    # category baselines (kept items first, then the rest) would show it third, the product never.
    assert np.minimum(got, 10).tolist() == want and want[4] == 10
    assert _ranks(prefer(model, keep), hist, targets, 2)[4] == 2 and got[4] >= 10


def _shop(tmp_path: Path, office_items: dict[str, dict[str, str]]) -> None:
    rng = np.random.default_rng(1)
    items = office_items
    ids = list(items)
    inter = {}
    for u in range(160):
        # Each customer keeps to one parent category, so the leaf/parent requests carry information.
        side = u % 2
        pool = [j for j in range(len(ids)) if (j % 4) // 2 == side]
        inter[f"U{u}"] = [ids[j] for j in rng.choice(pool, int(rng.integers(4, 7)), replace=False)]
    (tmp_path / "Shop.inter.json").write_text(json.dumps(inter))
    (tmp_path / "Shop.item.json").write_text(json.dumps(items))


def test_the_evaluation_reports_the_served_ranking(tmp_path: Path, office_items: dict[str, dict[str, str]]) -> None:
    """End to end on a small shop (real encoder, real training, one epoch): ``ours_online`` in every
    variant equals the served ranking recomputed the plain way from the served blend's scores (the
    weights training chose; each row's kind from the parsed category's size), and follows the weights;
    ``ours_filter_model`` is the same filter over the model's scores alone."""
    from assistant.config import Settings
    from assistant.evaluation.recommend.run import (
        VARIANTS,
        RequestBank,
        _chat_methods,
        _fit,
        model_scores,
    )
    from assistant.interest.data import leave_one_out, load_amazon_lcrec
    from assistant.interest.text import TextEncoder
    from assistant.interest.training import ItemFeatures

    _shop(tmp_path, office_items)
    small = {"hidden_dim": 32, "num_heads": 2, "num_layers": 1, "max_seq_len": 8, "batch_size": 64}
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    cfg = settings.interest.model_copy(update=small)
    settings = settings.model_copy(update={"interest": cfg})
    data = load_amazon_lcrec(tmp_path, max_chars=cfg.item_text_max_chars)
    split = leave_one_out(data)
    encoder = TextEncoder(settings.embedding_model, settings.data_dir / "cache" / "interest")
    feats = ItemFeatures.build(data.catalog, cfg, encoder)
    matcher = CategoryMatcher(data.catalog.categories)
    bank = RequestBank(data, feats, cfg.request_template, encoder)
    fitted = _fit(data, split, feats, cfg, settings, bank, matcher, epochs=1, progress=False, label="test")
    users = split.eval_users
    test_in = [data.items[u][:-1] for u in users]
    test_ev = [data.events[u][:-1] for u in users]
    targets = split.test_target
    m = data.catalog.num_items
    beh = model_scores(fitted.model.model, test_in, test_ev, cfg, None)
    beh_terms = fitted.behavior_terms(test_in, beh)
    rng = np.random.default_rng(5)

    def plain(req_text: list[str], scores: np.ndarray) -> dict[str, float]:
        ranks = [_served(fitted.parser, t, scores[r], test_in[r], int(targets[r])) for r, t in enumerate(req_text)]
        return ranking_metrics(np.asarray(ranks))

    def served_scores(req_text: list[str], fused: torch.Tensor) -> np.ndarray:
        sizes = [None if (it := fitted.parser.items(t)) is None else len(it) for t in req_text]
        terms = fitted.stats.terms(test_in, beh, fused)
        return fitted.served.scores(fused, terms, [fitted.served.kind(n) for n in sizes]).numpy()

    for v in VARIANTS:
        req = bank.make(targets, v, rng)
        out, _ = _chat_methods(fitted, feats, cfg, matcher, req, test_in, test_ev, targets, m, beh, beh_terms)
        assert list(out) == list(CHAT_METHODS)
        fused = model_scores(fitted.model.model, test_in, test_ev, cfg, req.emb)
        want = plain(req.text, served_scores(req.text, fused))
        alone = plain(req.text, fused.numpy())
        for key in ("hr@10", "ndcg@10", "mrr@10"):
            assert abs(out["ours_online"][key] - want[key]) < 1e-9, (v, key)
            assert abs(out["ours_filter_model"][key] - alone[key]) < 1e-9, (v, key)
        # Other weights: ours_online follows them (recomputed the same way), the model-alone row does not.
        saved = fitted.served
        heavy = Blend(cooccurrence=32.0, popularity=32.0)
        fitted.served = ServedBlend(heavy, {k: heavy for k in ("narrow", "broad", "none")}, saved.narrow_max)
        try:
            out2, _ = _chat_methods(fitted, feats, cfg, matcher, req, test_in, test_ev, targets, m, beh, beh_terms)
            want2 = plain(req.text, served_scores(req.text, fused))
        finally:
            fitted.served = saved
        assert out2["ours_filter_model"] == out["ours_filter_model"]
        assert abs(out2["ours_online"]["ndcg@10"] - want2["ndcg@10"]) < 1e-9
        assert out2["ours_online"] != out["ours_online"]
