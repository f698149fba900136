"""The run directory: where each file goes, who owns it, and how a new run replaces an old one.

The output folder is the user's. A run writes only files it owns and lists every one of them
in ``manifest.json`` (``files``); it deletes only files that an earlier minetools run listed
there, so a user's own chart in ``figures/`` or notes beside the tables survive. A new run is
written into a staging folder inside the output folder (``.minetools-new-<pid>``) and swapped
in at the end, file by file with ``os.replace``: until then the last good run is whole, and a
run that is killed leaves only the staging folder, which the next run removes.

Before anything is read or analysed, :func:`check_output_dir` refuses an output path that is
a file, lies below a file, cannot be written, or holds the input itself.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from minetools.config import MinetoolsError

__all__ = ["COMPLAINTS_PARQUET", "COMPLAINTS_CSV", "THEMES_CSV", "DRIVERS_CSV", "SEGMENTS_CSV", "CHANGE_CSV",
           "MANIFEST", "MODEL_DIR", "FIGURES_DIR", "REPORT_HTML", "REPORT_PDF", "check_output_dir", "owned_files",
           "RunWriter", "record_files", "remove_owned", "read_manifest", "write_manifest", "read_run", "run_settings",
           "relative", "FIGURE_LANGS", "figures_dir"]

COMPLAINTS_PARQUET = "complaints.parquet"
COMPLAINTS_CSV = "complaints.csv"
THEMES_CSV = "themes.csv"
DRIVERS_CSV = "drivers.csv"
SEGMENTS_CSV = "drivers_segments.csv"
CHANGE_CSV = "drivers_change.csv"
MANIFEST = "manifest.json"
MODEL_DIR = "model"
FIGURES_DIR = "figures"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
_STAGING_PREFIX = ".minetools-new-"

#: Languages of the charts: Chinese in ``figures/``, English in ``figures/en/``.
FIGURE_LANGS = ("zh", "en")


def figures_dir(run_dir, lang: str = "zh") -> Path:
    """Where a run directory keeps its charts in ``lang``: ``figures/`` (zh) or ``figures/en/``."""
    if lang not in FIGURE_LANGS:
        raise MinetoolsError(f"Chart language must be one of {', '.join(FIGURE_LANGS)}, got {lang!r}.")
    return Path(run_dir) / FIGURES_DIR / ("en" if lang == "en" else "")


def _nearest_existing(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if parent.exists():
            return parent
    return Path("/")


def check_output_dir(out, *, inputs=(), key_path=None) -> Path:
    """The output folder as an absolute path, or a :class:`MinetoolsError` saying why it cannot be used.

    Refused: a path that is an existing file, one below a file, a folder (or the nearest existing
    parent of a new one) that this user cannot write to, a folder that holds one of ``inputs``
    (a run must never be able to overwrite its own input), and a folder that holds the
    pseudonym key ``key_path`` (the key must stay outside every run directory).
    """
    out = Path(out)
    resolved = out.resolve()
    if resolved.exists() and not resolved.is_dir():
        raise MinetoolsError(f"The output folder {out} is a file. Give --out a folder (new or written by minetools).")
    base = _nearest_existing(resolved)
    if not base.is_dir():
        raise MinetoolsError(f"The output folder {out} would be below the file {base}. Give --out a path inside a "
                             "folder.")
    if not os.access(base, os.W_OK | os.X_OK):
        raise MinetoolsError(f"The output folder {out} cannot be written ({base} is not writable for this user). "
                             "Choose another --out or fix its permissions.")
    for item in inputs:
        source = Path(item).resolve()
        if source == resolved or source.is_relative_to(resolved):
            raise MinetoolsError(f"The output folder {out} holds the input {item}. Write the run to a folder of its "
                                 "own (e.g. --out runs/2024-07) so that no run can overwrite or delete its input.")
    if key_path is not None and Path(key_path).resolve().is_relative_to(resolved):
        raise MinetoolsError(f"The pseudonym key {key_path} lies inside the output folder {out}. Keep the key outside "
                             "every run directory (setting pseudonym_key), or choose another --out.")
    return resolved


def read_manifest(run_dir) -> dict:
    path = Path(run_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_manifest(folder, manifest: dict) -> Path:
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


def owned_files(run_dir) -> set[str]:
    """Files (relative, POSIX paths) that the run in ``run_dir`` listed as its own.

    A run written before the manifest listed its files (no ``files`` in a minetools
    manifest) owns the files every run writes: its tables, report, model and charts."""
    manifest = read_manifest(run_dir)
    if "files" not in manifest and "minetools_version" in manifest:
        run_dir = Path(run_dir)
        standard = [COMPLAINTS_PARQUET, COMPLAINTS_CSV, THEMES_CSV, DRIVERS_CSV, SEGMENTS_CSV, CHANGE_CSV, REPORT_HTML,
                    REPORT_PDF, MANIFEST, "audit.csv", *(f"{MODEL_DIR}/{n}" for n in
                                                          ("model.joblib", "model.json", "taxonomy.yml"))]
        charts = [p.relative_to(run_dir).as_posix() for pattern in ("*.png", "*.svg", "en/*.png", "en/*.svg")
                  for p in (run_dir / FIGURES_DIR).glob(pattern)]
        return {f for f in standard if (run_dir / f).exists()} | set(charts)
    files = manifest.get("files", [])
    return {f for f in files if isinstance(f, str) and not Path(f).is_absolute() and ".." not in Path(f).parts}


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _prune_empty_dirs(folder: Path, rel_files) -> None:
    for parent in sorted({Path(f).parent for f in rel_files}, key=lambda p: -len(p.parts)):
        while parent != Path("."):
            try:
                (folder / parent).rmdir()
            except OSError:
                break
            parent = parent.parent


def remove_owned(run_dir, names) -> None:
    """Delete the listed files of ``run_dir`` that a minetools run owns (others are left alone)."""
    run_dir = Path(run_dir)
    owned = owned_files(run_dir)
    gone = [n for n in names if n in owned]
    for name in gone:
        (run_dir / name).unlink(missing_ok=True)
    _prune_empty_dirs(run_dir, gone)
    if gone:
        record_files(run_dir, removed=gone)


def record_files(run_dir, *, added=(), removed=()) -> None:
    """Update the manifest's ``files`` after a command wrote or removed files in an existing run."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    files = set(manifest.get("files", [])) - set(removed)
    files |= {relative(run_dir, p) if Path(p).is_absolute() else str(p) for p in added}
    manifest["files"] = sorted(files | {MANIFEST})
    write_manifest(run_dir, manifest)


