"""`mph-rules`: one module per subcommand; this module only dispatches and reports errors.

Bad input (a malformed pack, case or argument) prints plain messages and exits 2; no
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mph_rules import render
from mph_rules.cli import (
    audit,
    check,
    compare,
    docs,
    evaluate,
    explain,
    lint,
    playground,
    schema,
    serve,
    sweep,
    test,
    validate,
)
from mph_rules.errors import MphRulesError

COMMANDS = {
    "validate": validate,
    "evaluate": evaluate,
    "explain": explain,
    "schema": schema,
    "lint": lint,
    "test": test,
    "docs": docs,
    "compare": compare,
    "audit": audit,
    "serve": serve,
    "sweep": sweep,
    "playground": playground,
    "check": check,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mph-rules",
        description="Dutch multi-problem-household covenants as executable policy.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = COMMANDS[args.command].run(args)
    except MphRulesError as exc:
        # in Dutch when asked for (--lang nl); the pack may be what failed to load
        lang = getattr(args, "lang", None)
        for line in render.text.problems(exc.problems, lang=lang):
            print(line, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `mph-rules compare ... | head`
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
