"""A saved theme model is data only: loading it never runs code, and a changed or foreign folder is refused."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minetools.cli import main
from minetools.themes import ModelFileError, ThemeModel, default_model
from minetools.themes.store import PROBES

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
TEXTS = ["排队等了两个小时", "柜员态度很差，把卡扔出来", "年费乱扣", "手机银行登录不了", "客服电话打不通"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "m"
    default_model().save(folder)
    return folder


def _copy(saved, tmp_path) -> Path:
    dest = tmp_path / "copy"
    shutil.copytree(saved, dest)
    return dest


def test_a_saved_model_is_json_numbers_and_yaml_only(saved):
    assert {p.name for p in saved.iterdir()} == {"model.json", "arrays.npz", "vocabulary.json", "segmenter.json",
                                                 "taxonomy.yml"}
    with np.load(saved / "arrays.npz", allow_pickle=False) as data:  # numbers only: no object arrays
        assert all(data[name].dtype.kind in "fb" for name in data.files)
    meta = json.loads((saved / "model.json").read_text(encoding="utf-8"))
    assert meta["versions"]["numpy"] and meta["versions"]["scikit-learn"] and len(meta["files"]) == 4
    assert meta["probes"]["texts"] == list(PROBES)


def test_loading_gives_the_same_scores(saved):
    back = ThemeModel.load(saved)
    assert back.model_hash_ == default_model().model_hash_
    np.testing.assert_allclose(back.predict_proba(TEXTS).to_numpy(), default_model().predict_proba(TEXTS).to_numpy())


def _malicious(dest: Path, markers: Path, *args) -> None:
    subprocess.run([sys.executable, str(HOSTILE / "make_malicious_model.py"), str(dest), "--marker-dir", str(markers),
                    *args], check=True, capture_output=True)


@pytest.mark.parametrize("args", [[], ["--rehash"], ["--mode", "special"], ["--mode", "sparse-claim"]])
def test_a_crafted_model_folder_never_runs_code(saved, tmp_path, args):
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil"
    _malicious(evil, markers, "--template", str(saved), *args)
    try:
        model = ThemeModel.load(evil)
    except ModelFileError:
        pass  # refused: fine
    else:  # loaded: then only from the genuine data files, which were left as they were
        np.testing.assert_allclose(model.predict_proba(TEXTS).to_numpy(),
                                   default_model().predict_proba(TEXTS).to_numpy())
    assert not list(markers.iterdir()), "a payload was unpickled"


def test_a_pickle_only_model_folder_is_refused_without_unpickling(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    _malicious(tmp_path / "evil", markers)
    with pytest.raises(ModelFileError, match="data-only format|format_version"):
        ThemeModel.load(tmp_path / "evil")
    assert not list(markers.iterdir())


def test_the_cli_names_the_folder_and_exits_2(sample_slice, tmp_path, capsys):
    markers = tmp_path / "markers"
    markers.mkdir()
    _malicious(tmp_path / "evil", markers)
    assert main(["apply", str(sample_slice), "--model", str(tmp_path / "evil"), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "evil" in err and "Traceback" not in err and not (tmp_path / "o").exists()
    assert not list(markers.iterdir())


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "arrays.npz").write_bytes((d / "arrays.npz").read_bytes()[:-10] + b"0" * 10), "SHA-256"),
    (lambda d: (d / "vocabulary.json").write_text('{"char": []}', encoding="utf-8"), "SHA-256"),
    (lambda d: (d / "taxonomy.yml").unlink(), "missing"),
    (lambda d: (d / "model.json").write_text("{" * 100_000, encoding="utf-8"), "not valid JSON"),
    (lambda d: (d / "model.json").write_bytes(b"\xff\xfe\x00garbage"), "not valid JSON"),
])
def test_a_changed_model_folder_is_refused(saved, tmp_path, damage, message):
    d = _copy(saved, tmp_path)
    damage(d)
    with pytest.raises(ModelFileError, match=message):
        ThemeModel.load(d)


def _edit_meta(d: Path, change) -> None:
    meta = json.loads((d / "model.json").read_text(encoding="utf-8"))
    change(meta)
    (d / "model.json").write_text(json.dumps(meta), encoding="utf-8")


def test_edited_settings_do_not_match_the_recorded_hash(saved, tmp_path):
    d = _copy(saved, tmp_path)
    _edit_meta(d, lambda m: m["thresholds"].update({"queuing": 0.01}))
    with pytest.raises(ModelFileError, match="recorded hash"):
        ThemeModel.load(d)


@pytest.mark.parametrize("change", [
    lambda m: m.update(n_features=2 ** 62), lambda m: m.update(keys="queuing"),
    lambda m: m["thresholds"].update({"queuing": "high"}), lambda m: m.update(format_version=99),
])
def test_wrong_types_and_huge_numbers_are_refused_before_anything_is_read(saved, tmp_path, change):
    d = _copy(saved, tmp_path)
    _edit_meta(d, change)
    with pytest.raises(ModelFileError):
        ThemeModel.load(d)


def test_a_model_saved_under_other_library_versions_loads_and_predicts_the_same(saved, tmp_path):
    d = _copy(saved, tmp_path)
    _edit_meta(d, lambda m: m["versions"].update({"numpy": "1.26.0", "scikit-learn": "1.4.0", "rjieba": "0.1.0"}))
    model = ThemeModel.load(d)
    assert model.loaded_with_other_versions_
    np.testing.assert_allclose(model.predict_proba(TEXTS).to_numpy(), default_model().predict_proba(TEXTS).to_numpy())


def test_a_model_that_would_score_differently_here_is_refused_with_the_versions(saved, tmp_path, monkeypatch):
    """What a new segmentation library could do (other tokens) is caught by the self-check on load."""
    from minetools.segment import Segmenter

    real = Segmenter.segment
    monkeypatch.setattr(Segmenter, "segment", lambda self, texts, **kw: [t[::-1] for t in real(self, texts, **kw)])
    d = _copy(saved, tmp_path)
    _edit_meta(d, lambda m: m["versions"].update({"rjieba": "0.0.1"}))
    with pytest.raises(ModelFileError, match=r"scores its check texts differently.*rjieba 0\.0\.1"):
        ThemeModel.load(d)


def test_a_fitted_model_holds_no_names_or_long_numbers(tmp_path):
    texts = [f"柜员态度很差，客户陈晓明{i}次来电，手机1381357{i:04d}" for i in range(30)] + ["排队太久"] * 30
    model = ThemeModel(segmenter=None, random_state=0).fit(texts)
    model.save(tmp_path / "m")
    vocab = json.loads((tmp_path / "m" / "vocabulary.json").read_text(encoding="utf-8"))
    assert "陈晓明" not in vocab["char"] and "陈晓" not in vocab["char"]    # a name, and its start
    assert not any(sum(ch.isdigit() for ch in t) >= 5 for t in vocab["char"])
    assert "态度" in vocab["char"]                                        # ordinary n-grams stay


def test_a_model_saved_before_newer_settings_existed_still_loads(saved, tmp_path):
    """Settings added later (calibrate, mask_excludes, decision) are absent from older model.json files; such a
    model loads with each setting's default, which keeps the behaviour it was saved with."""
    d = _copy(saved, tmp_path)
    meta = json.loads((d / "model.json").read_text(encoding="utf-8"))
    for name in ("calibrate", "mask_excludes", "decision"):
        meta["params"].pop(name)
    reference = default_model()
    meta["model_hash"] = reference._compute_hash(meta["params"])  # as the older code recorded it
    (d / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    model = ThemeModel.load(d)
    assert model.get_params()["mask_excludes"] is True and model.calibration_ is not None
    np.testing.assert_allclose(model.predict_proba(TEXTS).to_numpy(), reference.predict_proba(TEXTS).to_numpy())


def test_a_loaded_model_is_saved_as_the_files_it_came_from(tmp_path):
    """A run saves the model it applied; a model loaded and unchanged is copied (its provenance kept), one that
    changed since it was loaded is written anew."""
    from minetools.themes import DEFAULT_MODEL_DIR

    model = ThemeModel.load(DEFAULT_MODEL_DIR)
    model.save(tmp_path / "same")
    for name in ("model.json", "arrays.npz", "vocabulary.json", "segmenter.json", "taxonomy.yml"):
        assert (tmp_path / "same" / name).read_bytes() == (DEFAULT_MODEL_DIR / name).read_bytes(), name
    again = ThemeModel.load(tmp_path / "same")
    assert again.save(tmp_path / "same") == tmp_path / "same"  # saved where it was loaded: left as it is
    assert ThemeModel.load(tmp_path / "same").model_hash_ == model.model_hash_
    model.coef_ = model.coef_ * 1.5
    model.model_hash_ = model._compute_hash()
    model.save(tmp_path / "changed")
    assert (tmp_path / "changed" / "arrays.npz").read_bytes() != (DEFAULT_MODEL_DIR / "arrays.npz").read_bytes()
    back = ThemeModel.load(tmp_path / "changed")
    assert back.model_hash_ == model.model_hash_
    np.testing.assert_allclose(back.coef_, model.coef_, rtol=1e-6)
