"""Benchmark: the whole run, end to end, beside the pipeline an analyst would write in a notebook.

    .venv/bin/python bench/bench_pipeline.py                       # 5k, 50k, 200k, 1M rows
    .venv/bin/python bench/bench_pipeline.py --rows 5000 50000     # a subset
    .venv/bin/python bench/bench_pipeline.py --full                # also with charts and report
    .venv/bin/python bench/bench_pipeline.py --rows 300 5000 --full --out pipeline_small   # small files

Input: ``minetools.datasets.make_complaints(N)`` written as UTF-8 CSV (generation is not timed).
Each measurement is a fresh process, so cold start (imports, dictionaries, the shipped model) is
counted, as a user running the command sees it:

* **minetools** — ``minetools run FILE --out DIR --tables-only`` (and, with ``--full``, without
  ``--tables-only``). Wall seconds, CPU seconds (the process and its workers), peak memory (the
  larger of the main process and its largest worker), and the per-stage seconds the run records in
  ``manifest.json`` (``timings_s``).
* **peer** — what a capable analyst writes in ten lines: pandas ``read_csv`` → ``jieba.lcut`` →
  scikit-learn ``TfidfVectorizer`` → ``NMF(12)`` → mean score per topic → one matplotlib bar chart.
  Run alternately with minetools at each size (peer, minetools, peer, minetools); both medians kept.
* **jieba** — plain ``jieba.lcut`` over the same texts, no other work: the floor the issue compares to.

Results: ``bench/results/pipeline.md`` and ``pipeline.json`` (``--out NAME``: ``NAME.md`` and ``NAME.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

_MEASURED = """
import json, resource, sys, time
t0 = time.perf_counter()
{body}
self_ = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"wall_s": time.perf_counter() - t0,
                  "cpu_s": self_.ru_utime + self_.ru_stime + kids.ru_utime + kids.ru_stime,
                  "peak_mb": max(self_.ru_maxrss, kids.ru_maxrss) / 1024}}), file=sys.stderr)
"""

_MINETOOLS = """
from minetools.cli import main
rc = main(sys.argv[1:])
assert rc == 0, rc
"""

_PEER = """
import pandas as pd, jieba, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.decomposition import NMF
df = pd.read_csv(sys.argv[1])
tokens = [" ".join(jieba.lcut(str(t))) for t in df["text"].fillna("")]
X = TfidfVectorizer(token_pattern=r"(?u)\\S+", min_df=5, max_features=20000).fit_transform(tokens)
topic = NMF(n_components=12, init="nndsvda", random_state=0, max_iter=200).fit_transform(X).argmax(axis=1)
means = df.assign(topic=topic).groupby("topic")["satisfaction"].mean()
means.plot.bar()
plt.savefig(sys.argv[2])
"""

_JIEBA = """
import pandas as pd, jieba
texts = pd.read_csv(sys.argv[1])["text"].fillna("").astype(str).tolist()
for t in texts:
    jieba.lcut(t)
"""


def _measure(body: str, args: list[str]) -> dict:
    """Run ``body`` in a fresh interpreter with ``args``; its wall, CPU and peak memory."""
    code = _MEASURED.format(body=body)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed ({args[:1]}):\n{done.stderr[-3000:]}")
    return json.loads(done.stderr.strip().splitlines()[-1])


def _minetools(path: Path, out: Path, *, full: bool) -> dict:
    args = ["run", str(path), "--out", str(out), "--quiet", *([] if full else ["--tables-only"])]
    result = _measure(_MINETOOLS, args)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    result["stages_s"] = {k: v for k, v in manifest.get("timings_s", {}).items() if k != "total"}
    return result


def _input(n: int, folder: Path) -> Path:
    from minetools.datasets import make_complaints

    path = folder / f"complaints_{n}.csv"
    if not path.exists():
        make_complaints(n, seed=2024).to_csv(path, index=False, encoding="utf-8")
    return path


def _one_size(n: int, work: Path, *, full: bool, peer: bool) -> dict:
    path = _input(n, work)
    row: dict = {"rows": n}
    runs, peers = [], []
    for i in range(2 if peer else 1):
        if peer:
            peers.append(_measure(_PEER, [str(path), str(work / "peer.png")]))
        runs.append(_minetools(path, work / f"run_{n}_{i}", full=False))
    row["tables_only"] = runs[-1]
    row["tables_only"]["wall_s_median"] = statistics.median(r["wall_s"] for r in runs)
    if peers:
        row["peer"] = peers[-1]
        row["peer"]["wall_s_median"] = statistics.median(r["wall_s"] for r in peers)
    if full:
        row["full"] = _minetools(path, work / f"full_{n}", full=True)
    row["jieba"] = _measure(_JIEBA, [str(path)])
    print(json.dumps(row), flush=True)
    return row


def _table(rows: list[dict]) -> list[str]:
    stages = sorted({s for r in rows for s in r["tables_only"]["stages_s"]},
                    key=lambda s: list(rows[0]["tables_only"]["stages_s"]).index(s)
                    if s in rows[0]["tables_only"]["stages_s"] else 99)
    head = ["rows", "wall s", "CPU s", "peak MB", *stages, "full wall s", "peer wall s", "jieba.lcut s",
            "ours / peer", "ours / jieba"]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        t = r["tables_only"]
        peer = r.get("peer", {}).get("wall_s_median")
        cells = [f"{r['rows']:,}", f"{t['wall_s_median']:.1f}", f"{t['cpu_s']:.1f}", f"{t['peak_mb']:.0f}",
                 *[f"{t['stages_s'].get(s, 0):.1f}" for s in stages],
                 f"{r['full']['wall_s']:.1f}" if "full" in r else "–", f"{peer:.1f}" if peer else "–",
                 f"{r['jieba']['wall_s']:.1f}", f"{t['wall_s_median'] / peer:.2f}" if peer else "–",
                 f"{t['wall_s_median'] / r['jieba']['wall_s']:.2f}"]
        md.append("| " + " | ".join(cells) + " |")
    return md


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[5_000, 50_000, 200_000, 1_000_000])
    ap.add_argument("--full", action="store_true", help="also run with charts and report")
    ap.add_argument("--no-peer", action="store_true", help="skip the notebook pipeline")
    ap.add_argument("--out", default="pipeline", help="results file name in bench/results (default: pipeline)")
    args = ap.parse_args(argv)
    os.environ.setdefault("MINETOOLS_PSEUDONYM_KEY", str(Path(tempfile.gettempdir()) / "minetools-bench.key"))
    with tempfile.TemporaryDirectory() as t:
        rows = [_one_size(n, Path(t), full=args.full, peer=not args.no_peer) for n in args.rows]
    md = ["# Whole run, end to end", "",
          f"`.venv/bin/python bench/bench_pipeline.py {' '.join(argv or sys.argv[1:])}` on {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}. Method: the script's docstring. Stage columns "
          "are the run's own timings (manifest.json); wall and CPU include start-up. \"ours / peer\" and \"ours / "
          "jieba\" divide the median tables-only wall time by the peer pipeline's median and by plain jieba.lcut.",
          "", *_table(rows), ""]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.md").write_text("\n".join(md), encoding="utf-8")
    (RESULTS / f"{args.out}.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
