"""Pull response bodies -> MessageExt (upstream MessageDecoder.decodes)."""

from __future__ import annotations

import zlib

from rocketmq._core import message as msgfmt
from rocketmq.client.message import PROPERTY_RETRY_TOPIC, PROPERTY_UNIQ_KEY, MessageExt
from rocketmq.errors import ProtocolError

COMPRESSED_FLAG = 0x1


def decode_messages(body: bytes, broker_name: str = "") -> list[MessageExt]:
    """Every record in a pull body; compressed bodies are inflated.

    Raises ProtocolError for a body that does not hold whole, valid records.
    """
    out = []
    position = 0
    while position < len(body):
        status, size = msgfmt.check_record(body, position, len(body), False)
        if status != msgfmt.RECORD_OK:
            raise ProtocolError(f"bad record at {position} of a {len(body)}-byte pull body")
        record = msgfmt.decode_record(body, position)
        position += size
        payload = bytes(record.body or b"")
        if record.sys_flag & COMPRESSED_FLAG:
            try:
                payload = zlib.decompress(payload)
            except zlib.error as exc:
                raise ProtocolError(f"compressed body does not inflate: {exc}") from None
        properties = record.properties_dict()
        offset_msg_id = msgfmt.offset_msg_id(record.store_host, record.physical_offset)
        out.append(
            MessageExt(
                topic=record.topic,
                body=payload,
                properties=properties,
                msg_id=properties.get(PROPERTY_UNIQ_KEY) or offset_msg_id,
                offset_msg_id=offset_msg_id,
                queue_id=record.queue_id,
                queue_offset=record.queue_offset,
                commit_log_offset=record.physical_offset,
                reconsume_times=record.reconsume_times,
                born_timestamp=record.born_timestamp,
                store_timestamp=record.store_timestamp,
                born_host=record.born_host_str,
                store_host=record.store_host_str,
                flag=record.flag,
                sys_flag=record.sys_flag,
                broker_name=broker_name,
                store_size=record.total_size,
                prepared_transaction_offset=record.prepared_transaction_offset,
            )
        )
    return out


def restore_retry_topic(message: MessageExt, group: str) -> None:
    """A message from %RETRY%<group> shows its original topic again."""
    original = message.properties.get(PROPERTY_RETRY_TOPIC)
    if original and message.topic == f"%RETRY%{group}":
        message.topic = original
