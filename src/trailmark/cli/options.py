"""Command-line options generated from the settings declarations (one place per setting).

Each :class:`~trailmark.settings.Setting` becomes ``--name-with-dashes``, read from its
environment variable when not given, with its declared default, type and help; a
``bool`` setting is a flag, a ``multiple`` one may be repeated. The command receives the
values under the settings' names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from trailmark.settings import Setting

F = TypeVar("F", bound=Callable[..., Any])


def option(setting: Setting) -> Callable[[F], F]:
    """The click option of one setting."""
    flag = "--" + setting.name.replace("_", "-")
    common: dict[str, Any] = {"envvar": setting.env, "show_envvar": True, "help": setting.help}
    if setting.kind is bool:
        if setting.value:  # on by default: the option turns it off
            flag = f"{flag}/--no-{flag[2:]}"
        return click.option(flag, is_flag=True, default=bool(setting.value), **common)
    if setting.multiple:
        return click.option(flag, multiple=True, **common)
    if not setting.default:
        return click.option(flag, type=setting.kind, **common)
    return click.option(flag, type=setting.kind, default=setting.value, show_default=True, **common)


def setting_options(
    settings: Iterable[Setting], *, only: Iterable[str] = (), leave_out: Iterable[str] = ()
) -> Callable[[F], F]:
    """Options for ``settings`` (or those named in ``only``), in declaration order."""
    wanted = set(only)
    skipped = set(leave_out)
    chosen = [s for s in settings if (not wanted or s.name in wanted) and s.name not in skipped]

    def decorate(fn: F) -> F:
        for setting in reversed(chosen):  # click lists options in decoration order, reversed
            fn = option(setting)(fn)
        return fn

    return decorate
