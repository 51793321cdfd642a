"""Argument helpers shared by subcommands."""

from __future__ import annotations

import argparse
import datetime as dt

from mph_rules.errors import EventError, Problem


def as_of(text: str) -> dt.date | dt.datetime:
    """Parse --as-of: a date, or a moment with a UTC offset."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(
            [
                Problem(
                    f"--as-of: expected a date like 2024-06-01 or a moment with offset, "
                    f"found {text!r}",
                    code="MPH-A001",
                )
            ]
        ) from None
    if moment.utcoffset() is None:
        raise EventError(
            [Problem(f"--as-of: {text!r} needs a UTC offset, e.g. +01:00", code="MPH-A002")]
        )
    return moment


def add_pack_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pack",
        required=True,
        help="a bundled or installed pack name (e.g. hilversum), or a path: a text with a "
        "slash or a .yaml/.yml suffix (./mine.yaml); a name never reads the current directory",
    )


def add_setting_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="override a pack setting (repeatable)",
    )


def settings(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise EventError(
                [Problem(f"--setting: expected ID=VALUE, found {pair!r}", code="MPH-A005")]
            )
        out[key.strip()] = value.strip()
    return out


def add_lang_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=("nl", "en"),
        default=None,
        help="language of the text (default: the pack's language, nl for these covenants)",
    )
