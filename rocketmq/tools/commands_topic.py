"""Topic commands: updateTopic, deleteTopic, topicList, topicRoute, topicStatus."""

from __future__ import annotations

import argparse
import json

from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode
from rocketmq.tools.formats import java_format, time_millis_to_human
from rocketmq.tools.registry import Command, Output, java_bool
from rocketmq.tools.rpc import AdminClient, CommandError, request

DEFAULT_TOPIC = "TBW102"  # TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC


def _perm_text(perm: int) -> str:
    """PermName.perm2String."""
    return (
        ("R" if perm & 0x4 else "-") + ("W" if perm & 0x2 else "-") + ("X" if perm & 0x1 else "-")
    )


# -- updateTopic -------------------------------------------------------------------------------


def _update_topic_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("-b", "--brokerAddr", help="create topic to which broker")
    where.add_argument("-c", "--clusterName", help="create topic to which cluster")
    parser.add_argument("-t", "--topic", required=True, help="topic name")
    parser.add_argument("-r", "--readQueueNums", type=int, default=8, help="set read queue nums")
    parser.add_argument("-w", "--writeQueueNums", type=int, default=8, help="set write queue nums")
    parser.add_argument(
        "-p", "--perm", type=int, default=6, help="set topic's permission(2|4|6), [2:W 4:R; 6:RW]"
    )
    parser.add_argument("-o", "--order", type=java_bool, default=False, help="(true|false)")


async def update_topic(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    if args.perm not in (2, 4, 6):
        raise CommandError(f"perm must be 2, 4 or 6, not {args.perm}")
    fields = {
        "topic": args.topic,
        "defaultTopic": DEFAULT_TOPIC,
        "readQueueNums": args.readQueueNums,
        "writeQueueNums": args.writeQueueNums,
        "perm": args.perm,
        "topicFilterType": "SINGLE_TAG",
        "topicSysFlag": 0,
        "order": args.order,
    }
    config = (
        f"TopicConfig [topicName={args.topic}, readQueueNums={args.readQueueNums}, "
        f"writeQueueNums={args.writeQueueNums}, perm={_perm_text(args.perm)}, "
        f"topicFilterType=SINGLE_TAG, topicSysFlag=0, order={java_bool_text(args.order)}]"
    )
    for addr in await admin.broker_addrs(args.brokerAddr, args.clusterName):
        await admin.call(addr, request(RequestCode.UPDATE_AND_CREATE_TOPIC, fields))
        out.write(java_format("create topic to %s success.%n", addr))
    out.write(java_format("%s%n", config))


def java_bool_text(value: bool) -> str:
    return "true" if value else "false"


# -- deleteTopic -------------------------------------------------------------------------------


def _delete_topic_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="topic name")
    parser.add_argument(
        "-c", "--clusterName", required=True, help="delete topic from which cluster"
    )


async def delete_topic(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    cluster = await admin.cluster_info()
    for addr in cluster.masters_of(args.clusterName):
        await admin.call(addr, request(RequestCode.DELETE_TOPIC_IN_BROKER, {"topic": args.topic}))
    out.write(
        java_format("delete topic [%s] from cluster [%s] success.%n", args.topic, args.clusterName)
    )
    await admin.delete_topic_in_namesrv(args.topic, args.clusterName)
    out.write(java_format("delete topic [%s] from NameServer success.%n", args.topic))


# -- topicList ---------------------------------------------------------------------------------


def _topic_list_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--clusterModel", action="store_true", help="print cluster and consumer groups"
    )


async def topic_list(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    topics = await admin.topic_list()
    if not args.clusterModel:
        for topic in topics:
            out.write(java_format("%s%n", topic))
        return
    cluster = await admin.cluster_info()
    cluster_of = {name: data.cluster for name, data in cluster.brokers.items()}
    out.write(java_format("%-20s  %-48s  %-48s%n", "#Cluster Name", "#Topic", "#Consumer Group"))
    for topic in topics:
        if topic.startswith(("%RETRY%", "%DLQ%")):
            continue
        try:
            route = await admin.topic_route(topic)
        except CommandError:
            continue
        clusters = sorted({cluster_of.get(b.broker_name, "") for b in route.brokers})
        groups: set[str] = set()
        for _name, addr in route.masters():
            try:
                document = await admin.json_call(
                    addr, request(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {"topic": topic})
                )
            except CommandError:
                continue
            groups.update(document.get("groupList") or [])
        for group in sorted(groups) or [""]:
            out.write(java_format("%-20s  %-64s  %-64s%n", ",".join(clusters), topic, group))


# -- topicRoute --------------------------------------------------------------------------------


def _topic_route_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="topic name")
    parser.add_argument("-l", "--list", action="store_true", help="use list format to print data")


async def topic_route(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    route = await admin.topic_route(args.topic)
    if not args.list:
        out.write(java_format("%s%n", json.dumps(route.raw, indent="\t", ensure_ascii=False)))
        return
    layout = "%-45s %-32s %-50s %-10s %-11s %-5s%n"
    out.write(
        java_format(
            layout, "#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue",
            "#Perm",
        )
    )  # fmt: skip
    queues = {item.get("brokerName"): item for item in route.queues}
    total_read = total_write = 0
    for broker in sorted(route.brokers, key=lambda b: b.broker_name):
        queue = queues.get(broker.broker_name, {})
        read = int(queue.get("readQueueNums", 0))
        write = int(queue.get("writeQueueNums", 0))
        total_read += read
        total_write += write
        addrs = "{" + ", ".join(f"{k}={v}" for k, v in sorted(broker.addrs.items())) + "}"
        out.write(
            java_format(
                layout, broker.cluster, broker.broker_name, addrs, read, write,
                queue.get("perm", ""),
            )
        )  # fmt: skip
    out.write(java_format("%n"))
    out.write(java_format(layout, "Total:", len(route.brokers), "", total_read, total_write, ""))


# -- topicStatus -------------------------------------------------------------------------------


def _topic_status_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="topic name")


async def topic_status(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    route = await admin.topic_route(args.topic)
    rows = []
    for broker_name, addr in route.masters():
        document = await admin.call(
            addr, request(RequestCode.GET_TOPIC_STATS_INFO, {"topic": args.topic})
        )
        table = json_body.loads(document.body or b"{}").get("offsetTable") or {}
        for key, stats in table.items():
            queue = json_body.loads(key) if isinstance(key, str) else key
            rows.append((queue.get("brokerName", broker_name), int(queue["queueId"]), stats))
    rows.sort(key=lambda row: (row[0], row[1]))
    layout = "%-32s  %-4s  %-20s  %-20s    %s%n"
    out.write(
        java_format(layout, "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated")
    )
    for broker_name, queue_id, stats in rows:
        updated = int(stats.get("lastUpdateTimestamp") or 0)
        out.write(
            java_format(
                "%-32s  %-4d  %-20d  %-20d    %s%n",
                broker_name,
                queue_id,
                int(stats.get("minOffset") or 0),
                int(stats.get("maxOffset") or 0),
                time_millis_to_human(updated) if updated > 0 else "",
            )
        )


COMMANDS = [
    Command("updateTopic", "Update or create topic", _update_topic_args, update_topic),
    Command("deleteTopic", "Delete topic from broker and NameServer.", _delete_topic_args,
            delete_topic),
    Command("topicList", "Fetch all topic list from name server", _topic_list_args, topic_list),
    Command("topicRoute", "Examine topic route info", _topic_route_args, topic_route),
    Command("topicStatus", "Examine topic Status info", _topic_status_args, topic_status),
]  # fmt: skip
