"""Coverage-guided fuzzing of the pack loader and the case parser with atheris (manual).

Any exception other than PackError/EventError is a finding: atheris stops and writes the
input to ``crash-<sha1>`` (see docs/testing.md, "Fuzzing"). The committed corpus
(tests/fuzz_corpus) seeds the run.

    pip install atheris                      # Linux/macOS wheels for CPython 3.11
    python tools/fuzz_atheris.py pack -max_total_time=60 /tmp/fuzz-pack tests/fuzz_corpus/pack
    python tools/fuzz_atheris.py case -max_total_time=60 /tmp/fuzz-case tests/fuzz_corpus/case

The first argument picks the target; the rest go to libFuzzer (the first directory is where
new interesting inputs are written, the others are read as seeds). ``-rss_limit_mb`` (default
2048) and ``-timeout`` (seconds per input, default 1200 in libFuzzer; use 10) bound memory and
time per input. Crashes already reported (tests/properties/known_gaps.py) are ignored unless
MPH_FUZZ_STRICT=1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from mph_rules import Engine, EventError, PackError, load_pack, load_pack_text
    from mph_rules.yamlread import read_yaml

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
ENGINE = Engine(load_pack(MINI))
AS_OF = dt.date(2030, 1, 1)


def fuzz_pack(data: bytes) -> None:
    """Bytes -> loader (YAML reading, schema validation, references, baseline merge)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _, problems = read_yaml(data, "fuzz.yaml")
        assert problems, "undecodable bytes were read without a problem"
        return
    with contextlib.suppress(PackError):
        load_pack_text(text, "fuzz.yaml")


def fuzz_case(data: bytes) -> None:
    """Bytes -> case file reading -> validation -> evaluation against the test pack."""
    doc, problems = read_yaml(data, "case.yaml")
    if problems or not isinstance(doc.data, dict):
        return
    with contextlib.suppress(EventError):
        ENGINE.evaluate(doc.data, as_of=AS_OF)


TARGETS = {"pack": fuzz_pack, "case": fuzz_case}


def ignoring_known_gaps(target: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """Crashes already reported (tests/properties/known_gaps.py) do not stop the run, so it
    can find new ones; set MPH_FUZZ_STRICT=1 to stop on them too."""
    sys.path.insert(0, str(ROOT))
    from tests.properties.known_gaps import crash_gap

    def run(data: bytes) -> None:
        try:
            target(data)
        except Exception as exc:
            if crash_gap(exc) is None:
                raise

    return run


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{pack|case}} [libFuzzer options] [corpus dirs]")
    target = TARGETS[sys.argv[1]]
    if os.environ.get("MPH_FUZZ_STRICT") != "1":
        target = ignoring_known_gaps(target)
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
