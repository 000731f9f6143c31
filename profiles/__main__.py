"""Entry point: `python -m profiles --help`."""

import sys

from profiles.cli import main

sys.exit(main())
