"""The served blend (issue 18): training chooses its weights on validation customers and stores them in
the checkpoint; InterestService ranks by it after the hard filters; an older checkpoint without weights
is served by the model alone and says so. Real SQLite store, real MiniLM, real training."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import select

from assistant.config import Settings
from assistant.interest.data import EVENT_INDEX, category_path
from assistant.interest.models import ModelInputs
from assistant.interest.online import NO_BLEND, InterestService, RecFilters, ScoredItem
from assistant.interest.training import load_checkpoint
from assistant.services import Services
from assistant.store.db import Database
from assistant.store.models import Event, Product

SMALL = {"hidden_dim": 32, "num_heads": 2, "num_layers": 1, "max_seq_len": 8, "batch_size": 64}
LEAVES = [("Pens", "Gel Pens"), ("Pens", "Rollerball Pens"), ("Paper", "Copy Paper"), ("Paper", "Notebooks")]


def _shop(tmp_path: Path) -> tuple[Settings, Database]:
    """24 products in four leaves under two parents; 120 customers who keep to one parent, with a
    popularity skew, 4-7 events each; two products (P022, P023) have no event at all (new ones)."""
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    settings = settings.model_copy(update={"interest": settings.interest.model_copy(update=SMALL)})
    db = Database(settings)
    db.migrate()
    rng = np.random.default_rng(0)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for i in range(24):
            parent, leaf = LEAVES[i % 4]
            s.add(
                Product(
                    id=f"P{i:03d}",
                    name=f"{leaf} model {i}",
                    category=f"Office > {parent} > {leaf}",
                    brand="Acme",
                    description=f"A {leaf.lower()[:-1]} for the office, model {i}",
                    price=float(5 + i),
                    available=True,
                    tags=[],
                    source="test",
                    content_hash=f"P{i:03d}",
                )
            )
        n = 0
        for u in range(120):
            side = u % 2
            pool = np.asarray([j for j in range(22) if (j % 4) // 2 == side])
            w = 1.0 / np.arange(1, len(pool) + 1)
            picks = rng.choice(pool, int(rng.integers(4, 8)), replace=False, p=w / w.sum())
            for j in picks:
                etype = ("view", "click", "cart", "purchase")[int(rng.integers(0, 4))]
                s.add(
                    Event(
                        id=f"e{n}",
                        customer_id=f"C{u:03d}",
                        product_id=f"P{int(j):03d}",
                        event_type=etype,
                        timestamp=t0 + timedelta(minutes=n),
                        source="test",
                    )
                )
                n += 1
    return settings, db


def _hand_served(
    db: Database, svc: InterestService, ck_path: Path, customer: str, chat: str, category: str | None
) -> dict[str, float]:
    """The served score of every product, computed the plain way from the stored events and the
    checkpoint's weights: each term from its definition (docs/interest.md), no blend code."""
    ck = load_checkpoint(ck_path)
    raw = ck.meta["blend"]
    ids = ck.item_ids
    pos = {p: i for i, p in enumerate(ids) if i}
    m = len(ids) - 1
    with db.session() as s:
        rows = s.execute(
            select(Event.customer_id, Event.product_id, Event.event_type).order_by(
                Event.customer_id, Event.timestamp, Event.id
            )
        ).all()
    seqs: dict[str, list[tuple[int, str]]] = {}
    for c, p, e in rows:
        seqs.setdefault(str(c), []).append((pos[str(p)], str(e)))
    counts = np.zeros(m + 1)
    x = np.zeros((len(seqs), m + 1))
    for r, seq in enumerate(seqs.values()):
        for i, _ in seq:
            counts[i] += 1
            x[r, i] = 1.0
    co = x.T @ x
    d = np.sqrt(np.maximum(np.diag(co), 1.0))
    sim = co / d[:, None] / d[None, :]
    np.fill_diagonal(sim, 0.0)  # 24 items < itemknn_neighbors: no pruning
    cats = [""] + [svc.catalog.categories[svc.catalog.index[p]] for p in ids[1:]]
    leaf = [tuple(category_path(c)) for c in cats]
    warm = counts > 0
    warm[0] = False

    def fill(t: np.ndarray) -> np.ndarray:
        out = t.copy()
        for j in range(1, m + 1):
            if not warm[j]:
                same = [i for i in range(1, m + 1) if warm[i] and leaf[i] == leaf[j]]
                out[j] = float(np.mean(t[same])) if same else 0.0
        return out

    hist = [i for i, _ in seqs[customer]][-SMALL["max_seq_len"] :]
    evs = [e for _, e in seqs[customer]][-SMALL["max_seq_len"] :]
    cooc = sim[sorted(set(hist))].sum(0)
    cooc = fill(cooc / max(cooc.max(), 1e-9))
    trans = sim[hist[-1]]
    trans = fill(trans / max(trans.max(), 1e-9))
    lp = np.log1p(counts)
    pop = fill(lp / lp.max())

    def leaf_mass(scores: np.ndarray) -> np.ndarray:
        s = scores.copy()
        s[[0, *hist]] = -np.inf
        p = np.exp(s - s[np.isfinite(s)].max())
        p /= p.sum()
        mass = {lf: sum(p[i] for i in range(1, m + 1) if leaf[i] == lf) for lf in set(leaf[1:])}
        out = np.asarray([0.0] + [mass[leaf[i]] if leaf[i] else 0.0 for i in range(1, m + 1)])
        norm: np.ndarray = out / out.max()
        return norm

    vec = svc.encoder.encode_queries([chat])[:1]
    text = torch.from_numpy(vec / np.linalg.norm(vec, axis=1, keepdims=True))
    batch = ModelInputs(
        torch.tensor([hist]), torch.tensor([[EVENT_INDEX[e] for e in evs]]), text, torch.ones(1, dtype=torch.bool)
    )
    with torch.no_grad():
        model = ck.model.scores(batch)[0].double().numpy()
        behavior = ck.model.scores(ModelInputs(batch.items, batch.events))[0].double().numpy()
    n_cat = None if category is None else sum(category.lower() in c.lower() for c in cats[1:])
    kind = "none" if n_cat is None else ("narrow" if n_cat <= raw["narrow_max"] else "broad")
    w = raw["kinds"][kind]
    terms = {
        "behavior": behavior,
        "cooccurrence": cooc,
        "transition": trans,
        "popularity": pop,
        "leaf_mass": leaf_mass(behavior),
        "request_leaf_mass": leaf_mass(model),
    }
    score = model + sum(w[k] * terms[k] for k in terms if w[k])
    return {ids[i]: float(score[i]) for i in range(1, m + 1)}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Database, Path]:
    settings, db = _shop(tmp_path_factory.mktemp("shop"))
    result = Services.build(settings).training.train(epochs=2, activate=False)
    return settings, db, result.checkpoint


