#!/usr/bin/env python3
"""Create a hostile model folder for testing `minetools apply INPUT --model DIR --out OUT`.

    python3 make_malicious_model.py DIR [--template GENUINE_MODEL_DIR] [--mode MODE] [options]

The folder is written at DIR (which must not exist or must be empty). Nothing else on the machine is touched.

Modes
  pickle (default)  Every pickle-capable file (.joblib .pkl .pickle .npy .npz .pt .pth .bin .sav .dill) of the
                    template is replaced by a payload of the same name, and payloads are also planted under the
                    usual names (model.joblib, model.pkl, coef.npy, weights.npz, ...). UNPICKLING a payload only
                    opens (creates) an empty marker file <marker-dir>/<marker-prefix><file name>[_<variant>]; the
                    payloads never run a shell, delete, read or send anything. Variants use different globals so
                    that an allow-list unpickler is probed too: io.open, codecs.open, getattr(pathlib.PosixPath,
                    'touch'), a payload nested in a dict that looks like a fitted sklearn object, and a numpy
                    object array (.npy/.npz, which np.load(allow_pickle=True) unpickles).
                    --rehash: in every *.json of the folder, a sha256 hex digest equal to the digest of a template
                    file that was replaced is rewritten to the digest of its replacement (an attacker who fixes
                    up the recorded hashes).
  tampered          Copy the template (or write a generic model.json without one) and damage it:
                    --tamper hash     every 64-hex-digit string in the JSON files has its last digit changed
                    --tamper types    every value below the top level gets another JSON type
                                      (number -> string, string -> list, list -> object, object -> list,
                                      bool -> string, null -> object)
                    --tamper huge     every integer becomes +/-10**30, every float 1e308, plus n_features 2**62
                    --tamper nested   model.json becomes 200,000 nested arrays (a RecursionError for json.load)
                    --tamper garbage  model.json becomes 4 KiB of bytes that are not UTF-8
                    --tamper truncate every file of the template is cut to half its length
  sparse-claim      Every .npy of the template (or a new coef.npy) gets a header that claims a 1 GiB float64
                    array (shape 131072 x 1024) while the file holds only its original bytes (or 64 bytes).
                    model.json (generic) claims the same shape. With --sparse-bytes N the .npy file is then
                    extended with os.truncate to header + N bytes: a sparse file whose holes read as zeros, so a
                    loader really gets N bytes while nothing is written to disk (use N = 1073741824 for 1 GiB).
                    With --zip-bomb-bytes N a weights_bomb.npz is also written: one member of N zero bytes,
                    deflated (about N/1000 bytes on disk).
  special           The JSON files of the template (or model.json alone) become special files: model.json a
                    symlink to /dev/zero (endless), the other JSON files FIFOs (open() blocks for ever), and
                    loop_a.json/loop_b.json a symlink loop. Any other file becomes a symlink to /dev/urandom.

--selftest unpickles one payload in a child Python process with the marker directory given, and reports whether
the marker appeared (a positive control showing that the payload would fire). It needs --mode pickle.
"""
from __future__ import annotations

import argparse
import codecs
import hashlib
import io
import json
import os
import pathlib
import pickle
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib

PICKLE_EXTS = {".joblib", ".pkl", ".pickle", ".npy", ".npz", ".pt", ".pth", ".bin", ".sav", ".dill"}
PLANT_NAMES = [
    "model.joblib", "model.pkl", "model.pickle", "classifier.joblib", "vectorizer.joblib", "theme_model.joblib",
    "pipeline.pkl", "calibrator.joblib", "label_binarizer.pkl", "estimator.sav", "coef.npy", "weights.npz",
]
VARIANTS = ["open", "codecs", "touch", "nested"]


class _OpenMarker:
    """Unpickled as io.open(path, 'a'): creates an empty file (never truncates one) and returns its handle."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (io.open, (self.path, "a"))


class _CodecsMarker(_OpenMarker):
    """Unpickled as codecs.open(path, 'a'): same effect through another global."""

    def __reduce__(self):
        return (codecs.open, (self.path, "a"))


class _TouchMarker(_OpenMarker):
    """Unpickled as getattr(pathlib.PosixPath(path), 'touch')(): same effect, only 'safe-looking' globals."""

    def __reduce__(self):
        return (pathlib.PosixPath(self.path).touch, ())


def payload(marker: str, variant: str) -> bytes:
    if variant == "open":
        obj = _OpenMarker(marker)
    elif variant == "codecs":
        obj = _CodecsMarker(marker)
    elif variant == "touch":
        obj = _TouchMarker(marker)
    else:  # looks like a fitted estimator's state; the marker hides in a coefficient slot
        obj = {"__class__": "sklearn.linear_model.LogisticRegression", "classes_": [0, 1],
               "coef_": _OpenMarker(marker), "intercept_": [0.0], "n_features_in_": 4096}
    return pickle.dumps(obj, protocol=2)


def npy_bytes(body: bytes, descr: str = "|O", shape: tuple = (1,)) -> bytes:
    """A .npy v1.0 file: magic, header dict padded to a multiple of 64, then body."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    total = 10 + len(header) + 1
    header = header + " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1") + body


