"""Constructor settings by name, as scikit-learn's estimators give them, without importing scikit-learn."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["KeywordParams"]


class KeywordParams:
    """``get_params`` / ``set_params`` / ``repr`` over the keyword arguments of a class's ``__init__`` (each kept
    as an attribute of the same name, as scikit-learn's estimators keep them)."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's settings by name (as scikit-learn's estimators give them; nothing nested)."""
        names = sorted(p for p in inspect.signature(type(self).__init__).parameters if p != "self")
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> KeywordParams:
        """Change constructor settings by name; an unknown name is an error."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no setting {name!r}; the settings are {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = {k: v for k, v in self.get_params().items() if k not in defaults or repr(defaults[k]) != repr(v)}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"
