"""Train the interest encoder for a few hundred steps on CUDA (bf16 autocast) and on CPU; print examples/s.

For a machine with a GPU; nothing in the test suite needs one.

    python benchmarks/gpu_train.py [--data ../shared/data/amazon-office] [--steps 300] [--cpu-steps 30]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from assistant.config import InterestSettings
from assistant.interest.data import leave_one_out, load_amazon_lcrec
from assistant.interest.models import ModelInputs
from assistant.interest.training import ItemFeatures, _windows, build_model, seed_everything


def run(
    device: str,
    steps: int,
    cfg: InterestSettings,
    feats: ItemFeatures,
    wins: np.ndarray,
    wevs: np.ndarray,
    has_hist: np.ndarray,
) -> float:
    seed_everything(cfg.seed)
    model = build_model(cfg.model, cfg, feats, has_hist).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    req = torch.from_numpy(feats.request_text).to(device)
    rng = np.random.default_rng(0)
    amp = device == "cuda"
    n_examples, t0 = 0, 0.0
    for step in range(steps + 5):
        if step == 5:  # the first steps pay for kernel selection and allocation
            if amp:
                torch.cuda.synchronize()
            t0, n_examples = time.perf_counter(), 0
        idx = rng.integers(0, len(wins), cfg.batch_size)
        seq = torch.from_numpy(wins[idx]).to(device)
        ev = torch.from_numpy(wevs[idx]).to(device)
        tgt = seq[:, 1:]
        batch = ModelInputs(seq[:, :-1], ev[:, :-1], req[tgt], (torch.rand(tgt.shape, device=device) > 0.5))
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=amp):
            loss = model.loss(batch, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        n_examples += int((tgt > 0).sum())
    if amp:
        torch.cuda.synchronize()
    return n_examples / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "amazon-office"
    )
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--cpu-steps", type=int, default=30)
    args = ap.parse_args()
    cfg = InterestSettings()
    data = load_amazon_lcrec(args.data, max_chars=cfg.item_text_max_chars)
    split = leave_one_out(data)
    from assistant.interest.text import TextEncoder

    feats = ItemFeatures.build(data.catalog, cfg, TextEncoder("minilm", Path("data/cache/interest")))
    wins, wevs = _windows(split.train_items, split.train_events, cfg.max_seq_len)
    has_hist = np.zeros(data.catalog.num_items + 1, dtype=bool)
    has_hist[np.concatenate(split.train_items)] = True
    cpu = run("cpu", args.cpu_steps, cfg, feats, wins, wevs, has_hist)
    print(f"cpu ({torch.get_num_threads()} threads): {cpu:,.0f} target positions/s")
    if not torch.cuda.is_available():
        print("no CUDA device: GPU part skipped")
        return
    gpu = run("cuda", args.steps, cfg, feats, wins, wevs, has_hist)
    print(f"cuda ({torch.cuda.get_device_name()}, bf16 autocast): {gpu:,.0f} target positions/s ({gpu / cpu:.1f}x CPU)")


if __name__ == "__main__":
    main()
