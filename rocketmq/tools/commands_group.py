"""Group commands: updateSubGroup, deleteSubGroup, consumerProgress, consumerConnection,
producerConnection, resetOffsetByTime."""

from __future__ import annotations

import argparse

from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.tools.formats import java_format, parse_timestamp, time_millis_to_date, version_desc
from rocketmq.tools.registry import Command, Output, java_bool
from rocketmq.tools.rpc import RETRY_GROUP_TOPIC_PREFIX, AdminClient, CommandError, request

DLQ_GROUP_TOPIC_PREFIX = "%DLQ%"


def _queue_sort_key(queue: dict) -> tuple:
    """MessageQueue.compareTo: topic, then brokerName, then queueId."""
    return (queue.get("topic", ""), queue.get("brokerName", ""), int(queue.get("queueId", 0)))


def queue_keyed(table: dict) -> list[tuple[dict, object]]:
    """fastjson's ``{<MessageQueue>: value}`` map as (queue, value) pairs in queue order."""
    pairs = [(json_body.loads(key), value) for key, value in table.items()]
    pairs.sort(key=lambda pair: _queue_sort_key(pair[0]))
    return pairs


# -- updateSubGroup / deleteSubGroup -----------------------------------------------------------


def _where(parser: argparse.ArgumentParser, what: str) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("-b", "--brokerAddr", help=f"{what} which broker")
    where.add_argument("-c", "--clusterName", help=f"{what} which cluster")


def _update_sub_group_args(parser: argparse.ArgumentParser) -> None:
    _where(parser, "create subscription group to")
    parser.add_argument("-g", "--groupName", required=True, help="consumer group name")
    parser.add_argument("-s", "--consumeEnable", type=java_bool, help="consume enable")
    parser.add_argument("-m", "--consumeFromMinEnable", type=java_bool, help="from min offset")
    parser.add_argument("-d", "--consumeBroadcastEnable", type=java_bool, help="broadcast")
    parser.add_argument("-q", "--retryQueueNums", type=int, help="retry queue nums")
    parser.add_argument("-r", "--retryMaxTimes", type=int, help="retry max times")
    parser.add_argument("-i", "--brokerId", type=int, help="consumer from which broker id")
    parser.add_argument(
        "-w", "--whichBrokerWhenConsumeSlowly", type=int, help="which broker id when slow"
    )
    parser.add_argument(
        "-a", "--notifyConsumerIdsChanged", type=java_bool, help="notify consumerId changed"
    )


