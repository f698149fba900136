"""The public API of ``minetools``: every name listed resolves, is documented, and is named in the package
docstring; importing the package loads none of the heavy libraries."""

import subprocess
import sys

import minetools


def test_every_public_name_resolves_and_has_a_docstring():
    undocumented = []
    for name in minetools.__all__:
        if name == "__version__":
            continue
        obj = getattr(minetools, name)
        if name.isupper():  # a constant: its module documents it
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            undocumented.append(name)
    assert not undocumented, f"public names without a docstring: {undocumented}"


def test_the_package_docstring_lists_every_public_name():
    missing = [n for n in minetools.__all__ if n != "__version__" and f"`{n}`" not in minetools.__doc__]
    assert not missing, f"not listed in minetools.__doc__: {missing}"


def test_importing_the_package_loads_no_heavy_library():
    code = "import sys, minetools; print(sorted(m for m in ('pandas', 'sklearn', 'matplotlib', 'jieba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
