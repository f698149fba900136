"""Benchmark: plain ``jieba.lcut`` (one process) vs ``minetools.segment.Segmenter`` defaults.

Usage::

    python bench/bench_segment.py                 # full run, writes bench/results/segment.{md,json}
    python bench/bench_segment.py --rows 20000    # quick look (results not written)

The corpus is ``make_complaints(ROWS, seed=11)`` passed through ``clean_text`` (the texts the
pipeline segments: Simplified, PII placeholders), cached under /tmp. Every measurement runs
in a fresh subprocess so that its peak memory (ru_maxrss, including child processes) is its
own. Before the main comparison the script waits (up to 15 minutes) for the 1-minute load
average to drop below 1.0 and records the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path("/tmp/minetools_bench_segment")
RESULTS = Path(__file__).resolve().parent / "results"


def corpus_path(rows: int) -> Path:
    path = CACHE / f"clean_{rows}.jsonl"
    if not path.exists():
        from minetools.clean import clean_text
        from minetools.datasets import make_complaints

        CACHE.mkdir(parents=True, exist_ok=True)
        texts = make_complaints(rows, seed=11)["text"].fillna("").astype(str)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps(clean_text(t), ensure_ascii=False) + "\n")
        tmp.replace(path)
    return path


def load(rows: int) -> list[str]:
    with corpus_path(rows).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def peak_mb() -> float:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((self_kb + child_kb) / 1024, 1)


# -- phases (each runs in its own subprocess) ------------------------------------------------
def phase_jieba(rows: int) -> dict:
    import logging

    import jieba

    texts = load(rows)
    jieba.setLogLevel(logging.WARNING)
    t = time.perf_counter()
    jieba.initialize()
    init = time.perf_counter() - t
    t = time.perf_counter()
    out = [jieba.lcut(x) for x in texts]
    return {"seconds": time.perf_counter() - t, "init_seconds": init, "tokens": sum(map(len, out))}


def phase_segmenter(rows: int, **options) -> dict:
    from minetools.segment import Segmenter

    texts = load(rows)
    t = time.perf_counter()
    seg = Segmenter(**options)
    seg.tokenizer  # noqa: B018
    init = time.perf_counter() - t
    t = time.perf_counter()
    out = seg.segment(texts)
    return {"seconds": time.perf_counter() - t, "init_seconds": init, "tokens": sum(map(len, out))}


def phase_equivalence(rows: int) -> dict:
    """Same dictionary, same options: rjieba backend vs jieba backend."""
    from minetools.segment import Segmenter

    texts = load(rows)[:rows]
    report = {}
    for name, options in {"defaults": {}, "raw tokens (no stopwords/synonyms)":
                          {"remove_stopwords": False, "use_synonyms": False}}.items():
        a = Segmenter(backend="rjieba", n_jobs=1, **options).segment(texts)
        b = Segmenter(backend="jieba", n_jobs=1, **options).segment(texts)
        diffs = [(t, x, y) for t, x, y in zip(texts, a, b) if x != y]
        report[name] = {"docs": len(texts), "identical": len(texts) - len(diffs),
                        "share": round(1 - len(diffs) / len(texts), 5),
                        "examples": [{"text": t, "rjieba": x, "jieba": y} for t, x, y in diffs[:10]]}
    return report


def phase_scaling(rows: int) -> dict:
    from minetools.segment import Segmenter

    texts = load(rows)
    out = {}
    one, two = Segmenter(n_jobs=1), Segmenter(n_jobs=2)
    one.tokenizer, two.tokenizer  # noqa: B018
    for n in (1000, 3000, 6000, 12000, 30000):
        part = texts[:n]
        mb = sum(len(x.encode()) for x in part) / 1e6
        row = {"MB": round(mb, 2)}
        for label, seg in (("1 process", one), ("2 processes", two)):
            best = min(_timed(seg.segment, part) for _ in range(3))
            row[label] = round(mb / best, 2)
        out[n] = row
    return out


def _timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def phase_memory(rows: int, n_docs: int, streaming: bool) -> dict:
    """Peak memory for segmenting n_docs short complaints (the corpus cycled)."""
    from minetools.segment import Segmenter

    base = load(rows)
    texts = [base[i % len(base)] for i in range(n_docs)]
    before = peak_mb()
    seg = Segmenter()
    t = time.perf_counter()
    if streaming:
        n_tokens = sum(len(toks) for toks in seg.iter_segment(texts, batch_size=20_000))
    else:
        n_tokens = sum(map(len, seg.segment(texts)))
    return {"docs": n_docs, "seconds": time.perf_counter() - t, "tokens": n_tokens,
            "peak_mb_after_loading_texts": before}


def phase_cache(rows: int, changed: float) -> dict:
    import tempfile

    from minetools.segment import Segmenter

    texts = load(rows)[:rows]
    with tempfile.TemporaryDirectory() as folder:
        first = _timed(Segmenter(cache_dir=folder).segment, texts)
        step = int(1 / changed)
        edited = [t + "（补充）" if i % step == 0 else t for i, t in enumerate(texts)]
        seg = Segmenter(cache_dir=folder)
        second = _timed(seg.segment, edited)
        hits = seg.last_cache_hits
    return {"docs": len(texts), "changed_share": changed, "first_run_s": first, "rerun_s": second,
            "rerun_cache_hits": hits, "no_cache_s": _timed(Segmenter().segment, texts)}


PHASES = {"jieba": phase_jieba, "segmenter": phase_segmenter, "equivalence": phase_equivalence,
          "scaling": phase_scaling, "memory": phase_memory, "cache": phase_cache}


def run_phase(name: str, **kwargs) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--kwargs", json.dumps(kwargs)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"phase {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_start(repeats: int = 5) -> dict:
    code = ("import time; t = time.perf_counter(); from minetools.segment import Segmenter; "
            "Segmenter().segment(['大堂经理很不耐烦，排队排了一个小时']); print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(repeats)]
    return {"median_s": round(statistics.median(times), 3), "all_s": [round(x, 3) for x in times]}


def wait_for_quiet(limit_s: float = 900, threshold: float = 1.0) -> float:
    t = time.time()
    while True:
        load1 = os.getloadavg()[0]
        if load1 < threshold or time.time() - t > limit_s:
            return load1
        print(f"  load {load1:.2f} >= {threshold}; waiting …", flush=True)
        time.sleep(30)


def markdown(res: dict) -> str:
    """A readable summary of one benchmark run (the numbers are all in segment.json)."""
    c = res["corpus"]
    lines = [
        "# Segmentation benchmark",
        "",
        f"`python bench/bench_segment.py` — corpus: {c['rows']:,} cleaned complaints, {c['MB']} MB UTF-8 "
        f"({c['text']}); {res['machine']['cpus']} cores, Python {res['machine']['python']}; "
        f"1-minute load {res['load_at_start']} at start, {res['load_after_main']} after the main comparison.",
        "",
        "| | seconds | MB/s | docs/s | start-up s | peak MB |",
        "|---|---|---|---|---|---|",
    ]
    for name, key in (("plain `jieba.lcut`, one process", "jieba_lcut"),
                      ("`Segmenter()` defaults", "segmenter_defaults"),
                      ("`Segmenter(n_jobs=1)`", "segmenter_1_process")):
        r = res[key]
        lines.append(f"| {name} | {r['seconds']} | {r['MB_s']} | {r['docs_s']:,} | {r['init_s']} | {r['peak_mb']} |")
    lines += [
        "",
        f"**Ratio Segmenter / jieba: {res['ratio']}×** (one process: {res['ratio_1_process']}×).",
        "",
        f"Cold start (import + first `segment` call, fresh interpreter, median of 5): "
        f"{res['cold_start']['median_s']} s.",
        "",
        "Throughput (MB/s) by input size, one process vs two (decides `n_jobs='auto'`):",
        "",
        "| docs | MB | 1 process | 2 processes |",
        "|---|---|---|---|",
        *[f"| {n} | {r['MB']} | {r['1 process']} | {r['2 processes']} |" for n, r in res["scaling_MB_s"].items()
          if isinstance(r, dict)],
        "",
        "Equivalence, same dictionary and options, rjieba backend vs jieba backend:",
        "",
        *[f"- {name}: {r['identical']:,} of {r['docs']:,} documents identical ({100 * r['share']:.2f} %)"
          for name, r in res["equivalence"].items() if isinstance(r, dict) and "share" in r],
        "",
        f"Cache: {res['cache']['docs']:,} documents, first run {res['cache']['first_run_s']:.2f} s; re-run with "
        f"{100 * res['cache']['changed_share']:.0f} % of texts changed {res['cache']['rerun_s']:.2f} s "
        f"({res['cache']['rerun_cache_hits']:,} cache hits); no cache {res['cache']['no_cache_s']:.2f} s.",
    ]
    if "memory_1M" in res:
        m = res["memory_1M"]
        lines += ["", "Memory for 1,000,000 short complaints (peak RSS of the measuring process incl. workers):", ""]
        for name, r in m.items():
            lines.append(f"- `{name}`: {r['peak_mb']} MB peak ({r['peak_mb_after_loading_texts']} MB after loading "
                         f"the texts), {r['seconds']:.1f} s, {r['tokens']:,} tokens")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=280_000)
    parser.add_argument("--phase")
    parser.add_argument("--kwargs", default="{}")
    parser.add_argument("--no-wait", action="store_true")
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](**json.loads(args.kwargs))
        result["peak_mb"] = peak_mb()
        print(json.dumps(result, ensure_ascii=False))
        return

    rows = args.rows
    texts = load(rows)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: {rows:,} cleaned complaints, {mb:.1f} MB UTF-8", flush=True)
    res: dict = {"corpus": {"rows": rows, "MB": round(mb, 2), "text": "clean_text(make_complaints(seed=11))"},
                 "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    del texts
    res["load_before_wait"] = round(os.getloadavg()[0], 2)
    res["load_at_start"] = round(wait_for_quiet(0 if args.no_wait else 900), 2)
    print(f"load at start {res['load_at_start']}", flush=True)

    def speed(r):
        return {"seconds": round(r["seconds"], 2), "MB_s": round(mb / r["seconds"], 2),
                "docs_s": round(rows / r["seconds"]), "init_s": round(r["init_seconds"], 3),
                "peak_mb": r["peak_mb"]}

    res["segmenter_defaults"] = speed(run_phase("segmenter", rows=rows))
    print("Segmenter defaults", res["segmenter_defaults"], flush=True)
    res["jieba_lcut"] = speed(run_phase("jieba", rows=rows))
    print("jieba.lcut", res["jieba_lcut"], flush=True)
    res["segmenter_1_process"] = speed(run_phase("segmenter", rows=rows, n_jobs=1))
    print("Segmenter n_jobs=1", res["segmenter_1_process"], flush=True)
    res["load_after_main"] = round(os.getloadavg()[0], 2)
    res["ratio"] = round(res["jieba_lcut"]["seconds"] / res["segmenter_defaults"]["seconds"], 1)
    res["ratio_1_process"] = round(res["jieba_lcut"]["seconds"] / res["segmenter_1_process"]["seconds"], 1)
    print(f"ratio {res['ratio']}x (1 process: {res['ratio_1_process']}x)", flush=True)

    res["cold_start"] = cold_start()
    print("cold start", res["cold_start"], flush=True)
    res["scaling_MB_s"] = run_phase("scaling", rows=rows)
    print("scaling", res["scaling_MB_s"], flush=True)
    res["equivalence"] = run_phase("equivalence", rows=min(rows, 20_000))
    print("equivalence", {k: v["share"] for k, v in res["equivalence"].items() if isinstance(v, dict)}, flush=True)
    res["cache"] = run_phase("cache", rows=min(rows, 50_000), changed=0.02)
    print("cache", res["cache"], flush=True)
    if rows >= 100_000:
        res["memory_1M"] = {
            "segment": run_phase("memory", rows=rows, n_docs=1_000_000, streaming=False),
            "iter_segment": run_phase("memory", rows=rows, n_docs=1_000_000, streaming=True),
        }
        print("memory", res["memory_1M"], flush=True)
    res["load_at_end"] = round(os.getloadavg()[0], 2)
    if rows >= 270_000:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "segment.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        (RESULTS / "segment.md").write_text(markdown(res), encoding="utf-8")
        print(f"wrote {RESULTS / 'segment.json'} and segment.md")


if __name__ == "__main__":
    main()
