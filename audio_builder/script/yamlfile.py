"""Reading YAML safely, keeping the line of every key and item for error messages.

Mappings load as `YamlMap` and sequences as `YamlList`, which remember where each key and
item stands. Only the safe YAML types are built; a Python tag is an error. Times such as
`1:30` stay text (YAML 1.1 would read them as base-60 numbers), so the duration parser
sees what the author wrote.

libyaml (PyYAML's C parser) reads the text into events, about five times faster than the
pure-Python reader; the nodes are composed in Python, so that a document nested too deeply
is a RecursionError, not a crash of the C composer's stack. Without libyaml the pure-Python
parser is used, with the same rules.

Aliases (`*name`) may repeat values, but only up to `ALIAS_BUDGET` more values than the file
itself holds: a few hundred bytes of nested aliases ("billion laughs") would otherwise
expand to gigabytes the moment anything prints them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from audio_builder.errors import InputError
from audio_builder.files import read_plain


class YamlMap(dict):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list):
    """A sequence that knows the line of itself and of each item (1-based)."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


_DECIMAL_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_DECIMAL_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
ALIAS_BUDGET = 100_000
MAX_NUMBER_CHARS = 40
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _LocatedValues:
    """A value its `!!` tag does not fit (`!!int five`, `!!map` on a word) is a located
    error: PyYAML's constructors would raise a bare ValueError or TypeError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise InputError(f"this value cannot be read as `{kind}`; remove the `!!` tag",
                             line=node.start_mark.line + 1) from None


if yaml.__with_libyaml__:
    class _Loader(_LocatedValues, yaml.composer.Composer, yaml.CSafeLoader):
        def __init__(self, stream: str):
            yaml.CSafeLoader.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
else:
    class _Loader(_LocatedValues, yaml.SafeLoader):         # type: ignore[no-redef]
        pass


def _without_base60(resolvers: dict) -> dict:
    replaced = {_INT_TAG: _DECIMAL_INT, _FLOAT_TAG: _DECIMAL_FLOAT}
    return {
        first: [(tag, replaced.get(tag, regexp)) for tag, regexp in entries]
        for first, entries in resolvers.items()
    }


_Loader.yaml_implicit_resolvers = _without_base60(yaml.SafeLoader.yaml_implicit_resolvers)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise InputError("a key must be plain text", line=key_node.start_mark.line + 1)
        if key in result:
            raise InputError(
                f"`{key}` appears twice in the same mapping; keep one",
                line=key_node.start_mark.line + 1,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_list(loader: _Loader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    if len(node.value) > MAX_NUMBER_CHARS:
        raise InputError(f"a number of {len(node.value)} digits; no value here needs more "
                         f"than {MAX_NUMBER_CHARS}", line=node.start_mark.line + 1)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


# Characters no text here may hold: C0 controls but tab and line breaks, DEL, lone
# surrogates and the non-characters XML refuses. A NUL reaches the speech engine; any of them
# makes the feed invalid XML.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# Bidirectional overrides, embeddings and isolates: they make an app, a page or a video
# description show the text around them reversed ("Trojan Source"). Right-to-left languages
# need none of them (the marks U+200E and U+200F stay allowed).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def unprintable(text: str, what: str = "this text", mend: str = "remove it") -> str | None:
    """What is wrong with `text` as text to speak, show or publish, or None: a control
    character, or a right-to-left override (or embedding, or isolate). The message calls
    the text `what` and asks to `mend` it."""
    found = _CONTROL.search(text)
    if found:
        return (f"a control character (U+{ord(found.group()):04X}) in {what}; {mend} "
                "(it cannot be spoken, captioned or published)")
    found = _BIDI_CONTROL.search(text)
    if found:
        return (f"a right-to-left override character (U+{ord(found.group()):04X}) in {what}; "
                f"{mend} (apps and pages would show the text around it reversed; right-to-left "
                "languages need no such character)")
    return None


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    problem = unprintable(value)
    if problem:
        raise InputError(problem, line=node.start_mark.line + 1)
    return value


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_Loader.add_constructor(_INT_TAG, _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_aliases(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it by more than `ALIAS_BUDGET` values, or
    that holds itself. Counts with a memo, so a bomb costs as much as its own size."""
    expanded: dict[int, int] = {}
    shared: list[yaml.Node] = []
    open_nodes: set[int] = set()

    def count(node: yaml.Node) -> int:
        key = id(node)
        if key in expanded:
            shared.append(node)
            return expanded[key]
        if key in open_nodes:
            raise InputError("an alias (`*name`) refers to the list or mapping it stands in; "
                             "a value cannot contain itself", line=node.start_mark.line + 1)
        open_nodes.add(key)
        total = 1 + sum(count(child) for child in _children(node))
        open_nodes.discard(key)
        expanded[key] = total
        return total

    total = count(root)
    if total > len(expanded) + ALIAS_BUDGET:
        first = min(shared, key=lambda node: node.start_mark.index)
        raise InputError(f"the aliases (`*name`) of the anchor here repeat values so often "
                         f"that the file would expand to more than {ALIAS_BUDGET:,} values; "
                         "write the repeated steps out, or put them in a file and `include` it",
                         line=first.start_mark.line + 1)


