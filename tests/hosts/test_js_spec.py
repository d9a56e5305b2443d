"""The JavaScript host's protection spec is generated from the Python runtime, never retyped."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_js_protection_spec_is_up_to_date():
    run = subprocess.run([sys.executable, str(ROOT / "hosts/js/tools/generate_spec.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
