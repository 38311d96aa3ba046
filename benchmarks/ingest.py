"""Ingestion throughput vs. raw ``SentenceTransformer.encode`` on the same texts, side by side.

Issue 3 (9): ingestion must reach >= 0.8x the raw encode throughput with the same batch size.
Both figures come from one process: the model is loaded and warmed once, the raw pass encodes
exactly the chunk texts the pipeline will embed, then a full ingestion run (read, validate,
normalize, redact, chunk, embed, write to Chroma and SQLite) goes into a fresh temp store. The
order of the two passes alternates over ``--repeat`` rounds so that drift in machine load does
not favour either side; the best round of each is reported.

Usage:
    python benchmarks/ingest.py                       # Bitext CSV from ../shared/data
    python benchmarks/ingest.py --limit 500 --json    # quick check, machine-readable
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path and its name ("ingest") would
# shadow the ingest package: put the repository first instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO))
DEFAULT_FILE = (
    Path(os.environ.get("SHOPASSIST_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "bitext-customer-support"
    / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)


def chunk_texts(path: Path, fmt: str, limit: int | None) -> list[str]:
    """The exact texts the pipeline embeds for ``path`` (after redaction and chunking)."""
    from ingest.chunking import chunk_record
    from ingest.normalize import Normalized, normalize
    from ingest.privacy import redact_records
    from ingest.readers import ReadContext, get_reader
    from ingest.records import RawItem, Rejection, validate

    texts: list[str] = []
    records: list[Normalized] = []
    for i, item in enumerate(get_reader(fmt).read(path, ReadContext())):
        if limit is not None and i >= limit:
            break
        if isinstance(item, RawItem):
            rec = validate(item)
            if not isinstance(rec, Rejection):
                records.append(normalize(rec, item.file, item.line))
    redacted, _ = redact_records([n.record for n in records])
    for n, red in zip(records, redacted, strict=True):
        texts.extend(c.text for c in chunk_record(red, source="bench", language=n.language))
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--format", default="bitext")
    parser.add_argument("--limit", type=int, default=None, help="records to use (default: the whole file)")
    parser.add_argument("--batch-size", type=int, default=None, help="encode batch size (default: settings)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best of each side is reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not args.path.is_file():
        print(f"benchmark input not found: {args.path} (set SHOPASSIST_SHARED_DATA)", file=sys.stderr)
        return 2

    from assistant.config import Settings
    from assistant.embeddings import get_embedder
    from assistant.vectors import VectorStore
    from ingest.pipeline import ingest_paths

    base = Settings(device="cpu")
    batch = args.batch_size or base.embedding_batch_size
    embedder = get_embedder(base.embedding_model, "cpu")
    model = embedder.model  # type: ignore[attr-defined]
    texts = chunk_texts(args.path, args.format, args.limit)
    model.encode(texts[:batch], batch_size=batch)  # warm-up: first calls allocate and tune kernels

    raw_best = ingest_best = float("inf")
    timings: dict[str, float] = {}
    records = 0
    for round_ in range(args.repeat):
        for side in (("raw", "ingest") if round_ % 2 == 0 else ("ingest", "raw")):
            if side == "raw":
                t0 = time.perf_counter()
                model.encode(texts, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True,
                             show_progress_bar=False)
                raw_best = min(raw_best, time.perf_counter() - t0)
            else:
                with tempfile.TemporaryDirectory(prefix="shopassist-bench-") as d:
                    settings = Settings(data_dir=Path(d), device="cpu", embedding_batch_size=batch)
                    t0 = time.perf_counter()
                    report = ingest_paths([args.path], args.format, settings=settings, limit=args.limit,
                                          vectors=VectorStore(settings, embedder))
                    ingest_best = min(ingest_best, time.perf_counter() - t0)
                    records = report.total("written")
                    timings = report.timings
                    if not report.ok or report.rejections_total:
                        print(f"ingestion problems: {[r.describe() for r in report.rejections[:5]]}",
                              file=sys.stderr)
    raw_tps = len(texts) / raw_best
    ingest_tps = len(texts) / ingest_best
    result = {
        "file": str(args.path),
        "records": records,
        "texts": len(texts),
        "batch_size": batch,
        "raw_encode_seconds": round(raw_best, 2),
        "raw_texts_per_s": round(raw_tps, 1),
        "ingest_seconds": round(ingest_best, 2),
        "ingest_texts_per_s": round(ingest_tps, 1),
        "ratio": round(ingest_tps / raw_tps, 3),
        "ingest_stage_seconds": timings,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch_threads": __import__("torch").get_num_threads(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"raw SentenceTransformer.encode: {raw_tps:8.1f} texts/s ({raw_best:.1f} s for {len(texts)} texts)")
        print(f"ingestion (all stages):         {ingest_tps:8.1f} texts/s ({ingest_best:.1f} s, {records} records)")
        print("ingestion stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        print(f"ratio ingest/raw: {result['ratio']:.3f} (target >= 0.8), batch size {batch}, "
              f"peak RSS {result['peak_rss_mib']} MiB")
    return 0 if result["ratio"] >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