def _load(text: str):
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_yaml(text: str, file: str | Path) -> Any:
    """Parse YAML text; errors name the file and line and say how to fix them."""
    try:
        return _load(text)
    except InputError as error:
        raise InputError(error.message, file, error.line) from None
    except RecursionError:
        raise InputError("lists and mappings are nested too deeply; a script needs only a "
                         "few levels", file) from None
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        problem = (error.problem or "a value that cannot be read")[:200]
        hint = ("remove the `!!` tag" if "tag" in problem
                else "write it as text, a number, a list or a mapping")
        raise InputError(
            f"{problem}; only plain YAML is read (text, numbers, lists, mappings), {hint}",
            file,
            mark.line + 1 if mark else None,
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InputError(
            f"not valid YAML: {_problem(error, text)}; check the indentation and that text "
            "with `: ` or `#` in it is in quotes",
            file,
            _line(mark, text),
        ) from None
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}", file) from None
    except UnicodeEncodeError:           # a lone surrogate: only a str made in code holds one
        raise InputError("not valid YAML: it holds a character that is not text (a lone "
                         "surrogate); save the file as UTF-8", file) from None


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def _lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def _line(mark: yaml.Mark | None, text: str) -> int | None:
    """The 1-based line of `mark`; the end of a text without a final line break is its last
    line (libyaml counts one more)."""
    return min(mark.line + 1, len(_lines(text))) if mark else None


def _problem(error: yaml.MarkedYAMLError, text: str) -> str:
    """libyaml's problem, naming the character it stopped at where it does not."""
    problem = error.problem or "this is not valid YAML"
    mark = error.problem_mark
    if problem == "found character that cannot start any token" and mark is not None:
        line = _lines(text)[mark.line] if mark.line < len(_lines(text)) else ""
        found = line[mark.column:mark.column + 1]
        if found == "\t":
            return "found a tab, where YAML allows only spaces (indent with spaces)"
        if found:
            return f"found character {found!r} that cannot start any token"
    return problem


MAX_FILE_BYTES = 1_000_000      # about 170,000 words: far more than hours of speech


def read_yaml(path: Path, *, max_bytes: int = MAX_FILE_BYTES, follow_links: bool = True,
              what: str = "the file", advice: str = "") -> Any:
    """Read and parse a YAML file through the guarded loader: a plain file only (never a
    folder, device or pipe; nor a symbolic link, without `follow_links`), at most `max_bytes`,
    UTF-8. Anything wrong is an InputError naming the file; `advice` (how to fix it) replaces
    the advice for a script."""
    fix = advice or "split it into practices, or check it is the file you meant"
    try:
        data = read_plain(path, max_bytes, follow_links=follow_links, what=what, advice=fix)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise InputError("file not found; check the path and its spelling", path) from None
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text; {advice or 'save the file as UTF-8'}", path,
                         line) from None
    if not advice:
        return parse_yaml(text, path)
    try:
        return parse_yaml(text, path)
    except InputError as error:
        raise InputError(f"{error.message.split('; ')[0]}; {advice}", error.file,
                         error.line) from None
