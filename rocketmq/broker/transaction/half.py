"""Half messages and op records: the records a transaction leaves in the CommitLog.

Upstream TransactionalMessageBridge and EndTransactionProcessor (4.9.7).

* A send whose property TRAN_MSG is "true" is stored as a *half* message:
  topic RMQ_SYS_TRANS_HALF_TOPIC, queue 0, its destination kept in
  REAL_TOPIC/REAL_QID, transaction type reset to NOT so that the half topic
  gets a consume-queue unit for it (and no consumer of the real topic sees it).
  The producer's DELAY, if any, stays a property: it applies when the
  transaction commits (upstream would park the half itself, losing its
  destination; the Java client strips DELAY from transactional sends).
* END_TRANSACTION commit stores the *final* message under the real topic and
  queue with type COMMIT and PREPARED_TRANSACTION_OFFSET = the half's offset.
* Commit and rollback both append an *op* record to RMQ_SYS_TRANS_OP_HALF_TOPIC
  (same queue id as the half, tag "d", body = the half's queue offset as
  ASCII decimal): the check service skips halves named by an op record.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rocketmq._core import message as msgfmt
from rocketmq.broker.config import BrokerConfig
from rocketmq.broker.schedule import (
    PROPERTY_REAL_QUEUE_ID,
    PROPERTY_REAL_TOPIC,
    delay_level_of,
)
from rocketmq.broker.topic_config import (
    TRANS_CHECK_MAX_TIME_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
)
from rocketmq.common.codes import ResponseCode
from rocketmq.errors import BrokerError
from rocketmq.store.commit_log import MessageToStore

# (topic, queue id, properties, sys flag) -> where to store it (parking.park_message).
Park = Callable[[str, int, dict[str, str], int], tuple[str, int]]

PROPERTY_TRANSACTION_PREPARED = "TRAN_MSG"
PROPERTY_PRODUCER_GROUP = "PGROUP"
PROPERTY_UNIQ_KEY = "UNIQ_KEY"
PROPERTY_TAGS = "TAGS"
PROPERTY_WAIT_STORE_MSG_OK = "WAIT"
PROPERTY_TRANSACTION_CHECK_TIMES = "TRANSACTION_CHECK_TIMES"
PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS = "CHECK_IMMUNITY_TIME_IN_SECONDS"
PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET = "TRAN_PREPARED_QUEUE_OFFSET"

REMOVE_TAG = "d"  # TransactionalMessageUtil.REMOVETAG
CHECK_GROUP = "CID_RMQ_SYS_TRANS"  # owns the half and op queue offsets
HALF_QUEUE_ID = 0

_TRANSACTION_MASK = msgfmt.TRANSACTION_TYPE_MASK


def with_transaction_type(sys_flag: int, transaction_type: int) -> int:
    """MessageSysFlag#resetTransactionValue."""
    return (sys_flag & ~_TRANSACTION_MASK) | transaction_type


def park_if_half(
    topic: str,
    queue_id: int,
    properties: dict[str, str],
    sys_flag: int,
    reconsume_times: int,
    config: BrokerConfig,
) -> tuple[str, int, int] | None:
    """Where a transactional send is stored: (half topic, queue 0, sys flag); None if not one.

    The destination is recorded in ``properties``. Raises BrokerError
    NO_PERMISSION when the broker rejects transactional messages.
    """
    if (properties.get(PROPERTY_TRANSACTION_PREPARED) or "").lower() != "true":
        return None
    if reconsume_times > 0 and delay_level_of(properties) > 0:
        # A retry sent back by a client before 4.6.1 still carries TRAN_MSG.
        return None
    if config.reject_transaction_message:
        raise BrokerError(
            ResponseCode.NO_PERMISSION,
            f"the broker[{config.broker_ip1}] sending transaction message is forbidden",
        )
    properties[PROPERTY_REAL_TOPIC] = topic
    properties[PROPERTY_REAL_QUEUE_ID] = str(queue_id)
    return (
        TRANS_HALF_TOPIC,
        HALF_QUEUE_ID,
        with_transaction_type(sys_flag, msgfmt.TRANSACTION_NOT_TYPE),
    )


