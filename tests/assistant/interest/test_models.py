"""Model shapes, padding, learning a known pattern, checkpoints and cold start (real components)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from assistant.config import InterestSettings
from assistant.interest.data import Catalog, InteractionData, leave_one_out
from assistant.interest.models import FusionInterestModel, ModelInputs, SASRecModel
from assistant.interest.training import (
    ItemFeatures,
    load_checkpoint,
    new_checkpoint_path,
    rank_targets,
    rank_targets_many,
    save_checkpoint,
    train_model,
)

CFG = InterestSettings(hidden_dim=32, num_heads=2, num_layers=1, max_seq_len=8, dropout=0.0, batch_size=64)


def _feats(n: int, seed: int = 0) -> ItemFeatures:
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(n + 1, 384)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    text[0] = 0
    return ItemFeatures(text, text.copy(), [""] * (n + 1))


def _cyclic_data(n_items: int = 12, n_users: int = 120, seed: int = 0) -> InteractionData:
    """Users walk the item cycle 1 -> 2 -> ... -> n -> 1 from a random start: next item is known."""
    rng = np.random.default_rng(seed)
    ids = [""] + [f"p{i}" for i in range(1, n_items + 1)]
    cat = Catalog(ids, ids, ["c"] * len(ids), ids, [None] * len(ids), [True] * len(ids))
    items, events = [], []
    for _ in range(n_users):
        start, length = int(rng.integers(n_items)), int(rng.integers(4, 7))
        seq = np.array([(start + j) % n_items + 1 for j in range(length)], dtype=np.int64)
        items.append(seq)
        events.append(np.full(length, 4, dtype=np.int64))
    return InteractionData("cyclic", cat, [f"u{i}" for i in range(n_users)], items, events)


def test_shapes_and_padding_never_leaks() -> None:
    torch.manual_seed(0)
    m = FusionInterestModel(CFG, torch.from_numpy(_feats(10).item_text), torch.ones(11, dtype=torch.bool)).eval()
    short = ModelInputs(torch.tensor([[3, 4, 5]]), torch.tensor([[1, 2, 4]]))
    padded = ModelInputs(torch.tensor([[0, 0, 0, 3, 4, 5]]), torch.tensor([[0, 0, 0, 1, 2, 4]]))
    # Garbage in padded positions' event slots must not matter either: only items decide padding.
    junk = ModelInputs(torch.tensor([[0, 0, 0, 3, 4, 5]]), torch.tensor([[5, 3, 1, 1, 2, 4]]))
    s1, s2, s3 = m.scores(short), m.scores(padded), m.scores(junk)
    assert s1.shape == (1, 11)
    assert torch.isinf(s1[0, 0]) and s1[0, 0] < 0
    torch.testing.assert_close(s1[:, 1:], s2[:, 1:], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(s1[:, 1:], s3[:, 1:], atol=1e-5, rtol=1e-5)
    allpos = m.behavior_vectors(padded.items, padded.events, all_positions=True)
    assert allpos.shape == (1, 6, 32) and allpos[0, :3].abs().sum() == 0
    # behavior only, text only and both are all served
    text = torch.from_numpy(_feats(10).item_text[[2]])
    only_text = ModelInputs(torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 1, dtype=torch.long), text)
    assert torch.isfinite(m.scores(only_text)[:, 1:]).all()
    sas = SASRecModel(CFG, torch.zeros(11, 384), torch.ones(11, dtype=torch.bool)).eval()
    torch.testing.assert_close(sas.scores(short)[:, 1:], sas.scores(padded)[:, 1:], atol=1e-5, rtol=1e-5)


def test_learns_known_next_item_and_checkpoint_roundtrip(tmp_path: Path) -> None:
    data = _cyclic_data()
    split = leave_one_out(data)
    feats = _feats(12)
    cfg = CFG.model_copy(update={"lr": 5e-3, "epochs": 15, "patience": 15, "text_dropout": 1.0})
    res = train_model("fusion", cfg, data, split, feats, device="cpu", progress=False)
    test_in = [data.items[u][:-1] for u in split.eval_users]
    test_ev = [data.events[u][:-1] for u in split.eval_users]
    ranks = rank_targets(res.model, test_in, test_ev, split.test_target, cfg)
    assert (ranks == 0).mean() > 0.9, f"cyclic next item not learned: {np.bincount(ranks)}"

    path = save_checkpoint(tmp_path / "ck.pt", res, data, feats)
    ck = load_checkpoint(path)
    assert ck.fingerprint == data.fingerprint() and ck.meta["config"]["hidden_dim"] == 32
    b = ModelInputs(torch.tensor([[0, 1, 2, 3]]), torch.tensor([[0, 4, 4, 4]]))
    torch.testing.assert_close(res.model.scores(b), ck.model.scores(b), atol=0, rtol=0)


def test_checkpoints_saved_in_the_same_second_get_their_own_names(tmp_path: Path) -> None:
    data = _cyclic_data(n_users=20)
    split, feats = leave_one_out(data), _feats(12)
    res = train_model("fusion", CFG.model_copy(update={"epochs": 1}), data, split, feats, device="cpu", progress=False)
    paths = [save_checkpoint(new_checkpoint_path(tmp_path), res, data, feats) for _ in range(3)]
    assert len(set(paths)) == 3 and all(p.is_file() and p.suffix == ".pt" for p in paths), paths
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == sorted(p.name for p in paths)  # none overwritten
    assert all(load_checkpoint(p).fingerprint == data.fingerprint() for p in paths)


def test_training_is_deterministic_under_seed() -> None:
    data = _cyclic_data(n_users=40)
    split, feats = leave_one_out(data), _feats(12)
    cfg = CFG.model_copy(update={"epochs": 2})
    a = train_model("fusion", cfg, data, split, feats, device="cpu", progress=False)
    b = train_model("fusion", cfg, data, split, feats, device="cpu", progress=False)
    for (k, v), w in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(v, w), k


def test_cold_start_item_scored_from_text() -> None:
    """An item nobody touched, whose text is a near-twin of a trained item, ranks like its twin."""
    data = _cyclic_data()
    feats = _feats(13)  # item 13 exists in the catalog but never in any sequence
    feats.item_text[13] = feats.item_text[5] + 0.05 * feats.item_text[13]
    feats.item_text[13] /= np.linalg.norm(feats.item_text[13])
    ids = [*data.catalog.ids, "p13"]
    data.catalog = Catalog(ids, ids, ["c"] * 14, ids, [None] * 14, [True] * 14)
    cfg = CFG.model_copy(update={"lr": 5e-3, "epochs": 10, "patience": 10, "text_dropout": 1.0})
    res = train_model("fusion", cfg, data, leave_one_out(data), feats, device="cpu", progress=False)
    assert not bool(res.model.item_has_history[13])
    # after 2, 3, 4 comes 5: its cold twin 13 must be among the top candidates too
    s = res.model.scores(ModelInputs(torch.tensor([[2, 3, 4]]), torch.full((1, 3), 4)))[0]
    order = torch.argsort(s, descending=True).tolist()
    assert order.index(13) <= 3, order[:6]
    assert s[13] > s[1:13].median()


def test_ranking_batched_by_length_matches_one_user_at_a_time() -> None:
    """Validation and evaluation batch histories by length and encode each once for several request
    sets; every rank must equal the rank of that user scored alone, unpadded, with its own request."""
    data = _cyclic_data(n_users=60, seed=3)
    split, feats = leave_one_out(data), _feats(12)
    cfg = CFG.model_copy(update={"epochs": 1, "eval_batch_size": 7})
    res = train_model("fusion", cfg, data, split, feats, device="cpu", progress=False)
    model = res.model.eval()
    rng = np.random.default_rng(0)
    # Histories of very different lengths, shuffled, so batches by length reorder the users.
    inputs = [rng.integers(1, 13, int(rng.integers(1, 9))).astype(np.int64) for _ in range(40)]
    events = [np.full(len(h), 4, dtype=np.int64) for h in inputs]
    targets = rng.integers(1, 13, 40).astype(np.int64)
    req = feats.item_text[rng.integers(1, 13, 40)]
    beh, fused = rank_targets_many(model, inputs, events, targets, cfg, [None, req])
    for r in range(40):
        b = ModelInputs(torch.from_numpy(inputs[r][None]), torch.from_numpy(events[r][None]))
        bt = ModelInputs(b.items, b.events, torch.from_numpy(req[[r]]), torch.ones(1, dtype=torch.bool))
        for ranks, batch in ((beh, b), (fused, bt)):
            with torch.no_grad():
                s = model.scores(batch)
            s[0, torch.from_numpy(inputs[r])] = -torch.inf
            t = s[0, targets[r]]
            alone = int((s[0] > t).sum() + ((s[0] == t) & (torch.arange(13) < targets[r])).sum())
            assert ranks[r] == alone, (r, ranks[r], alone)
    assert (fused != beh).any(), "the request must change some ranks"
    torch.testing.assert_close(
        rank_targets(model, inputs, events, targets, cfg, req), fused, atol=0, rtol=0, check_dtype=False
    )


def test_in_category_loss_is_the_cross_entropy_over_the_named_node() -> None:
    """category_loss_weight adds, at positions whose request names a catalog-tree node, the
    cross-entropy over only the items under that node (leaf: the item's own path; parent: one up)."""
    from assistant.interest.training import category_groups

    ids = [""] + [f"p{i}" for i in range(1, 9)]
    cats = ["", *["A, X"] * 3, *["A, Y"] * 3, "B, Z", "B, Z"]
    catalog = Catalog(ids, ids, cats, ids, [None] * 9, [True] * 9)
    anc, grp = category_groups(catalog, ["leaf", "parent"])

    def under(node: int) -> set[int]:
        return {i for i in range(9) if node in anc[i]}

    assert under(grp[0, 1]) == {1, 2, 3} and under(grp[1, 1]) == {1, 2, 3, 4, 5, 6} and under(grp[1, 7]) == {7, 8}
    assert (anc[0] == 0).all() and grp[:, 0].tolist() == [0, 0]

    cfg = CFG.model_copy(update={"category_loss_weight": 0.5})
    torch.manual_seed(0)
    model = FusionInterestModel(cfg, torch.from_numpy(_feats(8).item_text), torch.ones(9, dtype=torch.bool)).eval()
    items, targets = torch.tensor([[0, 1, 4, 2]]), torch.tensor([[1, 4, 2, 5]])
    text = torch.from_numpy(_feats(8).item_text[targets[0].numpy()])[None]
    # position 1: leaf request (A, X... of item 4 -> A, Y), position 3: parent request (A), others none
    group = torch.tensor([[0, int(grp[0, 4]), 0, int(grp[1, 5])]])
    batch = ModelInputs(items, torch.full((1, 4), 4), text, torch.tensor([[False, True, False, True]]), group)
    item_groups = torch.from_numpy(anc)
    with torch.no_grad():
        got = model.loss(batch, targets, None, item_groups)
        plain = model.loss(ModelInputs(batch.items, batch.events, batch.text, batch.has_text), targets)
        logits = model.score_pairs(model.user_vectors(batch, all_positions=True)[0], model.item_vectors())
    logits[:, 0] = -torch.inf
    full = torch.nn.functional.cross_entropy(logits, targets[0])
    inside = []
    for pos, members in ((1, [4, 5, 6]), (3, [1, 2, 3, 4, 5, 6])):
        row = logits[pos, members]
        inside.append(torch.logsumexp(row, 0) - logits[pos, int(targets[0, pos])])
    torch.testing.assert_close(plain, full)
    torch.testing.assert_close(got, full + 0.5 * torch.stack(inside).mean())
    assert got > plain
