"""``python -m coldrec.cli._main``."""

import sys

from coldrec.cli._main import main

sys.exit(main())
