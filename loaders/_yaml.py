"""Read YAML while keeping line numbers, so that errors can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tieskg.errors import InputError


class Record(dict):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of ``key``, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are :class:`Record` objects; duplicate keys are errors."""


def _construct_record(loader: _LineLoader, node: yaml.MappingNode) -> Record:
    loader.flatten_mapping(node)
    record = Record()
    record.line = node.start_mark.line + 1
    record.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in record:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        record[key] = loader.construct_object(value_node, deep=True)
        record.key_lines[key] = key_node.start_mark.line + 1
    return record


def _construct_timestamp_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    """Keep dates as text: the loader checks them and reports bad ones with their line."""
    return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_record)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_text)


def read_yaml(path: Path) -> Any:
    """Parse ``path``; a syntax error becomes an :class:`InputError` with its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise InputError(f"YAML syntax error: {reason}", path=path, line=line) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"YAML error: {exc}", path=path) from exc
