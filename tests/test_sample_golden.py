"""The bundled sample's tables are the ones recorded in tests/golden/sample_tables.json.

A change meant to keep behaviour (a refactor, a faster method) must leave them identical; a change
meant to alter results records new digests with ``python -m tests.golden_tables --write`` and says
why in its commit.
"""

from __future__ import annotations

import json

from tests.golden_tables import GOLDEN, run_sample


def test_sample_tables_match_the_recorded_digests(tmp_path, monkeypatch):
    monkeypatch.setenv("MINETOOLS_PSEUDONYM_KEY", str(tmp_path / "key"))
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = run_sample(tmp_path / "run")
    changed = sorted(name for name in expected if got.get(name) != expected[name])
    assert not changed, f"tables differ from the recorded sample run: {changed}"
