"""A theme model on disk as data only: loading it can never run code.

A model folder holds

* ``model.json``      — settings, thresholds, the library versions it was built with, the
  SHA-256 of every other file, the model hash and a self-check (probe texts and their scores);
* ``arrays.npz``      — coefficients, intercepts, which themes have a classifier, idf weights
  (loaded with ``allow_pickle=False``: numbers only);
* ``vocabulary.json`` — the character and word n-grams, in column order;
* ``segmenter.json``  — the segmentation options and the user's dictionary words, stopwords
  and synonyms;
* ``taxonomy.yml``    — the taxonomy the model was fitted with (read with ``yaml.safe_load``).

:func:`load_model` checks sizes before reading, every file against its recorded SHA-256, the
types and shapes of what it reads, the model hash recomputed from the loaded numbers, and
finally that the probe texts score as they did when the model was saved. A model saved by
another version of minetools or of its libraries therefore either loads and predicts the
same, or is refused with a message that says why. Other files in the folder are ignored.
"""

from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT", "FORMAT_VERSION", "library_versions"]

FORMAT = "minetools-theme-model"
FORMAT_VERSION = 2
_META, _ARRAYS, _VOCAB, _SEGMENTER, _TAXONOMY = ("model.json", "arrays.npz", "vocabulary.json", "segmenter.json",
                                                 "taxonomy.yml")
_MAX_BYTES = {_META: 5 << 20, _ARRAYS: 512 << 20, _VOCAB: 256 << 20, _SEGMENTER: 64 << 20, _TAXONOMY: 8 << 20}
#: probe texts scored at save time and again at load time (the self-check)
PROBES = (
    "排队等了两个小时，只开了一个窗口",
    "柜员态度很差，把卡直接扔出来",
    "手续费莫名其妙被扣了五十元，没人解释",
    "手机银行一直登录不了，验证码收不到",
    "客服电话打了十几次都转不到人工",
    "上次投诉到现在一个月了没有任何回复",
    "理财经理说保本，结果亏了两万",
    "三个柜员说法都不一样，让我来回跑",
    "[姓名]来电反映存折上的金额少了一个零",
    "大厅空调坏了，座位也不够，很闷",
)
_PROBE_TOLERANCE = 1e-4


class ModelFileError(ValueError):
    """A model folder that cannot be used; the message names the folder or file and why."""


def library_versions() -> dict[str, str | None]:
    """Versions of Python and of every library whose behaviour a model's scores depend on."""
    out = {"python": platform.python_version()}
    for pkg in ("minetools", "numpy", "scipy", "scikit-learn", "pandas", "jieba", "rjieba", "opencc", "hyperscan",
                "google-re2", "pyyaml"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _vectorizer_settings(vec) -> dict:
    analyzer = vec.analyzer
    return {"ngram_range": list(vec.ngram_range if analyzer == "char" else analyzer.ngram_range),
            "sublinear_tf": bool(vec.sublinear_tf), "norm": vec.norm, "use_idf": bool(vec.use_idf),
            "lowercase": bool(vec.lowercase)}


def save_model(model, directory) -> Path:
    """Write a fitted :class:`~minetools.themes.ThemeModel` into ``directory`` as data only."""
    from minetools import __version__

    model._check_fitted()
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    if _copied_unchanged(model, d):
        return d
    vocab = {"char": _terms(model.char_vec_), "word": _terms(model.word_vec_) if model.word_vec_ is not None else None}
    arrays = {"coef": np.asarray(model.coef_, dtype=np.float32), "intercept": np.asarray(model.intercept_, float),
              "active": np.asarray(model.active_, bool), "char_idf": np.asarray(model.char_vec_.idf_, np.float64)}
    if model.word_vec_ is not None:
        arrays["word_idf"] = np.asarray(model.word_vec_.idf_, np.float64)
    if getattr(model, "calibration_", None) is not None:
        arrays["calibration"] = np.asarray(model.calibration_, np.float64)
    np.savez_compressed(d / _ARRAYS, **arrays)
    (d / _VOCAB).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    seg = model.segmenter_
    seg_data = None if seg is None else {"options": seg.options(), "resources": seg.user_resources(),
                                         "config_hash": seg.config_hash()}
    (d / _SEGMENTER).write_text(json.dumps(seg_data, ensure_ascii=False, indent=1), encoding="utf-8")
    (d / _TAXONOMY).write_bytes(model.taxonomy_._text.encode("utf-8"))
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "minetools_version": __version__,
        "versions": library_versions(),
        "keys": list(model.keys_),
        "thresholds": {k: float(v) for k, v in model.thresholds_.items()},
        "cv_f1": {k: (None if np.isnan(v) else float(v)) for k, v in model.cv_f1_.items()},
        "weak_label_rate": {k: float(v) for k, v in getattr(model, "weak_label_rate_", pd.Series(dtype=float)).items()},
        "min_score": model.min_score, "rule_score": model.rule_score,
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.get_params(deep=False).items()
                   if k not in ("taxonomy", "segmenter")},
        "vectorizers": {"char": _vectorizer_settings(model.char_vec_),
                        "word": _vectorizer_settings(model.word_vec_) if model.word_vec_ is not None else None},
        "taxonomy_hash": model.taxonomy_.hash, "model_hash": model.model_hash_,
        "n_train": int(model.n_train_), "n_features": int(model.n_features_),
        "word_features": model.word_vec_ is not None,
        "calibrated": getattr(model, "calibration_", None) is not None,
        "files": {name: _sha256(d / name) for name in (_ARRAYS, _VOCAB, _SEGMENTER, _TAXONOMY)},
        "probes": {"texts": list(PROBES),
                   "scores": np.round(model.predict_proba(list(PROBES)).to_numpy(), 6).tolist()},
    }
    (d / _META).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return d


