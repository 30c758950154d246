"""BrokerOuterAPI: what the broker tells the NameServers.

REGISTER_BROKER (103) with the whole topic table goes to every NameServer at
start, after topic changes and every ``registerNameServerPeriod``;
UNREGISTER_BROKER (104) at shutdown. The body is the uncompressed
RegisterBrokerBody JSON (shared/spec/remoting.md §9). A NameServer that
cannot be reached is logged and retried next period, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

from rocketmq._core import remoting as codec
from rocketmq.broker.config import BrokerConfig
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.errors import RemotingError
from rocketmq.remoting import ClientConfig, RemotingClient

logger = logging.getLogger("rocketmq.broker")

RemotingCommand = codec.RemotingCommand


def register_broker_body(topic_config_wrapper: dict) -> bytes:
    return json_body.dumps(
        {"filterServerList": [], "topicConfigSerializeWrapper": topic_config_wrapper}
    )


class BrokerOuterAPI:
    def __init__(self, config: BrokerConfig) -> None:
        self.config = config
        self.client = RemotingClient(
            ClientConfig(
                connect_timeout_ms=config.register_broker_timeout_ms,
                default_timeout_ms=config.register_broker_timeout_ms,
            )
        )
        # What the NameServers answered a slave's registration: its master's addresses.
        self.ha_server_addr: str | None = None
        self.master_addr: str | None = None

    def _identity(self) -> dict[str, str]:
        config = self.config
        return {
            "brokerName": config.broker_name,
            "brokerAddr": config.broker_addr,
            "clusterName": config.broker_cluster_name,
            "brokerId": str(config.broker_id),
        }

    async def register_broker_all(self, topic_config_wrapper: dict) -> int:
        """Register with every NameServer at once; returns how many accepted."""
        addrs = self.config.namesrv_addrs
        if not addrs:
            return 0
        body = register_broker_body(topic_config_wrapper)
        fields = self._identity()
        config = self.config
        fields.update(
            {
                "haServerAddr": f"{config.broker_ip1}:{config.store.ha_listen_port}",
                "compressed": "false",
                "bodyCrc32": str(zlib.crc32(body) & 0x7FFFFFFF),
                "heartbeatTimeoutMillis": str(config.channel_expired_timeout_ms),
                "enableActingMaster": "false",
            }
        )
        responses = await asyncio.gather(
            *(self._invoke(addr, RequestCode.REGISTER_BROKER, fields, body) for addr in addrs)
        )
        accepted = [response for response in responses if response is not None]
        for response in accepted:
            ext = response.ext_fields or {}
            if ext.get("haServerAddr"):
                self.ha_server_addr = ext["haServerAddr"]
            if ext.get("masterAddr"):
                self.master_addr = ext["masterAddr"]
        return len(accepted)

    async def unregister_broker_all(self) -> None:
        fields = self._identity()
        await asyncio.gather(
            *(
                self._invoke(addr, RequestCode.UNREGISTER_BROKER, fields, None)
                for addr in self.config.namesrv_addrs
            )
        )

    async def _invoke(
        self, addr: str, code: int, fields: dict, body: bytes | None
    ) -> RemotingCommand | None:
        """The response when it is SUCCESS, else None (logged)."""
        request = RemotingCommand(code, dict(fields), body)
        try:
            response = await self.client.invoke(
                addr, request, self.config.register_broker_timeout_ms
            )
        except (RemotingError, ValueError) as exc:
            logger.warning("request %d to name server %s failed: %s", code, addr, exc)
            return None
        if response.code != ResponseCode.SUCCESS:
            logger.warning(
                "name server %s answered request %d with %d: %s",
                addr,
                code,
                response.code,
                response.remark,
            )
            return None
        return response

    async def close(self) -> None:
        await self.client.close()
