"""The runtime's layers (docs/architecture.md): a module imports only its own layer and the ones
below it, never one above, and never training, export or the tools."""

import ast
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"  # read, not imported
# Lowest first; the top-level modules ranked 0 are the foundation every layer may use.
RANK = {"errors": 0, "atomic": 0, "signals": 0, "line_reader": 0, "bundle": 1, "decoding": 2, "documents": 3,
        "batch": 4, "cli": 5}


def _layer(module: str) -> str:
    return module.split(".")[2]  # s2s.runtime.<layer>...


def _imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
            found.update(names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_runtime_module_imports_only_its_layer_and_those_below():
    modules = {}
    for path in RUNTIME.rglob("*.py"):
        parts = path.relative_to(RUNTIME).with_suffix("").parts
        if parts == ("__init__",):
            continue  # the public API: a facade over the layers
        modules[".".join(("s2s", "runtime", *parts)).removesuffix(".__init__")] = path
    assert set(RANK) == {_layer(m) for m in modules}, "a module outside the known layers"
    upward = []
    for module, path in sorted(modules.items()):
        for target in _imports(path, module):
            if target.startswith(("s2s.training", "s2s.export", "s2s.tools", "torch", "onnx.", "tokenizers")) \
                    or target == "onnx":
                upward.append(f"{module} imports {target}")
            elif target.startswith("s2s.runtime.") and RANK[_layer(target)] > RANK[_layer(module)]:
                upward.append(f"{module} imports {target}")
    assert not upward, "\n".join(upward)
