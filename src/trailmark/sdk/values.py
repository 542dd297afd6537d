"""Turning what users pass to ``log()`` into metric values: the slow path for unusual types."""

from __future__ import annotations

import math
import warnings
from typing import Any

_SKIP = object()


def nonfinite_text(value: float) -> str:
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def coerce(value: Any) -> Any:
    """A JSON-ready metric value for ``value``, or ``_SKIP`` if it is not a number.

    Accepts bool, numpy scalars and 0-d/1-element arrays, and torch tensors of one element
    (torch is never imported here: a tensor's own ``item()`` is used).
    """
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
    else:
        module = type(value).__module__
        if not (module.startswith("numpy") or module.startswith("torch")):
            return _SKIP
        try:
            if getattr(value, "ndim", 0) != 0 and getattr(value, "size", None) not in (1, None):
                return _SKIP
            if module.startswith("torch") and value.numel() != 1:
                return _SKIP
            item = value.item()
        except (AttributeError, TypeError, ValueError, RuntimeError):
            return _SKIP
        if isinstance(item, bool):
            return 1.0 if item else 0.0
        if not isinstance(item, int | float):
            return _SKIP
        number = float(item)
    if math.isfinite(number):
        return number
    return nonfinite_text(number)


def is_skip(value: Any) -> bool:
    return value is _SKIP


def warn_once(seen: set[str], key: str, message: str) -> None:
    if key in seen:
        return
    seen.add(key)
    warnings.warn(f"trailmark: {message}", stacklevel=4)
