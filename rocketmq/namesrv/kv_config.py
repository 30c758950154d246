"""KVConfigManager: namespace -> key -> value, persisted to kvConfig.json.

The file is upstream's KVConfigSerializeWrapper, ``{"configTable":{ns:{k:v}}}``,
so a Java NameServer's kvConfig.json loads here and the other way round. Every
change rewrites the file (it is small, and changes are rare admin actions).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from rocketmq.common import json_body

logger = logging.getLogger("rocketmq.namesrv")


class KVConfigManager:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._table: dict[str, dict[str, str]] = {}

    def load(self) -> None:
        """Read the file when it exists. Raises OSError or ValueError when unreadable."""
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return
        if not content.strip():
            return
        obj = json_body.loads(content)
        table = obj.get("configTable") if isinstance(obj, dict) else None
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise ValueError(f"{self.path} is not a KV config file (no configTable object)")
        for namespace, entries in table.items():
            self._table[namespace] = {str(k): str(v) for k, v in entries.items() if v is not None}
        logger.info("load KV config table OK")

    def put(self, namespace: str, key: str, value: str | None) -> None:
        entries = self._table.get(namespace)
        if entries is None:
            entries = self._table[namespace] = {}
            logger.info("putKVConfig create new Namespace %s", namespace)
        if value is None:
            # Java stores the null and then never returns or persists it.
            entries.pop(key, None)
        else:
            previous = entries.get(key)
            entries[key] = value
            verb = "create new" if previous is None else "update"
            logger.info(
                "putKVConfig %s config item, Namespace: %s Key: %s Value: %s",
                verb,
                namespace,
                key,
                value,
            )
        self.persist()

    def get(self, namespace: str, key: str) -> str | None:
        entries = self._table.get(namespace)
        return None if entries is None else entries.get(key)

    def delete(self, namespace: str, key: str) -> None:
        entries = self._table.get(namespace)
        if entries is not None:
            value = entries.pop(key, None)
            logger.info(
                "deleteKVConfig delete a config item, Namespace: %s Key: %s Value: %s",
                namespace,
                key,
                value,
            )
        self.persist()

    def get_namespace(self, namespace: str) -> dict[str, str] | None:
        """A copy of one namespace; None if it was never created."""
        entries = self._table.get(namespace)
        return None if entries is None else dict(entries)

    def persist(self) -> None:
        """Write the table atomically (temp file, fsync, rename). Errors are logged."""
        content = json_body.dumps({"configTable": self._table})
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except OSError:
            logger.exception("persist kvconfig Exception, %s", self.path)