def test_training_stores_blend_weights_chosen_on_validation(trained: tuple[Settings, Database, Path]) -> None:
    _, _, path = trained
    blend = load_checkpoint(path).meta["blend"]
    assert set(blend["kinds"]) == {"narrow", "broad", "none"} and blend["cold_prior"] is True
    assert blend["narrow_max"] > 0 and "behavior" in blend["validation"]
    # The no-request blend reads no request term.
    assert blend["behavior_blend"]["behavior"] == 0 and blend["behavior_blend"]["request_leaf_mass"] == 0


@pytest.mark.parametrize(
    ("chat", "category"),
    [("I'm looking for a gel pen", "Gel Pens"), ("any paper?", "Paper"), ("something for my desk", None)],
)
def test_the_service_ranks_by_the_blend_computed_by_hand(
    trained: tuple[Settings, Database, Path], chat: str, category: str | None
) -> None:
    """InterestService.recommend (the chat panel's call) = the hard filter, then the blend of the
    stored weights over terms computed by hand from the stored events; the two never-seen products get
    their leaf's mean in the count terms."""
    settings, db, path = trained
    svc = InterestService(settings, db, checkpoint=path)
    assert svc.blend is not None and NO_BLEND not in svc.mode_reason
    hand = _hand_served(db, svc, path, "C004", chat, category)
    filters = RecFilters(category=category) if category else None
    recs = svc.recommend("C004", chat, k=30, filters=filters, include_purchased=True)
    got = [r.product_id for r in recs]
    allowed = [
        p for p in hand if category is None or category.lower() in svc.catalog.categories[svc.catalog.index[p]].lower()
    ]
    want = sorted(allowed, key=lambda p: (-hand[p], p))
    assert got == want
    assert np.allclose([r.score for r in recs], [hand[p] for p in got], atol=1e-4)
    # The blend is not the model alone: the model's own order differs here.
    model_order = [r.product_id for r in _model_alone(svc, chat, filters)]
    assert model_order != got or category is not None


