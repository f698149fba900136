"""Rewrite ``environment.yml`` from ``pyproject.toml`` and the lock file (``make lock`` runs it).

    python3 tools/sync_environment.py          # rewrite environment.yml
    python3 tools/sync_environment.py --check  # exit 1 if environment.yml is out of date

Every direct dependency of pyproject.toml (all extras) is listed with the exact version the
lock file pins, so a conda user gets the versions the tests ran with. Packages that
conda-forge does not carry under the same name go into the ``pip:`` section.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "py311.lock"
ENV = ROOT / "environment.yml"
#: direct dependencies installed from PyPI inside the conda environment
PIP_ONLY = {"rjieba", "opencc", "manimgx-fonts-cjk", "hyperscan", "google-re2"}


def canonical(name: str) -> str:
    """A distribution name as the lock file writes it (lower case, '-' for '_' and '.')."""
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_dependencies() -> dict[str, str]:
    """Name → environment marker ("" if none) of pyproject's dependencies and every extra, in file order."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found: dict[str, str] = {}
    for req in [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]:
        name = canonical(re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0])
        found.setdefault(name, req.split(";", 1)[1].strip() if ";" in req else "")
    return found


def locked_versions() -> dict[str, str]:
    """Package name → exact version, from the lock file's ``name==version`` lines."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", LOCK.read_text(encoding="utf-8"), re.M)
    return {canonical(name): version for name, version in pins}


def render() -> str:
    pins = locked_versions()
    deps = direct_dependencies()
    missing = [n for n in deps if n not in pins]
    if missing:
        raise SystemExit(f"{LOCK} does not pin {', '.join(missing)}: run `make lock`.")
    conda = [f"  - {n}=={pins[n]}" for n in deps if n not in PIP_ONLY]
    pip = [f"      - {n}=={pins[n]}" + (f"; {marker}" if marker else "") for n, marker in deps.items() if n in PIP_ONLY]
    return "\n".join([
        "# Written by tools/sync_environment.py from pyproject.toml and requirements/py311.lock (`make lock`);",
        "# do not edit by hand. tests/test_packaging.py checks that the three agree.",
        "name: minetools",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        *conda,
        "  - pip:",
        *pip,
        "      - -e .",
        "",
    ])


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if ENV.read_text(encoding="utf-8") != text:
            print(f"{ENV} is out of date: run `make lock`.", file=sys.stderr)
            return 1
        return 0
    ENV.write_text(text, encoding="utf-8")
    print(f"wrote {ENV}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
