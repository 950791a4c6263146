"""The package's layers, read from its source: which module imports which.

- Each wing (every subpackage: `script`, `speech`, `sound`, `publishing`, `live`, ...) imports
  only what the "May import:" sentence of its `__init__` docstring names (its own modules
  always). The names in backticks before the word "Never" are what it may import; "anything
  ... but `x`" inverts that.
- The core (`errors`, `model`, `durations`, `files`, `text`) imports only the core.
- The planner (`timeline`) and the feed and page writers (`publishing.feed`, `publishing.page`) are
  pure: nothing they import, directly or not, is an I/O module, and none of them opens a file.
- No two wings import each other, directly or round a longer loop, counting imports inside
  functions: the wings and the top-level modules form layers.
- The package's docstring names every wing, in a list of layers from bottom to top, and no
  import goes up that list.
- A wing whose docstring says "The pipeline, in order:" (the planner `timeline`, the renderer
  `render`) names every one of its modules there, and each imports only those named before it:
  a reader follows the wing from top to bottom.
- No cycles. An import inside a function runs when the function is called, so it cannot make
  a loop while modules load; but a loop that only such an import closes is still a loop between
  the two modules (the dodge the build and publishing once used), so those count too. Imports
  under `if TYPE_CHECKING:` are never run and count for the rules only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "audio_builder"   # read, never imported
WINGS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())   # every subpackage
CORE = {"errors", "model", "durations", "files", "text", "languages"}
PURE = ("timeline", "publishing.feed", "publishing.page")
# The standard library and third-party modules that read or write files, run programs, or
# talk to devices and the network.
IO_LIBRARIES = {"os", "io", "subprocess", "shutil", "tempfile", "socket", "select", "wave",
                "sqlite3", "urllib", "http", "termios", "tty", "fcntl", "multiprocessing",
                "concurrent", "yaml", "mutagen", "imageio_ffmpeg", "piper", "pyttsx3", "onnx",
                "onnxruntime", "pydub", "PIL", "rich", "click"}
IO_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "mkdir", "unlink",
            "touch", "rename", "iterdir", "glob", "rglob", "stat"}


@dataclass(frozen=True)
class Import:
    importer: str          # module names relative to the package: "publishing.feed"
    target: str            # a module of the package, or an outside top-level name ("numpy")
    line: int
    deferred: bool         # inside a function: runs when it is called, not when the module loads
    typing_only: bool      # under `if TYPE_CHECKING:`

    @property
    def inside(self) -> bool:
        return not self.target.startswith("<")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


@cache
def modules() -> dict[str, Path]:
    return {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = importer.split(".") if modules()[importer].name == "__init__.py" else importer.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(["audio_builder", *base, *([node.module] if node.module else [])])


def _targets(importer: str, node: ast.AST) -> list[str]:
    """Package modules (relative names), or `<name>` for a top-level outside name."""
    found: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _resolve(importer, node)
        if base != "audio_builder" and not base.startswith("audio_builder."):
            return [f"<{base.split('.')[0]}>"]
        relative = base.removeprefix("audio_builder").lstrip(".")
        for alias in node.names:
            child = f"{relative}.{alias.name}".lstrip(".")
            found.append(child if child in modules() else relative or "__init__")
        return found
    else:
        return []
    for name in names:
        if name == "audio_builder" or name.startswith("audio_builder."):
            found.append(name.removeprefix("audio_builder").lstrip(".") or "__init__")
        else:
            found.append(f"<{name.split('.')[0]}>")
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


@cache
def imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for name, path in modules().items():
        def visit(node: ast.AST, deferred: bool, typing_only: bool, importer: str = name) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    found.extend(Import(importer, target, child.lineno, deferred, typing_only)
                                 for target in _targets(importer, child))
                inner_deferred = deferred or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                inner_typing = typing_only or (isinstance(child, ast.If) and _is_type_checking(child))
                visit(child, inner_deferred, inner_typing)

        visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)
    return tuple(found)


def _within(target: str, names: set[str]) -> bool:
    return any(target == name or target.startswith(name + ".") for name in names)


def wing_rule(wing: str) -> tuple[bool, set[str]]:
    """(True, names it may import) or, for "anything ... but", (False, names it may not)."""
    docstring = ast.get_docstring(ast.parse(modules()[wing].read_text(encoding="utf-8"))) or ""
    match = re.search(r"May import:(.*?)(?:\n\s*\n|\Z)", docstring, re.S)
    assert match, f"{wing}/__init__.py: its docstring needs a 'May import:' paragraph"
    allowed_part = match.group(1).split("Never")[0]
    names = set(re.findall(r"`([\w.]+)`", allowed_part))
    unknown = {n for n in names if not any(_within(m, {n}) for m in modules())}
    assert not unknown, f"{wing}/__init__.py names modules that do not exist: {sorted(unknown)}"
    return not allowed_part.strip().startswith("anything"), names


def _where(imp: Import) -> str:
    return f"{modules()[imp.importer].relative_to(PACKAGE.parent)}:{imp.line} imports {imp.target}"


@pytest.mark.parametrize("wing", WINGS)
def test_each_wing_imports_only_what_its_docstring_allows(wing):
    only, names = wing_rule(wing)
    broken = [_where(imp) for imp in imports()
              if imp.inside and _within(imp.importer, {wing}) and not _within(imp.target, {wing})
              and _within(imp.target, names) != only]
    assert not broken, "\n".join(broken)


def test_the_rule_reader_understands_both_forms():
    assert wing_rule("sound") == (True, CORE)
    assert wing_rule("live") == (False, {"cli"})


def test_the_core_imports_only_the_core():
    broken = [_where(imp) for imp in imports()
              if imp.inside and _within(imp.importer, CORE) and not _within(imp.target, CORE)]
    assert not broken, "\n".join(broken)


def _closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [imp.target for imp in imports() if imp.importer == name and imp.inside]
    return seen


@pytest.mark.parametrize("module", PURE)
def test_the_planner_and_the_feed_and_page_writers_do_no_io(module):
    closure = _closure(module)
    outside = {imp.target.strip("<>"): _where(imp) for imp in imports()
               if imp.importer in closure and not imp.inside}
    io_imports = sorted(outside[name] for name in set(outside) & IO_LIBRARIES)
    assert not io_imports, "\n".join(io_imports)
    calls = []
    for name in sorted(closure - {"__init__"}):
        for node in ast.walk(ast.parse(modules()[name].read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                    node.func, "id", "")
                if called in IO_CALLS:
                    calls.append(f"{name}:{node.lineno} calls {called}()")
    assert not calls, "\n".join(calls)


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}            # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for after in sorted(edges.get(node, ())):
            if state.get(after) == 1:
                return path[path.index(after):] + [after]
            if after not in state and (found := visit(after)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def _edges(include_deferred: bool) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports():
        if imp.inside and not imp.typing_only and (include_deferred or not imp.deferred) \
                and imp.target != imp.importer and imp.target != "__init__":
            edges.setdefault(imp.importer, set()).add(imp.target)
    return edges


def test_no_import_cycles_while_loading():
    cycle = _cycle(_edges(include_deferred=False))
    assert cycle is None, " -> ".join(cycle or [])


def test_no_cycles_closed_by_an_import_inside_a_function():
    cycle = _cycle(_edges(include_deferred=True))
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_the_import_reader_sees_module_and_function_imports():
    of_cli = {(imp.target, imp.deferred) for imp in imports() if imp.importer.startswith("cli")}
    assert ("api", False) in of_cli
    assert any(target.startswith("live.") and deferred for target, deferred in of_cli)


def _unit(module: str) -> str:
    """A module's wing (its first part, for a subpackage), else the top-level module itself."""
    first = module.split(".")[0]
    return first if first in WINGS else module