def _model_alone(svc: InterestService, chat: str, filters: RecFilters | None) -> list[ScoredItem]:
    blend, svc.blend = svc.blend, None
    try:
        return list(svc.recommend("C004", chat, k=30, filters=filters, include_purchased=True))
    finally:
        svc.blend = blend


def test_a_checkpoint_without_blend_weights_is_served_by_the_model_alone_and_says_so(
    trained: tuple[Settings, Database, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, db, path = trained
    payload = torch.load(path, map_location="cpu", weights_only=False)
    del payload["blend"]  # as written before the blend was stored
    old = tmp_path / "old.pt"
    torch.save(payload, old)
    with caplog.at_level(logging.WARNING, logger="assistant.interest.online"):
        svc = InterestService(settings, db, checkpoint=old)
    assert svc.mode == "trained" and svc.blend is None
    assert NO_BLEND in svc.mode_reason and any(NO_BLEND in r.message for r in caplog.records)
    recs = svc.recommend("C004", "I'm looking for a gel pen", k=30, include_purchased=True)
    chat = svc._chat("I'm looking for a gel pen")
    assert chat is not None
    u = svc._user_vectors([svc._events_for("C004", [])], chat.vec)[0]
    cos = svc.item_vecs @ u
    assert [r.product_id for r in recs] == [svc.catalog.ids[i] for i in np.argsort(-cos[1:], kind="stable")[:30] + 1]
    # A malformed blend entry is refused with the file and field named, never silently ignored.
    payload["blend"] = {"kinds": {}, "behavior_blend": {}, "narrow_max": 3}
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    with pytest.raises(ValueError, match=r"bad\.pt: blend\.kinds: missing"):
        InterestService(settings, db, checkpoint=bad)


def test_the_blend_weights_come_from_validation_customers(
    tmp_path: Path, office_items: dict[str, dict[str, str]]
) -> None:
    """Each customer's validation item is one of four best sellers, the test item one of the rarely
    bought ones: chosen on validation the no-request blend weighs co-occurrence (the best sellers are
    bought together); the same choice made on the test items would not. Fails if training tuned on the
    test events."""
    from assistant.interest.blend import fit_served_blend
    from assistant.interest.data import Split, leave_one_out, load_amazon_lcrec
    from assistant.interest.text import TextEncoder
    from assistant.interest.training import ItemFeatures, train_model

    rng = np.random.default_rng(2)
    ids = list(office_items)
    popular, filler, tail = ids[:4], ids[4:16], ids[16:]
    inter = {}
    for u in range(200):
        best = [str(x) for x in rng.choice(popular, 3, replace=False)]
        f = [str(x) for x in rng.choice(filler, 2, replace=False)]
        if u % 8 == 0:  # the rarely bought items are bought now and then, not never
            f[1] = str(rng.choice(tail))
        last = str(rng.choice([t for t in tail if t not in f]))
        inter[f"U{u}"] = [best[0], f[0], best[1], f[1], best[2], last]  # valid: a best seller; test: rare
    (tmp_path / "Shop.inter.json").write_text(json.dumps(inter))
    (tmp_path / "Shop.item.json").write_text(json.dumps(office_items))
    settings = Settings(data_dir=tmp_path / "data", device="cpu")
    cfg = settings.interest.model_copy(update=SMALL)
    data = load_amazon_lcrec(tmp_path, max_chars=cfg.item_text_max_chars)
    split = leave_one_out(data)
    feats = ItemFeatures.build(data.catalog, cfg, TextEncoder(settings.embedding_model, tmp_path / "cache"))
    assert feats.train_request_text is not None
    res = train_model("fusion", cfg, data, split, feats, device="cpu", epochs=1, progress=False)
    served, _ = fit_served_blend(res.model, data.catalog, split, feats.train_request_text, cfg)
    # The best sellers are bought together: on the validation items co-occurrence is what ranks them.
    assert served.behavior_blend.cooccurrence > 0, served.behavior_blend
    on_test = Split(split.train_items, split.train_events, split.eval_users, split.test_target, split.test_target)
    wrong, _ = fit_served_blend(res.model, data.catalog, on_test, feats.train_request_text, cfg)
    # The rare test items co-occur with nothing the customer had: tuned on them, co-occurrence gets 0.
    assert wrong.behavior_blend.cooccurrence == 0, wrong.behavior_blend
    assert served.validation["behavior"] > wrong.validation["behavior"]
