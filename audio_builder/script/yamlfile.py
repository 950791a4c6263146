"""Reading YAML safely, keeping the line of every key and item for error messages.

Mappings load as `YamlMap` and sequences as `YamlList`, which remember where each key and
item stands. Only the safe YAML types are built; a Python tag is an error. Times such as
`1:30` stay text (YAML 1.1 would read them as base-60 numbers), so the duration parser
sees what the author wrote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from audio_builder.errors import InputError


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
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _Loader(yaml.SafeLoader):
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


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


def parse_yaml(text: str, file: str | Path) -> Any:
    """Parse YAML text; errors name the file and line and say how to fix them."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except InputError as error:
        raise InputError(error.message, file, error.line) from None
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        raise InputError(
            f"{error.problem}; only plain YAML is read (text, numbers, lists, mappings), "
            "remove the `!!` tag",
            file,
            mark.line + 1 if mark else None,
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "this is not valid YAML"
        raise InputError(
            f"not valid YAML: {problem}; check the indentation and that text with `: ` "
            "or `#` in it is in quotes",
            file,
            mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as error:
        raise InputError(f"not valid YAML: {error}", file) from None


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML file; a missing or unreadable file is an input error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found; check the path and its spelling", path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; save the file as UTF-8", path) from None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", path) from None
    return parse_yaml(text, path)
