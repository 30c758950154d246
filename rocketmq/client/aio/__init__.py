"""The asyncio client: ``from rocketmq.client.aio import Producer, Message``."""

from rocketmq.client.aio.producer import Producer, select_by_hash
from rocketmq.client.message import Message, SendResult, SendStatus
from rocketmq.common.message_queue import MessageQueue

__all__ = ["Message", "MessageQueue", "Producer", "SendResult", "SendStatus", "select_by_hash"]
