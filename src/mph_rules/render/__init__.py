"""Readable renderings of packs and decisions, for the CLI and for library users.

``render.text`` (terminal text), ``render.markdown`` (pack reference pages, comparisons),
``render.html`` (decision reports), ``render.svg`` (timeline, lifecycle, access matrix).
Nothing here knows the CLI; the CLI parses arguments and calls these functions.
"""

from __future__ import annotations

from mph_rules.render import html, i18n, markdown, svg, text

__all__ = ["html", "i18n", "markdown", "svg", "text"]
