"""LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42): queue locks of orderly consumers.

Upstream AdminBrokerProcessor#lockBatchMQ / #unlockBatchMQ. The body is
LockBatchRequestBody / UnlockBatchRequestBody as fastjson writes it::

    {"clientId":"10.0.0.1@1234","consumerGroup":"G","onlyThisBroker":false,
     "mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}]}

(4.x clients send no ``onlyThisBroker`` and no header; 5.x ones add a
LockBatchMqRequestHeader, which is not needed here.) The lock reply's body is LockBatchResponseBody,
``{"lockOKMQSet":[...]}``; the unlock reply has none. ``onlyThisBroker`` only
matters in upstream's ``lockInStrictMode`` (a replica quorum), which a broker
without replicas does not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocketmq._core import remoting as codec
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.errors import ProtocolError

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController
    from rocketmq.remoting.connection import RemotingConnection

RemotingCommand = codec.RemotingCommand

# A client locks the queues one rebalance gave it: a few hundred at most.
LOCK_BATCH_BODY_SIZE_MAX = 4 * 1024 * 1024
LOCK_BATCH_QUEUES_MAX = 16_384


def _parse_body(request: RemotingCommand) -> tuple[str, str, list[MessageQueue]]:
    """(consumerGroup, clientId, mqSet) of a (Un)LockBatchRequestBody. Raises ProtocolError."""
    body = request.body or b""
    if len(body) > LOCK_BATCH_BODY_SIZE_MAX:
        raise ProtocolError(f"lock batch body of {len(body)} bytes is too large")
    data = json_body.as_object(json_body.loads(body) if body else {}, "lock batch body")
    group = json_body.get_str(data, "consumerGroup")
    client_id = json_body.get_str(data, "clientId")
    if not group or not client_id:
        raise ProtocolError("lock batch body without consumerGroup or clientId")
    items = data.get("mqSet") or []
    if not isinstance(items, list):
        raise ProtocolError("lock batch mqSet is not a JSON array")
    if len(items) > LOCK_BATCH_QUEUES_MAX:
        raise ProtocolError(f"lock batch of {len(items)} queues (max {LOCK_BATCH_QUEUES_MAX})")
    return group, client_id, [MessageQueue.from_json(item) for item in items]


class LockBatchProcessor:
    def __init__(self, broker: BrokerController) -> None:
        self.broker = broker

    def install(self, server) -> None:
        server.register_processor(RequestCode.LOCK_BATCH_MQ, self.lock_batch_mq)
        server.register_processor(RequestCode.UNLOCK_BATCH_MQ, self.unlock_batch_mq)

    def lock_batch_mq(self, connection: RemotingConnection, request: RemotingCommand):
        group, client_id, queues = _parse_body(request)
        granted = self.broker.rebalance_lock_manager.try_lock_batch(group, queues, client_id)
        body = json_body.dumps({"lockOKMQSet": [queue.to_json() for queue in sorted(granted)]})
        return RemotingCommand(ResponseCode.SUCCESS, body=body)

    def unlock_batch_mq(self, connection: RemotingConnection, request: RemotingCommand):
        group, client_id, queues = _parse_body(request)
        self.broker.rebalance_lock_manager.unlock_batch(group, queues, client_id)
        return RemotingCommand(ResponseCode.SUCCESS)
