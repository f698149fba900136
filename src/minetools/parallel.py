"""One helper for parallel work: core counting and a fork-based map used by every stage."""

from __future__ import annotations

import multiprocessing as mp
import os

__all__ = ["available_cores", "fork_map"]

_FORK_ARGS: tuple = ()


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _fork_call(item):
    fn, *args = _FORK_ARGS
    return fn(item, *args)


def fork_map(fn, items: list, args: tuple, *, parallel: bool) -> list:
    """``[fn(item, *args) for item in items]``, on one forked worker per core when ``parallel``.

    The workers inherit ``args`` (the texts, arrays) through fork instead of receiving them
    pickled; only the items and the results cross process boundaries. Without fork (macOS
    spawn, Windows) or with one core, it runs in this process.
    """
    cores = available_cores()
    if not parallel or cores < 2 or len(items) < 2 or "fork" not in mp.get_all_start_methods():
        return [fn(item, *args) for item in items]
    global _FORK_ARGS
    _FORK_ARGS = (fn, *args)
    try:
        with mp.get_context("fork").Pool(min(cores, 4)) as pool:
            return pool.map(_fork_call, items, chunksize=1)
    finally:
        _FORK_ARGS = ()
