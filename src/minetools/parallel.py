"""One helper for parallel work: core counting and a fork-based map used by every stage."""

from __future__ import annotations

import multiprocessing as mp
import os

__all__ = ["available_cores", "fork_map"]


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _work(fn, items: list, args: tuple, conn) -> None:
    """In a forked worker: ``fn`` over its share of the items; the results (or the error) go back by pipe."""
    try:
        conn.send((True, [fn(item, *args) for item in items]))
    except BaseException as exc:  # noqa: BLE001 - re-raised in the parent
        conn.send((False, exc))
    finally:
        conn.close()


def fork_map(fn, items: list, args: tuple, *, parallel: bool) -> list:
    """``[fn(item, *args) for item in items]``, on one forked worker per core when ``parallel``.

    The workers inherit ``fn`` and ``args`` (the texts, arrays) through fork instead of receiving
    them pickled; only the results cross process boundaries, by pipe. Worker ``k`` of ``n`` takes
    items ``k, k + n, …``. An error in a worker is raised here. Without fork (macOS spawn, Windows)
    or with one core, it runs in this process.
    """
    cores = available_cores()
    if not parallel or cores < 2 or len(items) < 2 or "fork" not in mp.get_all_start_methods():
        return [fn(item, *args) for item in items]
    ctx = mp.get_context("fork")
    n = min(cores, 4, len(items))
    running = []
    for k in range(n):
        receive, send = ctx.Pipe(duplex=False)
        worker = ctx.Process(target=_work, args=(fn, items[k::n], args, send), daemon=True)
        worker.start()
        send.close()
        running.append((k, receive, worker))
    results: list = [None] * len(items)
    failure = None
    for k, receive, worker in running:
        try:
            ok, out = receive.recv()
        except EOFError:  # the worker died without a word (killed, out of memory)
            ok, out = False, RuntimeError(f"a worker process ended unexpectedly (exit code {worker.exitcode})")
        worker.join()
        if ok:
            results[k::n] = out
        elif failure is None:
            failure = out
    if failure is not None:
        raise failure
    return results
