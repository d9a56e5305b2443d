"""Random damage to a bundle and random input text: every run ends in a translation or in one
line and exit 2, never a traceback. Bounded (S2S_FUZZ_CASES, default 150) so CI stays fast;
S2S_FUZZ_SEED picks another sequence."""

import copy
import json
import os
import random
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from s2s.runtime.cli.translate import main

CASES = int(os.environ.get("S2S_FUZZ_CASES", "150"))
SEED = int(os.environ.get("S2S_FUZZ_SEED", "20261125"))
ODD_VALUES = [None, True, False, -1, 0, 1, 2**63, -(10**12), 1e308, float("nan"), "", "x" * 300, "🙂",
              [], [1, 2], {}, {"a": 1}, 3.5]


def _paths(value, prefix=()):
    """Every (path to a container, key) inside a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield prefix, key
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:50]):
            yield prefix, index
            yield from _paths(inner, prefix + (index,))


def _mutate_json(data, rng):
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        places = list(_paths(data))
        if not places:
            break
        path, key = rng.choice(places)
        parent = data
        for step in path:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[key]
        else:
            parent[key] = rng.choice(ODD_VALUES)
    return data


def _random_text(rng):
    alphabet = "one two three. ?!\t\u00a0\u200b\u2028éß漢字🙂\x00\x1b\ufeff" + "".join(chr(rng.randrange(0x20, 0x2FFFF))
                                                                          for _ in range(20))
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))


@pytest.fixture(scope="module")
def bundle(bundle_factory):
    return bundle_factory("gru", "luong", quantize="int8")


def _check(result):
    if result.exit_code not in (0, 2):
        import traceback

        pytest.fail("".join(traceback.format_exception(*result.exc_info)) if result.exc_info else result.output)
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("s2s-translate: error:"), result.stderr


def test_fuzz_bundles_and_text(bundle, tmp_path):
    rng = random.Random(SEED)
    originals = {name: json.loads((bundle / name).read_text())
                 for name in ("model.json", "source.tokenizer.json", "target.tokenizer.json")}
    for case in range(CASES):
        work = tmp_path / f"case{case}"
        shutil.copytree(bundle, work)
        kind = rng.choice(["manifest", "tokenizer", "zip", "text"])
        target = work
        if kind == "manifest":
            (work / "model.json").write_text(json.dumps(_mutate_json(originals["model.json"], rng)))
        elif kind == "tokenizer":
            name = rng.choice(["source.tokenizer.json", "target.tokenizer.json"])
            (work / name).write_text(json.dumps(_mutate_json(originals[name], rng)))
            manifest = json.loads((work / "model.json").read_text())
            from s2s.runtime.bundle.reader import sha256_file
            manifest["files"][name] = {"sha256": sha256_file(work / name), "bytes": (work / name).stat().st_size}
            (work / "model.json").write_text(json.dumps(manifest))
        elif kind == "zip":
            target = tmp_path / f"case{case}.zip"
            with zipfile.ZipFile(target, "w") as archive:
                for path in sorted(work.iterdir()):
                    data = bytearray(path.read_bytes())
                    if rng.random() < 0.3 and data:
                        for _ in range(rng.randint(1, 5)):
                            data[rng.randrange(len(data))] = rng.randrange(256)
                    if rng.random() < 0.1:
                        continue  # a member missing
                    archive.writestr(path.name, bytes(data))
            if rng.random() < 0.3:  # damage the archive itself
                raw = bytearray(target.read_bytes())
                raw[rng.randrange(len(raw))] ^= 0xFF
                target.write_bytes(bytes(raw))
        lines = "\n".join(_random_text(rng) for _ in range(rng.randint(1, 4)))
        # Every output shape: plain text, or JSON Lines with n-best lists and alignments.
        output = rng.choice([[], ["--format", "jsonl", "--beam-size", "3", "--n-best", "2", "--alignment", "full"]])
        _check(CliRunner().invoke(main, ["-m", str(target), "--errors", "replace", *output],
                                  input=lines.encode("utf-8", "surrogatepass")))
        shutil.rmtree(work)