def _wing_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports():
        if imp.inside and not imp.typing_only and imp.target != "__init__" and imp.importer != "__init__":
            importer, target = _unit(imp.importer), _unit(imp.target)
            if importer != target:
                edges.setdefault(importer, set()).add(target)
    return edges


def test_no_two_wings_import_each_other_even_inside_functions():
    cycle = _cycle(_wing_edges())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_wing_graph_is_read_with_imports_inside_functions():
    deferred = [imp for imp in imports() if imp.deferred and imp.inside and not imp.typing_only
                and _unit(imp.importer) != _unit(imp.target) and imp.target != "__init__"]
    assert deferred, "no import inside a function between wings: the reader missed them"
    for imp in deferred:
        assert _unit(imp.target) in _wing_edges()[_unit(imp.importer)]


def test_the_package_docstring_names_every_wing():
    docstring = ast.get_docstring(ast.parse(modules()["__init__"].read_text(encoding="utf-8"))) or ""
    named = set(re.findall(r"`([\w.]+)`", docstring))
    assert set(WINGS) <= named, f"not named in audio_builder/__init__.py: {sorted(set(WINGS) - named)}"


PIPELINE_WINGS = ("timeline", "render")        # wings split along their pipeline


def wing_pipeline(wing: str) -> list[str]:
    """The modules of `wing` in the order its "The pipeline, in order:" paragraph names them."""
    docstring = ast.get_docstring(ast.parse(modules()[wing].read_text(encoding="utf-8"))) or ""
    match = re.search(r"The pipeline, in order:(.*?)(?:\n\s*\n|\Z)", docstring, re.S)
    if not match:
        return []
    named = [f"{wing}.{name}" for name in re.findall(r"`(\w+)`", match.group(1))]
    return list(dict.fromkeys(name for name in named if name in modules()))


