"""`mph-rules playground [--port]`: the playground page alone (``mph-rules serve`` mounts it
at /playground when the service is installed)."""

from __future__ import annotations

import argparse
from typing import Any

from mph_rules.errors import MphRulesError, Problem


def add_parser(sub: Any) -> None:
    p = sub.add_parser("playground", help="try cases against a pack in the browser")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8765, help="port to listen on")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from mph_rules.playground import create_app
    except ImportError as exc:
        raise MphRulesError(
            [
                Problem(
                    f"the playground needs its extra: pip install 'mph-rules[playground]' ({exc})",
                    code="MPH-S001",
                )
            ]
        ) from None
    print(f"playground on http://{args.host}:{args.port}/  (Ctrl-C stops it)")
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return 0
