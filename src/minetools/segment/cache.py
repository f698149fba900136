"""The segmenter's content-hash cache: one sqlite file of packed token lists keyed by (settings hash, text hash),
so a re-run on a file where most rows are unchanged only segments the new ones.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from minetools.segment.workers import pack, unpack

#: Bumped when the packed format changes (part of every settings hash).
CACHE_FORMAT = 1


def _connect(folder: str | Path) -> sqlite3.Connection:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(folder / "segment_cache.sqlite", timeout=60)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE IF NOT EXISTS tokens (config TEXT NOT NULL, key BLOB NOT NULL, "
                "packed TEXT NOT NULL, PRIMARY KEY (config, key)) WITHOUT ROWID")
    return con


def segment_cached(folder: str | Path, config: str, texts: list, segment: Callable[[list], list], *,
                   pos: bool) -> tuple[list[list], int]:
    """Tokens of ``texts`` from the cache in ``folder`` where present (same ``config`` hash), the rest from
    ``segment`` (then stored); returns the tokens and how many texts came from the cache."""
    keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()[:16]
            if t.__class__ is str and t else None for t in texts]
    con = _connect(folder)
    try:
        found: dict[bytes, str] = {}
        wanted = list({k for k in keys if k is not None})
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            rows = con.execute(
                f"SELECT key, packed FROM tokens WHERE config = ? AND key IN ({','.join('?' * len(part))})",
                [config, *part])
            found.update(rows)
        missing = {}
        for k, t in zip(keys, texts):
            if k is not None and k not in found and k not in missing:
                missing[k] = t
        hits = len(texts) - len(missing)
        if missing:
            new = segment(list(missing.values()))
            rows = [(config, k, pack(toks, pos)) for k, toks in zip(missing, new)]
            with con:
                con.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", rows)
            for (_, k, packed) in rows:
                found[k] = packed
    finally:
        con.close()
    return [unpack(found[k], pos) if k is not None else [] for k in keys], hits
