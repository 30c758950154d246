"""Where a message is stored when it is not deliverable yet: one rule for every put path.

A dead letter is stored as is (never delayed); a timer message goes to the
timer queue; a message with a delay level to SCHEDULE_TOPIC_XXXX; anything
else to its own queue. Sends and transaction commits both go through here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rocketmq.broker.schedule import PROPERTY_DELAY, park_if_delayed
from rocketmq.broker.topic_config import DLQ_GROUP_TOPIC_PREFIX

if TYPE_CHECKING:
    from rocketmq.broker.controller import BrokerController


def park_message(
    broker: BrokerController,
    topic: str,
    queue_id: int,
    properties: dict[str, str],
    sys_flag: int,
) -> tuple[str, int]:
    """The (topic, queue id) to store under; records the real destination in ``properties``.

    Raises BrokerError for a timer message the broker refuses.
    """
    if topic.startswith(DLQ_GROUP_TOPIC_PREFIX):
        properties.pop(PROPERTY_DELAY, None)
        return topic, queue_id
    parked = broker.timer.park_if_timed(topic, queue_id, properties)
    if parked[0] != topic:
        return parked
    return park_if_delayed(topic, queue_id, properties, sys_flag, broker.schedule.level_count)