async def update_sub_group(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    # SubscriptionGroupConfig defaults, with the tool's own two changes (min, broadcast off).
    config = {
        "groupName": args.groupName,
        "consumeEnable": True,
        "consumeFromMinEnable": False,
        "consumeBroadcastEnable": False,
        "consumeMessageOrderly": False,
        "retryQueueNums": 1,
        "retryMaxTimes": 16,
        "brokerId": 0,
        "whichBrokerWhenConsumeSlowly": 1,
        "notifyConsumerIdsChangedEnable": True,
        "groupSysFlag": 0,
        "consumeTimeoutMinute": 15,
    }
    overrides = {
        "consumeEnable": args.consumeEnable,
        "consumeFromMinEnable": args.consumeFromMinEnable,
        "consumeBroadcastEnable": args.consumeBroadcastEnable,
        "retryQueueNums": args.retryQueueNums,
        "retryMaxTimes": args.retryMaxTimes,
        "brokerId": args.brokerId,
        "whichBrokerWhenConsumeSlowly": args.whichBrokerWhenConsumeSlowly,
        "notifyConsumerIdsChangedEnable": args.notifyConsumerIdsChanged,
    }
    config.update({key: value for key, value in overrides.items() if value is not None})
    body = json_body.dumps(config)
    for addr in await admin.broker_addrs(args.brokerAddr, args.clusterName):
        await admin.call(addr, request(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, body=body))
        out.write(java_format("create subscription group to %s success.%n", addr))
    out.write(java_format("%s%n", body.decode("utf-8")))


def _delete_sub_group_args(parser: argparse.ArgumentParser) -> None:
    _where(parser, "delete subscription group from")
    parser.add_argument("-g", "--groupName", required=True, help="subscription group name")
    parser.add_argument("-r", "--removeOffset", type=java_bool, default=False, help="remove offset")


async def delete_sub_group(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    group = args.groupName
    fields = {"groupName": group, "cleanOffset": args.removeOffset}
    if args.brokerAddr:
        await admin.call(args.brokerAddr, request(RequestCode.DELETE_SUBSCRIPTIONGROUP, fields))
        out.write(
            java_format(
                "delete subscription group [%s] from broker [%s] success.%n", group, args.brokerAddr
            )
        )
        return
    cluster = await admin.cluster_info()
    masters = cluster.masters_of(args.clusterName)
    for addr in masters:
        await admin.call(addr, request(RequestCode.DELETE_SUBSCRIPTIONGROUP, fields))
        out.write(
            java_format(
                "delete subscription group [%s] from broker [%s] in cluster [%s] success.%n",
                group,
                addr,
                args.clusterName,
            )
        )
    # The group's retry and dead letter topics go with it (as upstream does).
    for topic in (RETRY_GROUP_TOPIC_PREFIX + group, DLQ_GROUP_TOPIC_PREFIX + group):
        for addr in masters:
            await admin.call(addr, request(RequestCode.DELETE_TOPIC_IN_BROKER, {"topic": topic}))
        await admin.delete_topic_in_namesrv(topic, args.clusterName)


# -- consumerProgress --------------------------------------------------------------------------


async def consume_stats(admin: AdminClient, group: str) -> tuple[list[tuple[dict, dict]], float]:
    """Every queue's offsets for ``group``, from each master of its retry topic's route."""
    route = await admin.topic_route(RETRY_GROUP_TOPIC_PREFIX + group)
    rows: list[tuple[dict, dict]] = []
    tps = 0.0
    for _name, addr in route.masters():
        document = await admin.json_call(
            addr, request(RequestCode.GET_CONSUME_STATS, {"consumerGroup": group})
        )
        tps += float(document.get("consumeTps") or 0)
        rows.extend(queue_keyed(document.get("offsetTable") or {}))  # type: ignore[arg-type]
    rows.sort(key=lambda row: _queue_sort_key(row[0]))
    return rows, tps


async def consumer_connection(admin: AdminClient, group: str, addr: str | None = None) -> dict:
    addr = addr or await admin.retry_route_broker(group)
    return await admin.json_call(
        addr, request(RequestCode.GET_CONSUMER_CONNECTION_LIST, {"consumerGroup": group})
    )


def _consumer_progress_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-g", "--groupName", help="consumer group name")


async def consumer_progress(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    if args.groupName:
        rows, tps = await consume_stats(admin, args.groupName)
        layout = "%-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s%n"
        out.write(java_format(layout, "#Topic", "#Broker Name", "#QID", "#Broker Offset",
                              "#Consumer Offset", "#Diff", "#LastTime"))  # fmt: skip
        diff_total = 0
        for queue, wrapper in rows:
            broker_offset = int(wrapper.get("brokerOffset") or 0)
            consumer_offset = int(wrapper.get("consumerOffset") or 0)
            diff = broker_offset - consumer_offset
            diff_total += diff
            last = int(wrapper.get("lastTimestamp") or 0)
            out.write(
                java_format(
                    "%-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s%n",
                    queue.get("topic"), queue.get("brokerName"), int(queue.get("queueId", 0)),
                    broker_offset, consumer_offset, diff,
                    time_millis_to_date(last) if last > 0 else "N/A",
                )
            )  # fmt: skip
        out.write(java_format("%n"))
        out.write(java_format("Consume TPS: %.2f%n", tps))
        out.write(java_format("Diff Total: %d%n", diff_total))
        return
    layout = "%-64s  %-6s  %-24s %-5s  %-14s  %-7s  %s%n"
    out.write(java_format(layout, "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS",
                          "#Diff Total"))  # fmt: skip
    for topic in await admin.topic_list():
        if not topic.startswith(RETRY_GROUP_TOPIC_PREFIX):
            continue
        group = topic[len(RETRY_GROUP_TOPIC_PREFIX) :]
        try:
            rows, tps = await consume_stats(admin, group)
        except CommandError:
            continue
        diff = sum(int(w.get("brokerOffset") or 0) - int(w.get("consumerOffset") or 0)
                   for _q, w in rows)  # fmt: skip
        try:
            connection = await consumer_connection(admin, group)
        except CommandError:
            connection = {}
        members = connection.get("connectionSet") or []
        if members:
            version = version_desc(max(int(m.get("version") or 0) for m in members))
            kind = {"CONSUME_ACTIVELY": "PULL", "CONSUME_PASSIVELY": "PUSH"}.get(
                connection.get("consumeType", ""), ""
            )
            model = connection.get("messageModel", "")
        else:
            version, kind, model = "OFFLINE", "", ""
        out.write(java_format("%-64s  %-6d  %-24s %-5s  %-14s  %-7d  %d%n", group, len(members),
                              version, kind, model, int(tps), diff))  # fmt: skip


# -- consumerConnection / producerConnection -----------------------------------------------------


def _consumer_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-g", "--consumerGroup", required=True, help="consumer group name")
    parser.add_argument("-b", "--brokerAddr", help="broker address")


async def consumer_connection_command(
    admin: AdminClient, args: argparse.Namespace, out: Output
) -> None:
    connection = await consumer_connection(admin, args.consumerGroup, args.brokerAddr)
    layout = "%-36s %-22s %-10s %s%n"
    out.write(java_format(layout, "#ClientId", "#ClientAddr", "#Language", "#Version"))
    for member in connection.get("connectionSet") or []:
        out.write(java_format(layout, member.get("clientId"), member.get("clientAddr"),
                              member.get("language"),
                              version_desc(int(member.get("version") or 0))))  # fmt: skip
    out.write(java_format("%nBelow is subscription:\n"))
    out.write(java_format("%-20s %s%n", "#Topic", "#SubExpression"))
    for topic, sub in sorted((connection.get("subscriptionTable") or {}).items()):
        out.write(java_format("%-20s %s%n", topic, sub.get("subString")))
    out.write("\n")
    out.write(java_format("ConsumeType: %s%n", connection.get("consumeType")))
    out.write(java_format("MessageModel: %s%n", connection.get("messageModel")))
    out.write(java_format("ConsumeFromWhere: %s%n", connection.get("consumeFromWhere")))


def _producer_connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-g", "--producerGroup", required=True, help="producer group name")
    parser.add_argument("-t", "--topic", required=True, help="topic name")


async def producer_connection(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    route = await admin.topic_route(args.topic)
    masters = route.masters()
    if not masters:
        raise CommandError(f"topic {args.topic} has no master broker")
    document = await admin.json_call(
        masters[0][1],
        request(RequestCode.GET_PRODUCER_CONNECTION_LIST, {"producerGroup": args.producerGroup}),
    )
    members = sorted(document.get("connectionSet") or [], key=lambda m: m.get("clientId", ""))
    for index, member in enumerate(members, 1):
        out.write(java_format("%04d  %-32s %-22s %-8s %s%n", index, member.get("clientId"),
                              member.get("clientAddr"), member.get("language"),
                              version_desc(int(member.get("version") or 0))))  # fmt: skip


# -- resetOffsetByTime -------------------------------------------------------------------------


def _reset_offset_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-g", "--group", required=True, help="set the consumer group")
    parser.add_argument("-t", "--topic", required=True, help="set the topic")
    parser.add_argument(
        "-s", "--timestamp", required=True,
        help="set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]",
    )  # fmt: skip
    parser.add_argument(
        "-f", "--force", type=java_bool, default=True, help="rollback by timestamp switch"
    )


async def _reset_offline(
    admin: AdminClient, addr: str, group: str, topic: str, timestamp: int, force: bool
) -> list[tuple[dict, int]]:
    """No consumer online: search each queue's offset and commit it (resetOffsetByTimestampOld)."""
    stats = await admin.json_call(addr, request(RequestCode.GET_TOPIC_STATS_INFO, {"topic": topic}))
    results = []
    for queue, topic_offset in queue_keyed(stats.get("offsetTable") or {}):
        queue_id = int(queue["queueId"])
        if timestamp < 0:
            target = int(topic_offset.get("maxOffset") or 0)  # type: ignore[union-attr]
        else:
            target = await admin.search_offset(addr, topic, queue_id, timestamp)
        fields = {"consumerGroup": group, "topic": topic, "queueId": queue_id}
        response = await admin.call(
            addr,
            request(RequestCode.QUERY_CONSUMER_OFFSET, fields),
            ok=(ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND),
        )
        current = int((response.ext_fields or {}).get("offset", "-1"))
        if response.code == ResponseCode.SUCCESS and not force and target >= current:
            target = current
        fields = {**fields, "commitOffset": target}
        await admin.call(addr, request(RequestCode.UPDATE_CONSUMER_OFFSET, fields))
        results.append((queue, target))
    return results


async def reset_offset_by_time(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    try:
        timestamp = parse_timestamp(args.timestamp)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    out.write(
        java_format(
            "rollback consumer offset by specified group[%s], topic[%s], force[%s], "
            "timestamp(string)[%s], timestamp(long)[%s]%n",
            args.group, args.topic, args.force, args.timestamp, timestamp,
        )
    )  # fmt: skip
    route = await admin.topic_route(args.topic)
    results: list[tuple[dict, int]] = []
    for _name, addr in route.masters():
        fields = {"topic": args.topic, "group": args.group, "timestamp": timestamp,
                  "isForce": args.force}  # fmt: skip
        try:
            document = await admin.json_call(
                addr, request(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, fields)
            )
        except CommandError as exc:
            # No consumer online, or a queue it never committed: set each queue directly.
            offline = exc.code == ResponseCode.CONSUMER_NOT_ONLINE or (
                exc.code == ResponseCode.SYSTEM_ERROR
                and ("not online" in str(exc) or "not exist" in str(exc))
            )
            if not offline:
                raise
            results.extend(
                await _reset_offline(admin, addr, args.group, args.topic, timestamp, args.force)
            )
            continue
        results.extend(queue_keyed(document.get("offsetTable") or {}))  # type: ignore[arg-type]
    out.write(java_format("%-40s  %-40s  %-40s%n", "#brokerName", "#queueId", "#offset"))
    for queue, offset in sorted(results, key=lambda row: _queue_sort_key(row[0])):
        out.write(java_format("%-40s  %-40d  %-40d%n", queue.get("brokerName"),
                              int(queue.get("queueId", 0)), int(offset)))  # fmt: skip


COMMANDS = [
    Command("updateSubGroup", "Update or create subscription group", _update_sub_group_args,
            update_sub_group),
    Command("deleteSubGroup", "Delete subscription group from broker.", _delete_sub_group_args,
            delete_sub_group),
    Command("consumerProgress", "Query consumers's progress, speed", _consumer_progress_args,
            consumer_progress),
    Command("consumerConnection",
            "Query consumer's socket connection, client version and subscription",
            _consumer_connection_args, consumer_connection_command),
    Command("producerConnection", "Query producer's socket connection and client version",
            _producer_connection_args, producer_connection),
    Command("resetOffsetByTime", "Reset consumer offset by timestamp(without client restart).",
            _reset_offset_args, reset_offset_by_time),
]  # fmt: skip