class RunWriter:
    """Writes a new run into a staging folder and swaps it into ``out`` on :meth:`commit`.

    ``with RunWriter(out) as w:`` … ``w.path("complaints.csv")`` … ``w.commit(manifest)``; an
    exception inside the block (or no commit) discards the staging folder and leaves ``out``
    as it was.
    """

    def __init__(self, out):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in self.out.glob(f"{_STAGING_PREFIX}*"):  # debris of a run that was killed
            pid = stale.name[len(_STAGING_PREFIX):]
            if not (pid.isdigit() and _alive(int(pid))):
                shutil.rmtree(stale, ignore_errors=True)
        self.root = self.out / f"{_STAGING_PREFIX}{os.getpid()}"
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir()
        self.committed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        if not self.committed:
            self.discard()
        return False

    def path(self, name: str) -> Path:
        """Where to write the run's file ``name`` (its folders are created)."""
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def commit(self, manifest: dict) -> list[str]:
        """Move every new file into place, delete what the old run owned and this one does not write,
        and write the manifest last (a run is complete once its manifest is in place). Returns the
        files of the new run."""
        files = sorted(set(_listing(self.root)) | {MANIFEST})
        manifest["files"] = files
        write_manifest(self.root, manifest)
        old = owned_files(self.out) - set(files)
        for name in files:
            if name == MANIFEST:
                continue
            target = self.out / name
            if target.parent.is_file():  # a stale file where this run needs a folder: only if it was ours
                if target.parent.relative_to(self.out).as_posix() not in owned_files(self.out):
                    raise MinetoolsError(f"{target.parent} is a file of yours where the run writes a folder; "
                                         "move it, then run again.")
                target.parent.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / name, target)
        for name in sorted(old):
            (self.out / name).unlink(missing_ok=True)
        _prune_empty_dirs(self.out, old)
        os.replace(self.root / MANIFEST, self.out / MANIFEST)
        self.committed = True
        self.discard()
        return files


def read_run(run_dir):
    """(run_dir, manifest, complaints, themes) of a run directory, or a clear error."""
    import pandas as pd

    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    missing = [n for n in ("manifest.json", "complaints.parquet", "themes.csv") if not (run_dir / n).exists()]
    if missing:
        raise MinetoolsError(f"{run_dir} is not a run directory (no {' / '.join(missing)}). "
                             "Give a folder written by 'minetools run'.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    df = pd.read_parquet(run_dir / "complaints.parquet")
    df.attrs["score_scale"] = manifest.get("parsing", {}).get("score_scale")
    themes = pd.read_csv(run_dir / "themes.csv", encoding="utf-8-sig")
    return run_dir, manifest, df, themes


def run_settings(manifest: dict):
    """The settings a run was made with (from its manifest; settings this version does not know are ignored)."""
    from minetools.config import Settings

    known = set(Settings.__dataclass_fields__)
    return Settings(**{k: v for k, v in manifest.get("settings", {}).items() if k in known})




def relative(run_dir, path) -> str:
    """``path`` relative to ``run_dir``, as the manifest lists it."""
    return Path(path).resolve().relative_to(Path(run_dir).resolve()).as_posix()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
