"""Config JSON files under ``<storePathRootDir>/config`` (store.md §10).

Writes go to ``<file>.tmp`` first; the previous file is kept as
``<file>.bak`` (MixAll.string2File upstream). Reads fall back to the
``.bak`` copy when the file is missing or unparsable, and accept fastjson's
dialect (unquoted numeric map keys) through rocketmq.common.json_body.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rocketmq.common import json_body
from rocketmq.common.topic import DataVersion

T = TypeVar("T")

logger = logging.getLogger("rocketmq.broker")


def write_config_file(path: Path, document: Any) -> None:
    """Replace ``path`` with ``document`` as JSON, keeping the old copy as ``.bak``.

    Raises OSError.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    if path.exists():
        os.replace(path, path.with_name(path.name + ".bak"))
    os.replace(tmp, path)


def read_config_file(path: Path) -> Any | None:
    """The parsed document of ``path`` or of its ``.bak``; None when neither exists.

    Raises ValueError when both exist and neither parses.
    """
    errors = []
    for candidate in (path, path.with_name(path.name + ".bak")):
        try:
            data = candidate.read_bytes()
        except FileNotFoundError:
            continue
        if not data.strip():
            errors.append(f"{candidate.name} is empty")
            continue
        try:
            document = json_body.loads(data)
        except ValueError as exc:
            errors.append(f"{candidate.name}: {exc}")
            continue
        if candidate is not path:
            logger.warning("%s unreadable (%s); loaded %s", path.name, errors, candidate.name)
        return document
    if errors:
        raise ValueError(f"cannot load {path}: {'; '.join(errors)}")
    return None


def master_table(
    wrapper: dict,
    key: str,
    current_version: DataVersion,
    from_json: Callable[[Any, str], T],
    name_of: Callable[[T], str],
) -> tuple[DataVersion, dict[str, T]] | None:
    """A slave's copy of its master's config table (SlaveSynchronize).

    ``(version, table)`` from the master's wrapper, or None when its dataVersion
    equals ``current_version``. Raises ValueError on a malformed wrapper.
    """
    version = DataVersion.from_json(wrapper.get("dataVersion") or {})
    if version == current_version:
        return None
    table = {}
    for name, value in dict(wrapper.get(key) or {}).items():
        item = from_json(value, name)
        table[name_of(item)] = item
    return version, table
