"""Classic master/slave replication of the CommitLog (upstream store/ha, DefaultHAService)."""

from rocketmq.store.ha.client import HAClient
from rocketmq.store.ha.service import HAService

__all__ = ["HAClient", "HAService"]
