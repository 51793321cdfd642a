"""`python -m mph_rules.cli`."""

import sys

from mph_rules.cli import main

sys.exit(main())
