"""Cold start side by side in one run: `import onnxruntime` alone (the floor a Python host cannot
go under), `s2s-translate "I am a student."`, and the frozen desktop app's --self-test when given.

    python recipes/cold_start_bench.py [--runs 9] [--frozen dist/s2s-desktop/s2s-desktop]

Run it with the Python of a runtime-only install (`pip install .`), on an idle machine. Each
command runs as a new process, in turns (so drifts of the machine hit all alike), through a small
launcher that reads each run's wall time and peak RSS (wait4). Prints medians and the margins the
desktop issue targets (s2s-translate within 0.08 s of the floor, at most 100 MiB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from s2s.tools.benchmark import _LAUNCHER


def measure(command: list[str]) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(command), "1"],
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    return result["walls"][0], result["peaks"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--frozen", type=Path, help="the frozen desktop app's executable")
    args = parser.parse_args()
    translate = Path(sys.executable).parent / "s2s-translate"
    commands = {
        "import onnxruntime": [sys.executable, "-c", "import onnxruntime"],
        "s2s-translate": [str(translate), "I am a student.", "-q"],
    }
    if args.frozen:
        commands["frozen app --self-test"] = [str(args.frozen), "--self-test"]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            samples[name].append(measure(command))
    rows = {name: (statistics.median(w for w, _ in s), statistics.median(p for _, p in s)) for name, s in samples.items()}
    print(f"| command | wall s (median of {args.runs}) | peak RSS MiB |")
    print("|---|---|---|")
    for name, (wall, peak) in rows.items():
        print(f"| `{name}` | {wall:.3f} | {peak:.1f} |")
    floor, ours = rows["import onnxruntime"], rows["s2s-translate"]
    print(f"\ns2s-translate - import onnxruntime: {ours[0] - floor[0]:+.3f} s (target +0.080 s); "
          f"peak {ours[1]:.1f} MiB (target 100)")


if __name__ == "__main__":
    main()
