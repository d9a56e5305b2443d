"""PyInstaller's entry script for s2s-desktop (build.sh)."""

import sys

from s2s_desktop.app import main

sys.exit(main())
