"""`python -m mph_rules`: the same as the `mph-rules` command."""

import sys

from mph_rules.cli import main

sys.exit(main())
