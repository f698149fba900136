"""Packaging: pyproject is the one source of dependencies; the lock pins them; environment.yml mirrors both."""

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

from minetools.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_deps() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = set(map(_name, project["dependencies"]))
    for extra in project["optional-dependencies"].values():
        deps |= set(map(_name, extra))
    return deps


def _environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    specs = []
    for dep in env["dependencies"]:
        specs += [p for p in dep["pip"] if not p.startswith("-e")] if isinstance(dep, dict) else [dep]
    pins = {}
    for spec in specs:
        name = _name(spec)
        if name not in ("python", "pip"):
            pins[name] = re.search(r"==([^\s;]+)", spec).group(1)
    return pins


def _lock_pins() -> dict[str, str]:
    text = (ROOT / "requirements" / "py311.lock").read_text()
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)", text, re.M)}


def test_environment_yml_mirrors_every_pyproject_dependency():
    assert _pyproject_deps() == set(_environment_pins())


def test_environment_yml_pins_the_versions_of_the_lock():
    lock = _lock_pins()
    assert {name: lock.get(name) for name in _environment_pins()} == _environment_pins()
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_environment.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_lock_pins_every_dependency_with_hashes():
    text = (ROOT / "requirements" / "py311.lock").read_text()
    assert _pyproject_deps() <= set(_lock_pins())
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry)


def test_the_test_environment_runs_the_locked_versions():
    """What `make test` installed is what the lock says (a fresh machine gets what was tested)."""
    lock = _lock_pins()
    for name in ("numpy", "scipy", "scikit-learn", "pandas", "pyarrow", "jieba", "rjieba", "opencc"):
        assert metadata.version(name) == lock[name], name


def test_environment_yml_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip[-1] == "-e ."


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"minetools {name}" in readme, f"README does not document 'minetools {name}'"
