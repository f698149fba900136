"""Taxonomy loading and validation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from minetools.taxonomy import Taxonomy, TaxonomyError, Theme, load_taxonomy

EXPECTED_KEYS = [
    "queuing", "staff_attitude", "operation_error", "inconsistent_info", "fees",
    "process_complexity", "self_service_tech", "counter_arrangement", "environment",
    "hotline", "mis_selling", "complaint_handling",
]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def _bundled_data() -> dict:
    return yaml.safe_load(Path(load_taxonomy().path).read_text(encoding="utf-8"))


def _write(tmp_path: Path, data) -> Path:
    p = tmp_path / "tax.yml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_default_taxonomy_has_twelve_themes_in_stable_order(tax):
    assert tax.keys == EXPECTED_KEYS
    assert len(tax) == 12
    assert all(isinstance(t, Theme) for t in tax.themes)


def test_every_theme_has_all_fields_and_enough_seed_terms(tax):
    for t in tax:
        assert t.label_zh and t.label_en and t.description
        assert 15 <= len(t.seed_terms) <= 40, t.key
        assert len(t.patterns) >= 3, t.key
        assert t.regex is not None and len(t.compiled_patterns) == len(t.patterns)
        assert t.exclude_regex is not None or not t.exclude_patterns
    assert tax.get("fees").dimension is None
    assert tax.get("queuing").dimension == "responsiveness"


def test_labels_in_both_languages(tax):
    assert tax.label("queuing") == "排队等候"
    assert tax.label("hotline", lang="en") == "Call-centre hotline"
    assert tax.label("other") == "其他"
    with pytest.raises(KeyError):
        tax.label("nope")
    with pytest.raises(ValueError):
        tax.label("queuing", lang="fr")


def test_hash_is_sha256_of_file_content(tax):
    content = Path(tax.path).read_bytes()
    assert tax.hash == hashlib.sha256(content).hexdigest()


def test_load_from_explicit_path_equals_default(tax):
    again = load_taxonomy(tax.path)
    assert again.keys == tax.keys and again.hash == tax.hash


def test_taxonomy_pickles(tax):
    import pickle

    back = pickle.loads(pickle.dumps(tax))
    assert back.keys == tax.keys and back.hash == tax.hash
    assert back.get("queuing").hit("等了一个多小时")


@pytest.mark.parametrize(
    "key,text",
    [
        ("queuing", "拿了号前面才两个人，坐了四十分钟"),
        ("queuing", "等了快一个钟头"),
        ("staff_attitude", "柜员头都不抬"),
        ("staff_attitude", "把身份证扔回给我"),
        ("fees", "卡里莫名其妙被扣了钱"),
        ("hotline", "打95588一直占线"),
        ("counter_arrangement", "十个窗口只开了两个"),
    ],
)
def test_rules_fire_on_keyword_free_descriptions(tax, key, text):
    assert tax.get(key).hit(text)


@pytest.mark.parametrize(
    "key,text",
    [
        ("queuing", "今天人不多，不用排队"),
        ("staff_attitude", "柜员服务态度很好"),
        ("process_complexity", "麻烦你们尽快处理"),
        ("process_complexity", "手续很简单，一点也不麻烦"),
        ("fees", "跨行转账不收手续费"),
        ("mis_selling", "提醒大家防范电信诈骗"),
    ],
)
def test_exclusions_mask_negated_or_irrelevant_uses(tax, key, text):
    assert not tax.get(key).hit(text)


def test_match_details_name_the_pattern(tax):
    ev = tax.get("queuing").matches("前面才两个人，坐了四十分钟")
    assert ev["patterns"] and all("pattern" in p and "match" in p for p in ev["patterns"])
    assert any("四十分钟" in p["match"] for p in ev["patterns"])


# ---------------------------------------------------------------- malformed files
def test_missing_field_names_file_theme_and_field(tmp_path):
    data = _bundled_data()
    del data["themes"][3]["seed_terms"]
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    msg = str(err.value)
    assert str(path) in msg and "inconsistent_info" in msg and "seed_terms" in msg


def test_missing_label_is_reported(tmp_path):
    data = _bundled_data()
    del data["themes"][0]["label_zh"]
    with pytest.raises(TaxonomyError, match=r"queuing.*label_zh"):
        load_taxonomy(_write(tmp_path, data))


def test_bad_regex_names_theme_field_and_regex_error(tmp_path):
    data = _bundled_data()
    data["themes"][4]["patterns"].append("扣了(钱")
    path = _write(tmp_path, data)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    msg = str(err.value)
    assert str(path) in msg and "fees" in msg and "patterns" in msg
    assert "扣了(钱" in msg and "missing )" in msg


def test_bad_exclude_regex_is_reported(tmp_path):
    data = _bundled_data()
    data["themes"][1]["exclude_patterns"] = ["[态度"]
    with pytest.raises(TaxonomyError, match=r"staff_attitude.*exclude_patterns"):
        load_taxonomy(_write(tmp_path, data))


def test_duplicate_key_is_rejected(tmp_path):
    data = _bundled_data()
    data["themes"][5]["key"] = "fees"
    with pytest.raises(TaxonomyError, match=r"'fees'.*key.*duplicated"):
        load_taxonomy(_write(tmp_path, data))


def test_non_snake_case_key_is_rejected(tmp_path):
    data = _bundled_data()
    data["themes"][0]["key"] = "Queuing-Time"
    with pytest.raises(TaxonomyError, match=r"key.*snake_case"):
        load_taxonomy(_write(tmp_path, data))


def test_taxonomy_error_is_a_value_error(tmp_path):
    p = tmp_path / "broken.yml"
    p.write_text("themes: [unclosed", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.yml"):
        load_taxonomy(p)
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "does_not_exist.yml")


def test_minimal_custom_taxonomy_loads(tmp_path):
    data = {"themes": [{"key": "loans", "label_zh": "贷款", "label_en": "Loans",
                        "description": "loan issues", "seed_terms": ["贷款"]}]}
    tax = load_taxonomy(_write(tmp_path, data))
    assert tax.keys == ["loans"]
    assert tax.get("loans").patterns == () and tax.get("loans").dimension is None
