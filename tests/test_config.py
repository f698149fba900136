"""Settings from TOML: defaults, overrides, clear errors."""

import pytest

from minetools.config import MinetoolsError, Settings, load_settings


def test_defaults_need_no_file():
    s = load_settings()
    assert s == Settings() and s.min_n == 30 and s.covariates == ["branch", "channel", "month"]


def test_file_values_then_flag_overrides(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('text_col = "投诉内容"\nseed = 7\nuser_dicts = ["words.txt"]\n', encoding="utf-8")
    s = load_settings(path, seed=3, score_col=None)
    assert s.text_col == "投诉内容" and s.seed == 3 and s.score_col is None
    assert s.user_dicts == [str((tmp_path / "words.txt").resolve())]  # relative to the config file


def test_unknown_setting_is_named_with_the_known_ones(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("txt_col = 'x'\n")
    with pytest.raises(MinetoolsError, match="unknown setting.*txt_col.*text_col"):
        load_settings(path)


def test_a_removed_setting_says_what_to_do_instead(tmp_path):
    path = tmp_path / "last_month.toml"
    path.write_text("adapt_min_rows = 2000\n")
    with pytest.raises(MinetoolsError, match=r"last_month\.toml: adapt_min_rows: this setting was removed.*Delete the line"):
        load_settings(path)


def test_invalid_toml_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(MinetoolsError, match="not found"):
        load_settings(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 1")
    with pytest.raises(MinetoolsError, match="not valid TOML"):
        load_settings(bad)


def test_on_off_settings_must_be_true_or_false(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('render = "no"\n', encoding="utf-8")
    with pytest.raises(MinetoolsError, match=r"m.toml: render must be true or false, got 'no'"):
        load_settings(path)
    path.write_text("render = false\n", encoding="utf-8")
    assert load_settings(path).render is False