def check_prepare_message(
    half: msgfmt.MessageRecord, producer_group: str, queue_offset: int, commit_log_offset: int
) -> str | None:
    """Why END_TRANSACTION may not resolve ``half`` (the remark), or None when it may."""
    if half.properties_dict().get(PROPERTY_PRODUCER_GROUP) != producer_group:
        return "The producer group wrong"
    if half.queue_offset != queue_offset:
        return "The transaction state table offset wrong"
    if half.physical_offset != commit_log_offset:
        return "The commit log offset wrong"
    return None


def end_message_transaction(half: msgfmt.MessageRecord, park: Park) -> MessageToStore:
    """The committed message of ``half``; a timer or DELAY parks it now (raises BrokerError).

    Upstream serialises the half's properties before it clears REAL_TOPIC,
    REAL_QID and TRAN_MSG, so a committed 4.x record still carries all three;
    only a delayed one is re-serialised (CommitLog#putMessage), without TRAN_MSG.
    """
    properties = half.properties_dict()
    try:
        topic = properties.pop(PROPERTY_REAL_TOPIC)
        queue_id = int(properties.pop(PROPERTY_REAL_QUEUE_ID))
    except (KeyError, ValueError):
        raise BrokerError(
            ResponseCode.SYSTEM_ERROR,
            f"the message at commit log offset {half.physical_offset} is no half message",
        ) from None
    properties.pop(PROPERTY_TRANSACTION_PREPARED, None)
    sys_flag = with_transaction_type(half.sys_flag, msgfmt.TRANSACTION_COMMIT_TYPE)
    stored_topic, stored_queue_id = park(topic, queue_id, properties, sys_flag)
    text = half.properties
    if (stored_topic, stored_queue_id) != (topic, queue_id):
        text = msgfmt.properties_to_string(properties)
    return MessageToStore(
        topic=stored_topic,
        queue_id=stored_queue_id,
        body=bytes(half.body or b""),
        properties=text,
        flag=half.flag,
        sys_flag=sys_flag,
        born_timestamp=half.born_timestamp,
        born_host=half.born_host,
        reconsume_times=half.reconsume_times,
        prepared_transaction_offset=half.physical_offset,
    )


def op_message(half: msgfmt.MessageRecord, store_host: tuple[bytes, int]) -> MessageToStore:
    """The op record saying ``half`` is committed or rolled back (makeOpMessageInner)."""
    properties = {PROPERTY_TAGS: REMOVE_TAG, PROPERTY_WAIT_STORE_MSG_OK: "true"}
    return MessageToStore(
        topic=TRANS_OP_HALF_TOPIC,
        queue_id=half.queue_id,
        body=str(half.queue_offset).encode("ascii"),
        properties=msgfmt.properties_to_string(properties),
        born_timestamp=int(time.time() * 1000),
        born_host=store_host,
    )


def renew_half_message(
    half: msgfmt.MessageRecord, properties: dict[str, str], *, immunity: bool = False
) -> MessageToStore:
    """A copy of ``half`` for the end of the half queue (renewHalfMessageInner).

    ``properties`` are the half's, with the check count already raised. An
    immunity copy also records the queue offset of the first half
    (renewImmunityHalfMessageInner). Upstream drops the flag and reconsume
    times here; we keep them so that a message checked back is delivered intact.
    """
    if immunity:
        properties.setdefault(PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET, str(half.queue_offset))
    return MessageToStore.from_record(half, half.topic, half.queue_id, properties)


def check_max_time_message(
    half: msgfmt.MessageRecord, properties: dict[str, str]
) -> MessageToStore:
    """Where a half checked too often ends (DefaultTransactionalMessageCheckListener, 4.9.7)."""
    return MessageToStore.from_record(half, TRANS_CHECK_MAX_TIME_TOPIC, 0, properties)
