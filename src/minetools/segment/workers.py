"""Segmenting a large input on every core, and packing token lists into one string (worker results, cache rows).

Workers are forked: they inherit the built tokenizer and the texts (nothing is sent to them); every process,
the caller included, takes the next chunk from a shared counter, so the split adapts to the load, and workers
send back each chunk's tokens packed into one string.
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Callable

# Token and document separators used to pack token lists into one string.  Both are control characters:
# the noise filter never lets them into a token.
TOK_SEP = "\x1f"
DOC_SEP = "\x1e"
TAG_SEP = "\x1d"

# Measured on this project's 2-core machine (bench/results/segment.md): one worker process
# per core pays off above roughly 2 MB of text; below that, start-up and result transfer
# cost more than they save.
_PARALLEL_MIN_CHARS = 1_000_000
_CHUNK_DOCS = 1000


def pack(tokens: list, pos: bool) -> str:
    """One document's tokens (or ``(word, tag)`` pairs) as one string."""
    if pos:
        return TOK_SEP.join(w + TAG_SEP + t for w, t in tokens)
    return TOK_SEP.join(tokens)


def unpack(packed: str, pos: bool) -> list:
    """The tokens of :func:`pack`, as shared (interned) strings."""
    if not packed:
        return []
    parts = list(map(sys.intern, packed.split(TOK_SEP)))
    if pos:
        return [tuple(p.split(TAG_SEP, 1)) for p in parts]
    return parts


def pack_chunk(docs: list[list], pos: bool) -> tuple[str, bytes]:
    """All tokens of a chunk in one string, plus the token count of each document."""
    flat = [pack(d, pos) for d in docs]
    lengths = array("I", map(len, docs))
    return TOK_SEP.join(f for f in flat if f), lengths.tobytes()


def unpack_chunk(packed: str, lengths: bytes, pos: bool) -> list[list]:
    counts = array("I")
    counts.frombytes(lengths)
    tokens = list(map(sys.intern, packed.split(TOK_SEP))) if packed else []
    if pos:
        tokens = [tuple(p.split(TAG_SEP, 1)) for p in tokens]
    out, start = [], 0
    for n in counts:
        out.append(tokens[start:start + n])
        start += n
    return out


def workers_for(texts: list, n_jobs) -> int:
    """Processes to use: ``n_jobs``, or with ``"auto"`` one per idle core for inputs large enough to gain."""
    import multiprocessing as mp

    if mp.current_process().daemon:  # inside a worker of a pool: no processes of its own
        return 1
    if n_jobs != "auto":
        return int(n_jobs)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    if cores < 2 or len(texts) < 2 * _CHUNK_DOCS:
        return 1
    chars = sum(len(t) for t in texts if t.__class__ is str)
    if chars < _PARALLEL_MIN_CHARS:
        return 1
    try:  # a second process only helps when a core is idle (measured: it hurts otherwise);
        # the load average counts this process too, so one running task leaves cores - 1 busy-free
        idle = cores - max(0.0, os.getloadavg()[0] - 1.0)
    except OSError:  # pragma: no cover
        idle = cores
    return max(1, min(cores, 4, int(idle + 0.5)))


def _next_chunk(counter, n_chunks: int) -> int | None:
    """The next chunk nobody has taken (a shared counter), or None when all are taken."""
    with counter.get_lock():
        i = counter.value
        counter.value += 1
    return i if i < n_chunks else None


def _fork_worker(segment: Callable, pos: bool, texts: list, counter, size: int, n_chunks: int, q) -> None:
    try:
        while (i := _next_chunk(counter, n_chunks)) is not None:
            q.put((i, *pack_chunk(segment(texts[i * size:(i + 1) * size]), pos)))
    except BaseException:  # pragma: no cover - reported to the parent
        import traceback

        q.put(("error", traceback.format_exc()))
    q.put(("done",))


def segment_parallel(segment: Callable[[list], list], texts: list, n_workers: int, *, pos: bool) -> list[list]:
    """``segment`` (one process's segmentation of a list of texts) over ``n_workers - 1`` forked workers and
    this process.  Build the tokenizer before calling, so workers inherit it.  Where fork is unavailable the
    texts are segmented serially."""
    import multiprocessing as mp
    import queue as queue_mod

    if "fork" not in mp.get_all_start_methods() or not sys.platform.startswith("linux"):
        return segment(texts)
    ctx = mp.get_context("fork")
    size = _CHUNK_DOCS
    n_chunks = (len(texts) + size - 1) // size
    counter = ctx.Value("l", 0)
    results: list = [None] * n_chunks
    q = ctx.Queue()
    workers = [ctx.Process(target=_fork_worker, args=(segment, pos, texts, counter, size, n_chunks, q), daemon=True)
               for _ in range(n_workers - 1)]
    for w in workers:
        w.start()
    done = 0

    def receive(item):
        nonlocal done
        if item[0] == "done":
            done += 1
        elif item[0] == "error":
            raise RuntimeError(f"segmentation worker failed:\n{item[1]}")
        else:
            results[item[0]] = unpack_chunk(item[1], item[2], pos)

    try:
        while (i := _next_chunk(counter, n_chunks)) is not None:
            results[i] = segment(texts[i * size:(i + 1) * size])
            while True:
                try:
                    receive(q.get_nowait())
                except queue_mod.Empty:
                    break
        while done < len(workers):
            try:
                receive(q.get(timeout=1.0))
            except queue_mod.Empty:
                if any(w.exitcode not in (None, 0) for w in workers):
                    raise RuntimeError("a segmentation worker process died") from None
    finally:
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():  # pragma: no cover
                w.terminate()
        q.close()
    out: list[list] = []
    for part in results:
        out += part
    return out
