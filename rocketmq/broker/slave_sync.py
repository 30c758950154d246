"""SlaveSynchronize: a slave copies its master's metadata over remoting.

The CommitLog comes over the HA stream (rocketmq.store.ha); the rest of a
broker's state is fetched from the master's remoting port, at start and
every ``slave_sync_interval_ms`` (10 s upstream), in upstream's order:

* GET_ALL_TOPIC_CONFIG (21): the TopicConfigSerializeWrapper. When its
  dataVersion differs from ours the table is replaced and persisted.
* GET_ALL_CONSUMER_OFFSET (43): ``{"offsetTable": {"topic@group": {queueId:
  offset}}}``, merged over ours (a key the master dropped stays).
* GET_ALL_DELAY_OFFSET (45): ``{"offsetTable": {level: offset}}``, written as
  the slave's delayOffset.json.
* GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): the SubscriptionGroupWrapper,
  replaced when its dataVersion differs.

The master is the ``masterAddr`` the NameServers named in their answer to
this slave's registration. A failed step is logged; the next round retries.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import RemotingError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand


class SlaveSynchronize:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker
        self.rounds = 0  # sync_all calls that reached a master (for tests and logs)

    @property
    def master_addr(self) -> str | None:
        outer_api = self.broker.outer_api
        addr = outer_api.master_addr if outer_api is not None else None
        if not addr or addr == self.broker.config.broker_addr:
            return None
        return addr

    async def sync_all(self) -> bool:
        """One round; False when no master is known or a step failed."""
        addr = self.master_addr
        if addr is None:
            return False
        ok = True
        for step in (
            self._sync_topic_config,
            self._sync_consumer_offset,
            self._sync_delay_offset,
            self._sync_subscription_group_config,
        ):
            try:
                await step(addr)
            except (RemotingError, ValueError, TypeError) as exc:  # ProtocolError: a ValueError
                logger.warning("%s from master %s failed: %s", step.__name__, addr, exc)
                ok = False
        self.rounds += 1
        return ok

    async def _fetch(self, addr: str, code: int) -> dict:
        outer_api = self.broker.outer_api
        assert outer_api is not None
        timeout_ms = self.broker.config.register_broker_timeout_ms
        response = await outer_api.client.invoke(addr, RemotingCommand(code, {}), timeout_ms)
        if response.code != ResponseCode.SUCCESS:
            raise ValueError(f"request {code} answered {response.code}: {response.remark}")
        document = json_body.loads(response.body or b"")
        if not isinstance(document, dict):
            raise ValueError(f"request {code}: body is not a JSON object")
        return document

    async def _sync_topic_config(self, addr: str) -> None:
        document = await self._fetch(addr, RequestCode.GET_ALL_TOPIC_CONFIG)
        if self.broker.topic_config_manager.replace_from_master(document):
            logger.info("Update slave topic config from master, %s", addr)

    async def _sync_consumer_offset(self, addr: str) -> None:
        document = await self._fetch(addr, RequestCode.GET_ALL_CONSUMER_OFFSET)
        self.broker.consumer_offset_manager.merge_from_master(document)
        logger.debug("Update slave consumer offset from master, %s", addr)

    async def _sync_delay_offset(self, addr: str) -> None:
        document = await self._fetch(addr, RequestCode.GET_ALL_DELAY_OFFSET)
        self.broker.schedule.replace_offsets(document)
        logger.debug("Update slave delay offset from master, %s", addr)

    async def _sync_subscription_group_config(self, addr: str) -> None:
        document = await self._fetch(addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
        if self.broker.subscription_group_manager.replace_from_master(document):
            logger.info("Update slave Subscription Group from master, %s", addr)