@pytest.mark.parametrize("wing", PIPELINE_WINGS)
def test_a_pipeline_wing_names_every_module_in_order(wing):
    order = wing_pipeline(wing)
    own = sorted(name for name in modules() if name.startswith(wing + "."))
    assert order, f"{wing}/__init__.py: its docstring needs a 'The pipeline, in order:' paragraph"
    assert sorted(order) == own, f"{wing}/__init__.py names {order}, the wing holds {own}"


@pytest.mark.parametrize("wing", [wing for wing in WINGS if wing_pipeline(wing)])
def test_each_module_of_a_pipeline_imports_only_what_comes_before_it(wing):
    order = wing_pipeline(wing)
    broken = [_where(imp) for imp in imports()
              if imp.importer in order and imp.inside and imp.target in order
              and order.index(imp.target) >= order.index(imp.importer)]
    assert not broken, "\n".join(broken)


def test_the_pipeline_reader_reads_the_planner_in_order():
    assert wing_pipeline("timeline") == [
        "timeline.events", "timeline.items", "timeline.fitting", "timeline.planner"]


def package_layers() -> dict[str, int]:
    """Each unit the package docstring's "from bottom to top" list names, and its place in it
    (the core's modules all at the core's place)."""
    docstring = ast.get_docstring(ast.parse(modules()["__init__"].read_text(encoding="utf-8"))) or ""
    listed = docstring.split("from bottom to top", 1)[1].split("\n\n", 1)[0]
    order: dict[str, int] = {}
    for name in re.findall(r"`([\w.]+)`", listed):
        if _unit(name) == name and name in modules():
            order.setdefault(name, 0 if name in CORE else len(order))
    return order


def test_no_import_goes_up_the_layers_the_package_docstring_lists():
    layers = package_layers()
    assert set(WINGS) <= set(layers), sorted(set(WINGS) - set(layers))
    upward = [f"{importer} ({layers[importer]}) imports {target} ({layers[target]})"
              for importer, targets in sorted(_wing_edges().items()) for target in sorted(targets)
              if importer in layers and target in layers and layers[target] > layers[importer]]
    assert not upward, "\n".join(upward)
