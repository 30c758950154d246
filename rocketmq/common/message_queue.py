"""MessageQueue: one queue of a topic on one broker (common.message.MessageQueue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rocketmq.common import json_body
from rocketmq.errors import ProtocolError


@dataclass(frozen=True, order=True)
class MessageQueue:
    """common.message.MessageQueue; ordered like upstream's compareTo."""

    topic: str
    broker_name: str
    queue_id: int

    @classmethod
    def from_json(cls, value: Any) -> MessageQueue:
        """Read ``{"topic":..,"brokerName":..,"queueId":..}``. Raises ProtocolError."""
        obj = json_body.as_object(value, "messageQueue")
        topic = json_body.get_str(obj, "topic")
        broker_name = json_body.get_str(obj, "brokerName")
        if not topic or broker_name is None:
            raise ProtocolError(f"messageQueue without topic or brokerName: {obj!r}")
        return cls(topic, broker_name, json_body.get_int(obj, "queueId", 0))

    def to_json(self) -> dict[str, Any]:
        return {"brokerName": self.broker_name, "queueId": self.queue_id, "topic": self.topic}

    def __str__(self) -> str:
        # Java's toString; consistent-hash allocation hashes this text.
        return (
            f"MessageQueue [topic={self.topic}, brokerName={self.broker_name}, "
            f"queueId={self.queue_id}]"
        )
