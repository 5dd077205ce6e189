"""`python -m bot.cli`: the `chiso` command."""

import sys

from bot.cli import main

sys.exit(main())
