"""Readable renderings of packs and decisions, for the CLI and for library users.

``render.text`` (terminal text), ``render.markdown`` (pack reference pages, comparisons).
Nothing here knows the CLI; the CLI parses arguments and calls these functions.
"""

from __future__ import annotations

from mph_rules.render import i18n, markdown, text

__all__ = ["i18n", "markdown", "text"]