def npy_header_len(data: bytes) -> int:
    if data[:6] != b"\x93NUMPY":
        return 0
    if data[6] == 1:
        return 10 + struct.unpack("<H", data[8:10])[0]
    return 12 + struct.unpack("<I", data[8:12])[0]


def payload_file(name: str, marker_dir: str, prefix: str, variant: str, original: bytes | None = None) -> bytes:
    marker = os.path.join(marker_dir, f"{prefix}{name}_{variant}")
    suffix = pathlib.PurePath(name).suffix.lower()
    if suffix == ".npy":
        return npy_bytes(payload(marker, variant))
    if suffix == ".npz":
        members = []
        if original:
            try:
                with zipfile.ZipFile(io.BytesIO(original)) as z:
                    members = z.namelist()
            except zipfile.BadZipFile:
                members = []
        members = members or ["arr_0.npy"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for m in members:
                z.writestr(m, npy_bytes(payload(marker + "_" + m.replace("/", "_"), variant)))
        return buf.getvalue()
    return payload(marker, variant)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def generic_model_json(extra: dict | None = None) -> dict:
    doc = {
        "format": "minetools-theme-model", "format_version": 1, "minetools_version": "0.0.0",
        "created": "2024-07-01T00:00:00Z", "sha256": "0" * 64,
        "themes": ["queuing", "attitude", "fees"], "n_features": 4096, "ngram_range": [1, 3],
        "threshold": 0.5, "files": {"classifier": "model.joblib", "vectorizer": "vectorizer.joblib"},
    }
    doc.update(extra or {})
    return doc


def prepare(dest: pathlib.Path, template: pathlib.Path | None) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        sys.exit(f"{dest} exists and is not an empty folder; choose a new path")
    if template is not None:
        if not template.is_dir():
            sys.exit(f"template {template} is not a folder")
        if dest.exists():
            dest.rmdir()
        shutil.copytree(template, dest, symlinks=True)
    else:
        dest.mkdir(parents=True, exist_ok=True)


def regular_files(root: pathlib.Path):
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def mode_pickle(dest, template, args) -> None:
    marker_dir = os.path.abspath(args.marker_dir)
    replaced = {}  # old digest -> new digest
    i = 0
    for p in regular_files(dest):
        if p.suffix.lower() in PICKLE_EXTS:
            old = p.read_bytes()
            new = payload_file(p.name, marker_dir, args.marker_prefix, VARIANTS[i % len(VARIANTS)], old)
            p.write_bytes(new)
            replaced[sha256(old)] = sha256(new)
            i += 1
    for name in PLANT_NAMES:
        p = dest / name
        if not p.exists():
            p.write_bytes(payload_file(name, marker_dir, args.marker_prefix, VARIANTS[i % len(VARIANTS)]))
            i += 1
    if not (dest / "model.json").exists():
        files = {n: sha256((dest / n).read_bytes()) for n in PLANT_NAMES}
        (dest / "model.json").write_text(json.dumps(generic_model_json({"file_sha256": files}), indent=1))
    if args.rehash and replaced:
        for p in regular_files(dest):
            if p.suffix.lower() == ".json":
                text = p.read_text(encoding="utf-8", errors="surrogateescape")
                for old, new in replaced.items():
                    text = text.replace(old, new).replace(old.upper(), new.upper())
                p.write_text(text, encoding="utf-8", errors="surrogateescape")


def _swap_type(v, depth=0):
    if depth == 0 and isinstance(v, dict):
        return {k: _swap_type(x, 1) for k, x in v.items()}
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return str(v) + "x"
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return {str(j): x for j, x in enumerate(v)}
    if isinstance(v, dict):
        return list(v.values())
    return {}


def _huge(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return -10**30 if v < 0 else 10**30
    if isinstance(v, float):
        return -1e308 if v < 0 else 1e308
    if isinstance(v, list):
        return [_huge(x) for x in v]
    if isinstance(v, dict):
        return {k: _huge(x) for k, x in v.items()}
    return v


def _flip_hex(text: str) -> str:
    import re

    def flip(m):
        s = m.group(0)
        return s[:-1] + ("0" if s[-1] != "0" else "1")
    return re.sub(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])", flip, text)


def mode_tampered(dest, template, args) -> None:
    mj = dest / "model.json"
    if not mj.exists() and args.tamper not in ("truncate",):
        mj.write_text(json.dumps(generic_model_json({"sha256": sha256(b"genuine")}), indent=1))
    jsons = [p for p in regular_files(dest) if p.suffix.lower() == ".json"]
    if args.tamper == "hash":
        for p in jsons:
            p.write_text(_flip_hex(p.read_text(encoding="utf-8")), encoding="utf-8")
    elif args.tamper in ("types", "huge"):
        for p in jsons:
            doc = json.loads(p.read_text(encoding="utf-8"))
            doc = _swap_type(doc) if args.tamper == "types" else _huge(doc)
            if args.tamper == "huge" and isinstance(doc, dict):
                doc["n_features"] = 2**62
            p.write_text(json.dumps(doc), encoding="utf-8")
    elif args.tamper == "nested":
        depth = 200_000
        mj.write_text('{"format": ' + "[" * depth + "]" * depth + "}", encoding="ascii")
    elif args.tamper == "garbage":
        mj.write_bytes(bytes((0x80 + (i * 37) % 0x7F) for i in range(4096)))
    elif args.tamper == "truncate":
        files = regular_files(dest)
        if not files:
            sys.exit("--tamper truncate needs a --template with files")
        for p in files:
            data = p.read_bytes()
            p.write_bytes(data[: len(data) // 2])


def mode_sparse(dest, template, args) -> None:
    shape = (131072, 1024)  # float64: exactly 1 GiB
    npys = [p for p in regular_files(dest) if p.suffix.lower() == ".npy"]
    if not npys:
        p = dest / "coef.npy"
        p.write_bytes(npy_bytes(b"\x00" * 64, "<f8", shape))
        npys = [p]
        if not (dest / "model.json").exists():
            (dest / "model.json").write_text(json.dumps(generic_model_json({
                "n_features": shape[1] * shape[0],
                "arrays": {"coef": {"file": "coef.npy", "dtype": "float64", "shape": list(shape)}}}), indent=1))
    else:
        for p in npys:
            data = p.read_bytes()
            body = data[npy_header_len(data):]
            p.write_bytes(npy_bytes(body, "<f8", shape))
    if args.sparse_bytes:
        for p in npys:
            hl = npy_header_len(p.read_bytes())
            os.truncate(p, hl + args.sparse_bytes)  # holes: no data blocks are written
    if args.zip_bomb_bytes:
        with zipfile.ZipFile(dest / "weights_bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
            n = args.zip_bomb_bytes
            hdr = npy_bytes(b"", "|u1", (n,))
            with z.open("arr_0.npy", "w", force_zip64=True) as f:
                f.write(hdr)
                chunk = b"\x00" * (1 << 20)
                left = n
                while left > 0:
                    f.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)


def mode_special(dest, template, args) -> None:
    jsons = [p for p in regular_files(dest) if p.suffix.lower() == ".json"]
    others = [p for p in regular_files(dest) if p.suffix.lower() != ".json"]
    mj = dest / "model.json"
    for p in jsons:
        p.unlink()
    for p in others:
        p.unlink()
        p.symlink_to("/dev/urandom")
    mj.symlink_to("/dev/zero")
    for p in jsons:
        if p != mj:
            os.mkfifo(p)
    if not any(p != mj for p in jsons):
        os.mkfifo(dest / "vocab.json")
    (dest / "loop_a.json").symlink_to("loop_b.json")
    (dest / "loop_b.json").symlink_to("loop_a.json")


def selftest(dest: pathlib.Path, args) -> int:
    marker_dir = os.path.abspath(args.marker_dir)
    target = dest / "model.pkl"
    before = set(os.listdir(marker_dir)) if os.path.isdir(marker_dir) else set()
    code = "import pickle,sys; pickle.load(open(sys.argv[1],'rb'))"
    subprocess.run([sys.executable, "-c", code, str(target)], check=False)
    after = set(os.listdir(marker_dir)) if os.path.isdir(marker_dir) else set()
    new = sorted(after - before)
    print(f"selftest: unpickling {target.name} created {new if new else 'NO marker'} in {marker_dir}")
    return 0 if new else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dest", type=pathlib.Path, help="folder to create (must not exist, or be empty)")
    ap.add_argument("--template", type=pathlib.Path, help="a genuine model folder (e.g. RUN_DIR/model) to start from")
    ap.add_argument("--mode", choices=["pickle", "tampered", "sparse-claim", "special"], default="pickle")
    ap.add_argument("--tamper", choices=["hash", "types", "huge", "nested", "garbage", "truncate"], default="hash")
    ap.add_argument("--marker-dir", default="/tmp", help="where an unpickled payload creates its marker (default /tmp)")
    ap.add_argument("--marker-prefix", default="pwned_minetools_")
    ap.add_argument("--rehash", action="store_true", help="pickle mode: fix up recorded sha256 digests")
    ap.add_argument("--sparse-bytes", type=int, default=0)
    ap.add_argument("--zip-bomb-bytes", type=int, default=0)
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args(argv)
    if args.selftest and args.mode != "pickle":
        ap.error("--selftest needs --mode pickle")
    os.makedirs(args.marker_dir, exist_ok=True)
    prepare(args.dest, args.template)
    {"pickle": mode_pickle, "tampered": mode_tampered, "sparse-claim": mode_sparse,
     "special": mode_special}[args.mode](args.dest, args.template, args)
    print(f"wrote {args.mode} model folder {args.dest}")
    return selftest(args.dest, args) if args.selftest else 0


if __name__ == "__main__":
    sys.exit(main())