def _copied_unchanged(model, d: Path) -> bool:
    """A loaded model that was not changed since (same hash over its settings and numbers) is saved by copying
    the files it was loaded from, when they are still the ones checked at loading; True when it was."""
    import shutil

    origin = getattr(model, "loaded_from_", None)
    if origin is None or model._compute_hash(origin["params"]) != origin["model_hash"]:
        return False
    for name, digest in origin["files"].items():
        if not (d / name).exists() or not (d / name).samefile(origin["dir"] / name):  # saved where it was loaded
            shutil.copyfile(origin["dir"] / name, d / name)
        if _sha256(d / name) != digest:
            return False  # the source changed after loading: write the model out instead
    return True


def _terms(vec) -> list[str]:
    terms = [None] * len(vec.vocabulary_)
    for term, col in vec.vocabulary_.items():
        terms[col] = term
    return terms


# --- loading -----------------------------------------------------------------------------------
def _read_json(d: Path, name: str):
    path = d / name
    if not path.is_file():
        raise ModelFileError(f"{path} is missing; {d} is not a complete minetools model folder.")
    if path.stat().st_size > _MAX_BYTES[name]:
        raise ModelFileError(f"{path} is {path.stat().st_size:,} bytes, more than a model file may be "
                             f"({_MAX_BYTES[name]:,}); it was not read.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path} is not valid JSON ({type(exc).__name__}).") from None


def _check(cond: bool, d: Path, what: str) -> None:
    if not cond:
        raise ModelFileError(f"{d / _META} is damaged or was edited: {what}.")


def _check_meta(meta, d: Path) -> None:
    _check(isinstance(meta, dict), d, "it is not a JSON object")
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{d} is not a minetools theme model in the data-only format (model.json has no "
                             f"\"format\": \"{FORMAT}\"). Models saved as model.joblib by minetools before 0.2 are "
                             "not loaded, because unpickling a file can run code: fit the model again with this version.")
    _check(meta.get("format_version") == FORMAT_VERSION, d, f"format_version is not {FORMAT_VERSION}")
    keys = meta.get("keys")
    _check(isinstance(keys, list) and 0 < len(keys) <= 200 and all(isinstance(k, str) for k in keys), d, "keys")
    for name in ("thresholds", "cv_f1"):
        _check(isinstance(meta.get(name), dict) and list(meta[name]) == keys, d, f"{name} do not match the keys")
    _check(all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in meta["thresholds"].values()), d, "thresholds")
    for name in ("min_score", "rule_score"):
        _check(isinstance(meta.get(name), (int, float)) and 0 <= meta[name] <= 1, d, name)
    _check(isinstance(meta.get("files"), dict) and set(meta["files"]) == {_ARRAYS, _VOCAB, _SEGMENTER, _TAXONOMY},
           d, "the list of files")
    _check(isinstance(meta.get("params"), dict) and isinstance(meta.get("vectorizers"), dict), d, "params")
    _check(isinstance(meta.get("model_hash"), str) and isinstance(meta.get("probes"), dict), d, "model_hash/probes")
    _check(isinstance(meta.get("n_train"), int) and isinstance(meta.get("n_features"), int)
           and 0 < meta["n_features"] <= 10_000_000, d, "n_features")


