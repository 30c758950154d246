"""ConsumerFilterManager: the compiled SQL92 filter of each consumer group and topic.

Upstream broker/filter/ConsumerFilterManager, fed by every heartbeat (the
REGISTER event of ConsumerManager#registerConsumer). A heartbeat never fails
because of its filters: an expression that does not compile is only
logged and not kept, so pulls of that group (without the subscription flag)
answer FILTER_DATA_NOT_EXIST (27). Push consumers learn of a bad expression
earlier, from CHECK_CLIENT_CONFIG at start. Versions follow the
subscription's ``subVersion``: an older or equal version changes nothing; a
newer one with another expression recompiles, and if that fails the old
filter is dropped too ("let client report error").

Left out: the bloom-filter bit maps (``enableCalcFilterBitMap``) and
consumerFilter.json (without bit maps only the compiled expressions would be
kept, and a heartbeat rebuilds them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rocketmq.filter import Selector, SelectorError, compile_selector

if TYPE_CHECKING:
    from rocketmq.broker.client_manager import SubscriptionData

logger = logging.getLogger("rocketmq.broker")

TAG = "TAG"
SQL92 = "SQL92"


@dataclass
class ConsumerFilterData:
    topic: str
    group: str
    expression: str
    expression_type: str
    client_version: int  # the subscription's subVersion
    selector: Selector


def build_filter_data(
    topic: str, group: str, expression: str, expression_type: str, client_version: int
) -> ConsumerFilterData | None:
    """ConsumerFilterManager.build: None for TAG, an unknown type or a bad expression."""
    if expression_type != SQL92:
        return None
    try:
        selector = compile_selector(expression)
    except SelectorError as exc:
        logger.warning(
            "filter expression of group %s topic %s does not compile: %s", group, topic, exc
        )
        return None
    if selector.ignored_from is not None:
        logger.warning(
            "filter expression of group %s topic %s: text from position %d is ignored "
            "(like upstream): %r",
            group,
            topic,
            selector.ignored_from,
            expression,
        )
    return ConsumerFilterData(topic, group, expression, expression_type, client_version, selector)


class ConsumerFilterManager:
    def __init__(self) -> None:
        self._groups: dict[str, dict[str, ConsumerFilterData]] = {}  # group -> topic -> data

    def get(self, topic: str, group: str) -> ConsumerFilterData | None:
        filters = self._groups.get(group)
        return filters.get(topic) if filters is not None else None

    def register(self, group: str, subscriptions: Iterable[SubscriptionData]) -> None:
        """Adopt a heartbeat's subscriptions; topics no longer subscribed lose their filter."""
        filters = self._groups.setdefault(group, {})
        topics = set()
        for subscription in subscriptions:
            topics.add(subscription.topic)
            self._register_one(filters, group, subscription)
        for topic in [topic for topic in filters if topic not in topics]:
            del filters[topic]
        if not filters:
            del self._groups[group]

    def unregister(self, group: str) -> None:
        """The group has no member left."""
        self._groups.pop(group, None)

    @staticmethod
    def _register_one(
        filters: dict[str, ConsumerFilterData], group: str, subscription: SubscriptionData
    ) -> None:
        kind = subscription.expression_type
        expression = subscription.sub_string
        if kind == TAG or not expression:
            return
        topic = subscription.topic
        version = subscription.sub_version
        old = filters.get(topic)
        if old is not None:
            if version <= old.client_version:
                return
            if old.expression == expression and old.expression_type == kind:
                old.client_version = version
                return
        data = build_filter_data(topic, group, expression, kind, version)
        if data is None:
            filters.pop(topic, None)
        else:
            filters[topic] = data
