"""`mph-rules serve`: the decision service over HTTP (extra ``service``).

Without ``--config`` it serves every bundled pack from a SQLite file in the current
directory, with one bearer token for all of them: ``$MPH_RULES_TOKEN``, or a random token
printed once at start-up. See docs/service.md for the configuration file.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mph_rules.errors import MphRulesError, Problem


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the decision service (HTTP API, live cases)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--database",
        default=None,
        help="sqlite:///FILE, a file path, or postgresql://... (default sqlite:///mph-rules.db)",
    )
    p.add_argument("--config", default=None, help="service configuration (YAML): packs, tokens")
    p.add_argument(
        "--playground",
        action="store_true",
        help="also serve the playground page at /playground (no authentication; local use)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from mph_rules.service import create_app, default_config, load_config
        from mph_rules.service.http import configure_logging
    except ImportError as exc:
        raise MphRulesError(
            [
                Problem(
                    f"the service is not installed ({exc.name} is missing)",
                    hint='pip install "mph-rules[service]"',
                    code="MPH-S001",
                )
            ]
        ) from None
    shown: str | None = None
    if args.config:
        config = load_config(args.config)
        if args.database:
            config = config.model_copy(update={"database": args.database})
    else:
        config, shown = default_config(args.database)
    if args.playground:
        config = config.model_copy(update={"playground": True})
    configure_logging(args.log_level)
    app = create_app(config)
    if shown:
        print(
            f"mph-rules serve: token for every pack (set $MPH_RULES_TOKEN to choose one): {shown}",
            file=sys.stderr,
            flush=True,
        )
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)
    return 0