def _verify_files(meta: dict, d: Path) -> None:
    for name, digest in meta["files"].items():
        path = d / name
        if not path.is_file() or path.is_symlink():
            raise ModelFileError(f"{path} is missing (or not a regular file); {d} is not a complete model folder.")
        if path.stat().st_size > _MAX_BYTES[name]:
            raise ModelFileError(f"{path} is larger than a model file may be; it was not read.")
        if _sha256(path) != digest:
            raise ModelFileError(f"{path} does not match the SHA-256 recorded in {d / _META}: the model folder was "
                                 "changed after it was saved. Use the model folder of the run as written.")


def _expected_shapes(meta: dict, vocab: dict) -> dict[str, tuple[int, ...]]:
    k, f = len(meta["keys"]), meta["n_features"]
    shapes = {"coef": (k, f), "intercept": (k,), "active": (k,), "char_idf": (len(vocab["char"]),)}
    if vocab.get("word") is not None:
        shapes["word_idf"] = (len(vocab["word"]),)
    if meta.get("calibrated"):
        from minetools.themes.thresholds import CALIBRATION_GRID

        shapes["calibration"] = (k, len(CALIBRATION_GRID))
    return shapes


def _load_arrays(d: Path, meta: dict, vocab: dict) -> dict[str, np.ndarray]:
    """The arrays, after checking from each member's header (before reading any data) that it is a
    numeric array of the shape the vocabulary implies: a crafted archive cannot make it allocate."""
    path = d / _ARRAYS
    shapes = _expected_shapes(meta, vocab)
    try:
        with zipfile.ZipFile(path) as zf:
            names = {i.filename[:-4]: i.filename for i in zf.infolist()}
            if set(names) != set(shapes) or sum(i.file_size for i in zf.infolist()) > _MAX_BYTES[_ARRAYS]:
                raise ModelFileError(f"{path} holds other data than a model's arrays; it was not read.")
            for name, member in names.items():
                with zf.open(member) as fh:
                    version = np.lib.format.read_magic(fh)
                    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = read(fh)
                if dtype.kind not in "fb" or tuple(shape) != shapes[name]:
                    raise ModelFileError(f"{path}: {name} is not a numeric array of shape {shapes[name]}.")
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as exc:
        raise ModelFileError(f"{path} cannot be read as numeric arrays ({type(exc).__name__}).") from None


def _vectorizer(settings: dict, terms: list[str], idf: np.ndarray, kind: str):
    """The saved vectorizer: a :class:`~minetools.themes.features.StoredVectorizer`, or scikit-learn's
    ``TfidfVectorizer`` for settings the fast transform does not reproduce."""
    from minetools.themes.features import FastTfidf, StoredVectorizer

    vec = StoredVectorizer(kind, settings, {t: i for i, t in enumerate(terms)}, idf)
    return vec if FastTfidf.supports(vec, kind) else vec.to_sklearn()


def _segmenter(data):
    if data is None:
        return None
    from minetools.segment import Segmenter

    opts, res = data["options"], data["resources"]
    return Segmenter(backend=str(opts["backend"]), hmm=bool(opts["hmm"]),
                     remove_stopwords=bool(opts["remove_stopwords"]), use_synonyms=bool(opts["use_synonyms"]),
                     user_words=[(str(w), f if isinstance(f, int) else None, t if isinstance(t, str) else None)
                                 for w, f, t in res["dictionary"]],
                     extra_stopwords=[str(w) for w in res["stopwords"]],
                     extra_synonyms={str(k): str(v) for k, v in res["synonyms"].items()})


