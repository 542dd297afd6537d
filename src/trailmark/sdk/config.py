"""``run.config`` and ``run.summary``: dict-like views that record every change in the spool."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from trailmark.records import TEXT_TO_FLOAT

Emit = Callable[[dict[str, Any]], None]


class Config:
    """Hyperparameters: ``run.config.lr``, ``run.config["lr"]``, ``run.config.update({...})``.

    Nested dicts are returned as plain dicts; assign the whole value to change it.
    """

    def __init__(self, initial: Mapping[str, Any], emit: Emit) -> None:
        object.__setattr__(self, "_data", dict(initial))
        object.__setattr__(self, "_emit", emit)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.update({name: value})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> Any:
        return self._data.keys()

    def items(self) -> Any:
        return self._data.items()

    def update(self, values: Mapping[str, Any]) -> None:
        """Set several keys at once (one record in the spool)."""
        values = dict(values)
        _deep_merge(self._data, values)
        self._emit(values)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"


class Summary:
    """The run's summary: the last value of each metric (or its ``define_metric`` mode),
    plus values set here, e.g. ``run.summary["best_acc"] = 0.97``."""

    def __init__(self, emit: Emit, last_values: dict[str, Any]) -> None:
        self._emit = emit
        self._last = last_values
        self._user: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self._user:
            return self._user[key]
        value = self._last[key]
        return TEXT_TO_FLOAT.get(value, value) if isinstance(value, str) else value

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._user or key in self._last

    def __iter__(self) -> Iterator[str]:
        return iter({**self._last, **self._user})

    def get(self, key: str, default: Any = None) -> Any:
        # Not `self.get(...)`, which ruff's SIM401 suggests here: that recursed forever.
        try:
            return self[key]
        except KeyError:
            return default

    def update(self, values: Mapping[str, Any]) -> None:
        self._user.update(values)
        self._emit(dict(values))

    def as_dict(self) -> dict[str, Any]:
        return {k: self[k] for k in self}

    def __repr__(self) -> str:
        return f"Summary({self.as_dict()!r})"


def _deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
