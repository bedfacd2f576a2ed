"""``python -m qflow_core.cli``."""

import sys

from qflow_core.cli import main

sys.exit(main())
