"""Helpers the broker tests share: a broker on port 0 over a small tmp store, request builders."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

from rocketmq._core import headers
from rocketmq._core import message as msgfmt
from rocketmq._core import remoting as codec
from rocketmq.broker.config import BrokerConfig
from rocketmq.broker.controller import BrokerController
from rocketmq.common.codes import RequestCode
from rocketmq.store.config import MessageStoreConfig

RemotingCommand = codec.RemotingCommand

LOOPBACK = "127.0.0.1"
FLAG_COMMIT_OFFSET = 0x1
FLAG_SUSPEND = 0x2
FLAG_SUBSCRIPTION = 0x4


def broker_config(root: Path, **overrides) -> BrokerConfig:
    store = MessageStoreConfig(
        store_path_root_dir=root,
        commit_log_file_size=64 * 1024,
        consume_queue_units_per_file=100,
        index_slot_count=1000,
        index_entry_count=4000,
        flush_interval_commit_log_ms=50,
        flush_interval_consume_queue_ms=50,
    )
    base = BrokerConfig(
        broker_name="broker-a",
        listen_host=LOOPBACK,
        listen_port=0,
        broker_ip1=LOOPBACK,
        store=store,
    )
    return dataclasses.replace(base, **overrides)


@contextlib.asynccontextmanager
async def running_broker(root: Path, **overrides) -> AsyncIterator[BrokerController]:
    broker = BrokerController(broker_config(root, **overrides))
    await broker.start()
    try:
        yield broker
    finally:
        await broker.shutdown()


def addr_of(broker: BrokerController) -> str:
    return f"{LOOPBACK}:{broker.port}"


def properties(tags: str | None = "TagA", **extra: str) -> str:
    values = dict(extra)
    if tags is not None:
        values["TAGS"] = tags
    return msgfmt.properties_to_string(values)


def send_request(
    topic: str,
    body: bytes,
    *,
    queue_id: int = 0,
    tags: str | None = "TagA",
    code: int = RequestCode.SEND_MESSAGE_V2,
    props: str | None = None,
) -> RemotingCommand:
    header = headers.SendMessageRequestHeader(
        producer_group="PG",
        topic=topic,
        default_topic="TBW102",
        default_topic_queue_nums=4,
        queue_id=queue_id,
        sys_flag=0,
        born_timestamp=1_700_000_000_000,
        flag=0,
        properties=props if props is not None else properties(tags),
        reconsume_times=0,
        unit_mode=False,
        batch=code == RequestCode.SEND_BATCH_MESSAGE,
    )
    v2 = code != RequestCode.SEND_MESSAGE
    return RemotingCommand(code, header.to_ext_fields(v2), body)


def pull_request(
    topic: str,
    queue_id: int,
    offset: int,
    *,
    group: str = "CG",
    subscription: str | None = "*",
    sys_flag: int = FLAG_SUBSCRIPTION,
    suspend_ms: int = 0,
    max_msg_nums: int = 32,
    commit_offset: int = 0,
    sub_version: int = 0,
    expression_type: str = "TAG",
) -> RemotingCommand:
    header = headers.PullMessageRequestHeader(
        consumer_group=group,
        topic=topic,
        queue_id=queue_id,
        queue_offset=offset,
        max_msg_nums=max_msg_nums,
        sys_flag=sys_flag,
        commit_offset=commit_offset,
        suspend_timeout_millis=suspend_ms,
        subscription=subscription,
        sub_version=sub_version,
        expression_type=expression_type,
    )
    return RemotingCommand(RequestCode.PULL_MESSAGE, header.to_ext_fields())


def split_records(body: bytes) -> list[msgfmt.MessageRecord]:
    records = []
    position = 0
    while position < len(body):
        record = msgfmt.decode_record(body, position, check_crc=True)
        records.append(record)
        position += record.total_size
    return records