def load_model(directory, model_class):
    """A ``model_class`` (:class:`~minetools.themes.ThemeModel`) from a folder written by :func:`save_model`.

    Raises :class:`ModelFileError` (a ValueError) naming the folder or file when the folder is
    incomplete, changed since it was saved, not in this format, or scores the probe texts
    differently in this environment.
    """
    from minetools.taxonomy import load_taxonomy

    d = Path(directory)
    if not d.is_dir():
        raise ModelFileError(f"{d} is not a folder. --model takes the model/ folder of a run (or the run directory).")
    meta = _read_json(d, _META)
    _check_meta(meta, d)
    _verify_files(meta, d)
    vocab = _read_json(d, _VOCAB)
    _check(isinstance(vocab, dict) and isinstance(vocab.get("char"), list)
           and (vocab.get("word") is None or isinstance(vocab.get("word"), list))
           and all(isinstance(t, str) for t in [*vocab["char"], *(vocab.get("word") or [])]), d, "vocabulary.json")
    _check(len(vocab["char"]) + len(vocab.get("word") or []) == meta["n_features"], d, "n_features")
    arrays = _load_arrays(d, meta, vocab)
    seg_data = _read_json(d, _SEGMENTER)
    try:
        taxonomy = load_taxonomy(d / _TAXONOMY)
        model = model_class(taxonomy, segmenter=False if seg_data is None else None,
                           **{k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()})
        model.char_vec_ = _vectorizer(meta["vectorizers"]["char"], vocab["char"], arrays["char_idf"], "char")
        model.word_vec_ = (None if vocab.get("word") is None else
                           _vectorizer(meta["vectorizers"]["word"], vocab["word"], arrays["word_idf"], "word"))
        model.segmenter_ = _segmenter(seg_data)
    except ModelFileError:
        raise
    except Exception as exc:  # a damaged field of an otherwise verified folder
        raise ModelFileError(f"{d}: the model's files do not fit together ({type(exc).__name__}: {exc}).") from None
    model.coef_ = arrays["coef"].astype(np.float32)
    model.calibration_ = arrays["calibration"].astype(float) if "calibration" in arrays else None
    model.intercept_ = arrays["intercept"].astype(float)
    model.active_ = arrays["active"].astype(bool)
    keys = meta["keys"]
    model.thresholds_ = pd.Series([float(meta["thresholds"][k]) for k in keys], index=keys, name="threshold")
    model.cv_f1_ = pd.Series([np.nan if meta["cv_f1"][k] is None else float(meta["cv_f1"][k]) for k in keys],
                             index=keys, name="cv_f1")
    model.weak_label_rate_ = pd.Series(meta.get("weak_label_rate") or {}, dtype=float, name="rule_hit_rate")
    model.taxonomy_, model.keys_ = taxonomy, list(keys)
    model.n_train_, model.n_features_ = meta["n_train"], meta["n_features"]
    model.feature_names_ = model._feature_names()
    if taxonomy.hash != meta.get("taxonomy_hash") or model.n_features_ != len(model.feature_names_):
        raise ModelFileError(f"{d}: taxonomy.yml or the vocabulary does not match model.json.")
    model.model_hash_ = model._compute_hash(meta["params"])
    if model.model_hash_ != meta["model_hash"]:
        raise ModelFileError(f"{d}: the model does not match its recorded hash (model_hash in model.json); it was "
                             "changed after it was saved.")
    _self_check(model, meta, d)
    model.loaded_from_ = {"dir": d, "model_hash": meta["model_hash"], "params": meta["params"],
                          "files": {**meta["files"], _META: _sha256(d / _META)}}
    return model


def _self_check(model, meta: dict, d: Path) -> None:
    probes = meta["probes"]
    texts, expected = probes.get("texts"), np.asarray(probes.get("scores"), dtype=float)
    if not isinstance(texts, list) or expected.shape != (len(texts), len(model.keys_)):
        raise ModelFileError(f"{d / _META}: the self-check (probes) is damaged.")
    got = model.predict_proba([str(t) for t in texts]).to_numpy()
    worst = float(np.max(np.abs(got - expected))) if len(texts) else 0.0
    if worst > _PROBE_TOLERANCE:
        saved, here = meta.get("versions", {}), library_versions()
        changed = [f"{k} {saved.get(k)} → {here.get(k)}" for k in here if saved.get(k) != here.get(k)]
        raise ModelFileError(
            f"The model in {d} scores its check texts differently here than when it was saved (largest difference "
            f"{worst:.4f}), so it would not give the same themes. Library versions changed: "
            f"{', '.join(changed) or 'none recorded'}. Install the versions in requirements/py311.lock (make test / "
            "make demo do), or fit the model again in this environment.")
    model.loaded_with_other_versions_ = meta.get("versions", {}) != library_versions()
