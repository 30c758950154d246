"""Message commands: queryMsgById, queryMsgByKey, queryMsgByUniqueKey, queryMsgByOffset,
sendMessage, consumeMessage, printMsg."""

from __future__ import annotations

import argparse
import os
import socket
import struct
import tempfile
import time

from rocketmq.client.aio import Message, Producer
from rocketmq.client.decode import decode_messages
from rocketmq.client.message import MessageExt
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.message_queue import MessageQueue
from rocketmq.tools.commands_group import queue_keyed
from rocketmq.tools.formats import java_format, message_detail, parse_timestamp
from rocketmq.tools.registry import Command, Output
from rocketmq.tools.rpc import AdminClient, CommandError, request

TOOLS_CONSUMER = "TOOLS_CONSUMER"  # MixAll.TOOLS_CONSUMER_GROUP
TOOLS_PRODUCER = "TOOLS_PRODUCER"
QUERY_MAX_NUM = 64
LONG_MAX = 2**63 - 1
PULL_BATCH = 32
SUBSCRIPTION_FLAG = 0x4  # PullSysFlag: the request carries its own subscription


def decode_offset_msg_id(msg_id: str) -> tuple[str, int]:
    """offsetMsgId -> (store host "ip:port", CommitLog offset); CommandError if malformed."""
    try:
        raw = bytes.fromhex(msg_id)
    except ValueError:
        raise CommandError(f"{msg_id} is not a message id (hex)") from None
    if len(raw) == 16:
        host = socket.inet_ntop(socket.AF_INET, raw[:4])
        port, offset = struct.unpack(">iq", raw[4:])
    elif len(raw) == 28:
        host = "[" + socket.inet_ntop(socket.AF_INET6, raw[:16]) + "]"
        port, offset = struct.unpack(">iq", raw[16:])
    else:
        raise CommandError(f"{msg_id} is not an offsetMsgId (16 or 28 bytes)")
    return f"{host}:{port}", offset


def _body_file(message: MessageExt, suffix: str = "") -> str:
    """Write the body where the Java tool does (/tmp/rocketmq/msgbodys/<msgId>)."""
    folder = os.path.join(tempfile.gettempdir(), "rocketmq", "msgbodys")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, message.msg_id + suffix)
    with open(path, "wb") as handle:
        handle.write(message.body)
    return path


def _print_detail(out: Output, message: MessageExt, suffix: str = "") -> None:
    out.write(message_detail(message, _body_file(message, suffix)))
    out.write(java_format("%n%nWARN: No Consumer"))
    out.write(java_format("%n%n"))


async def query_by_key(
    admin: AdminClient, topic: str, key: str, unique: bool, max_num: int = QUERY_MAX_NUM
) -> list[MessageExt]:
    route = await admin.topic_route(topic)
    found: list[MessageExt] = []
    for broker_name, addr in route.masters():
        fields: dict[str, object] = {
            "topic": topic, "key": key, "maxNum": max_num,
            "beginTimestamp": 0, "endTimestamp": LONG_MAX,
        }  # fmt: skip
        if unique:
            fields["_UNIQUE_KEY_QUERY"] = True
        response = await admin.call(
            addr,
            request(RequestCode.QUERY_MESSAGE, fields),
            ok=(ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND),
        )
        if response.code != ResponseCode.SUCCESS or not response.body:
            continue
        for message in decode_messages(bytes(response.body), broker_name):
            if unique:
                match = message.msg_id == key
            else:
                match = key in (message.keys or "").split(" ")
            if match and message.topic == topic:
                found.append(message)
    return found


# -- queryMsgById / queryMsgByUniqueKey / queryMsgByKey -----------------------------------------


def _by_id_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--msgId", required=True, help="Message Id (offsetMsgId)")


async def query_msg_by_id(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    for msg_id in [item.strip() for item in args.msgId.split(",") if item.strip()]:
        addr, offset = decode_offset_msg_id(msg_id)
        response = await admin.call(
            addr, request(RequestCode.VIEW_MESSAGE_BY_ID, {"offset": offset})
        )
        messages = decode_messages(bytes(response.body or b""))
        if not messages:
            raise CommandError(f"no message. msgId={msg_id}")
        _print_detail(out, messages[0])


def _by_unique_key_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--msgId", required=True, help="Message Id (unique key)")
    parser.add_argument("-t", "--topic", required=True, help="The topic of msg")
    parser.add_argument("-a", "--showAll", action="store_true", help="Print all message")


async def query_msg_by_unique_key(
    admin: AdminClient, args: argparse.Namespace, out: Output
) -> None:
    found = await query_by_key(admin, args.topic, args.msgId, unique=True, max_num=32)
    if not found:
        raise CommandError(f"no message. msgId={args.msgId}")
    found.sort(key=lambda m: m.store_timestamp)
    if args.showAll:
        for index, message in enumerate(found):
            _print_detail(out, message, f"_{index}")
    else:
        _print_detail(out, found[0])


def _by_key_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="topic name")
    parser.add_argument("-k", "--msgKey", required=True, help="Message Key")


async def query_msg_by_key(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    found = await query_by_key(admin, args.topic, args.msgKey, unique=False)
    out.write(java_format("%-50s %4s %40s%n", "#Message ID", "#QID", "#Offset"))
    for message in found:
        out.write(
            java_format("%-50s %4d %40d%n", message.msg_id, message.queue_id, message.queue_offset)
        )


# -- pulling: queryMsgByOffset, printMsg, consumeMessage -------------------------------------------


async def pull(
    admin: AdminClient,
    addr: str,
    broker_name: str,
    topic: str,
    queue_id: int,
    offset: int,
    count: int,
    expression: str = "*",
    group: str = TOOLS_CONSUMER,
) -> tuple[list[MessageExt], int, int]:
    """Up to ``count`` messages from ``offset``: (messages, pull status code, next offset)."""
    fields = {
        "consumerGroup": group, "topic": topic, "queueId": queue_id,
        "queueOffset": offset, "maxMsgNums": count, "sysFlag": SUBSCRIPTION_FLAG, "commitOffset": 0,
        "suspendTimeoutMillis": 0, "subscription": expression, "subVersion": 0,
        "expressionType": "TAG",
    }  # fmt: skip
    response = await admin.call(
        addr,
        request(RequestCode.PULL_MESSAGE, fields),
        ok=(ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND,
            ResponseCode.PULL_RETRY_IMMEDIATELY, ResponseCode.PULL_OFFSET_MOVED),
    )  # fmt: skip
    next_offset = int((response.ext_fields or {}).get("nextBeginOffset", offset))
    if response.code != ResponseCode.SUCCESS:
        return [], response.code, next_offset
    messages = decode_messages(bytes(response.body or b""), broker_name)
    if expression not in ("*", ""):
        tags = {tag.strip() for tag in expression.split("||")}
        messages = [m for m in messages if m.tags in tags]
    return messages, response.code, next_offset


def _by_offset_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="topic name")
    parser.add_argument("-b", "--brokerName", required=True, help="Broker Name")
    parser.add_argument("-i", "--queueId", type=int, required=True, help="Queue Id")
    parser.add_argument("-o", "--offset", type=int, required=True, help="Queue Offset")


async def query_msg_by_offset(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    route = await admin.topic_route(args.topic)
    addr = route.master_of(args.brokerName)
    if addr is None:
        raise CommandError(f"broker {args.brokerName} does not serve topic {args.topic}")
    messages, _code, _next = await pull(
        admin, addr, args.brokerName, args.topic, args.queueId, args.offset, 1
    )
    if not messages:
        raise CommandError(
            f"no message at {args.topic}/{args.brokerName}/{args.queueId} offset {args.offset}"
        )
    _print_detail(out, messages[0])


async def _queue_ranges(admin: AdminClient, topic: str) -> list[tuple[str, str, int, int, int]]:
    """(brokerName, addr, queueId, minOffset, maxOffset) of every queue of ``topic``."""
    route = await admin.topic_route(topic)
    ranges = []
    for broker_name, addr in route.masters():
        stats = await admin.json_call(
            addr, request(RequestCode.GET_TOPIC_STATS_INFO, {"topic": topic})
        )
        for queue, offsets in queue_keyed(stats.get("offsetTable") or {}):
            ranges.append((broker_name, addr, int(queue["queueId"]),
                           int(offsets.get("minOffset") or 0),  # type: ignore[union-attr]
                           int(offsets.get("maxOffset") or 0)))  # type: ignore[union-attr]  # fmt: skip
    return ranges


def _print_msg_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="topic name")
    parser.add_argument("-c", "--charsetName", default="UTF-8", help="CharsetName(eg: UTF-8,GBK)")
    parser.add_argument("-s", "--subExpression", default="*", help="Subscribe Expression")
    parser.add_argument(
        "-b", "--beginTimestamp", help="Begin timestamp [ms|yyyy-MM-dd#HH:mm:ss:SSS]"
    )
    parser.add_argument("-e", "--endTimestamp", help="End timestamp[ms|yyyy-MM-dd#HH:mm:ss:SSS]")
    parser.add_argument("-d", "--printBody", default="true", help="print body (true|false)")


def _body_text(message: MessageExt, charset: str, print_body: bool) -> str:
    if not print_body:
        return "NOT PRINT BODY"
    try:
        return message.body.decode(charset, errors="replace")
    except LookupError:
        raise CommandError(f"unknown charset {charset}") from None


def _time_range(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """``--beginTimestamp`` / ``--endTimestamp`` in ms (None when not given)."""
    try:
        begin = parse_timestamp(args.beginTimestamp) if args.beginTimestamp else None
        end = parse_timestamp(args.endTimestamp) if args.endTimestamp else None
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return begin, end


async def print_msg(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    begin, end = _time_range(args)
    print_body = args.printBody.strip().lower() != "false"
    for broker_name, addr, queue_id, min_offset, max_offset in await _queue_ranges(
        admin, args.topic
    ):
        queue = f"MessageQueue [topic={args.topic}, brokerName={broker_name}, queueId={queue_id}]"
        out.write(java_format("minOffset=%s, maxOffset=%s, %s%n", min_offset, max_offset, queue))
        offset = min_offset
        status = "NO_NEW_MSG"
        while offset < max_offset:
            messages, code, next_offset = await pull(
                admin, addr, broker_name, args.topic, queue_id, offset, PULL_BATCH,
                args.subExpression,
            )  # fmt: skip
            status = "FOUND" if code == ResponseCode.SUCCESS else "NO_MATCHED_MSG"
            for message in messages:
                if begin is not None and message.store_timestamp < begin:
                    continue
                if end is not None and message.store_timestamp > end:
                    continue
                _print_line(out, message, _body_text(message, args.charsetName, print_body))
            if next_offset <= offset:
                break
            offset = next_offset
        out.write(java_format("%s print msg finished. status=%s, offset=%s%n", queue, status,
                              offset))  # fmt: skip
        out.write("--------------------------------------------------------\n")


def _print_line(out: Output, message: MessageExt, body: str) -> None:
    out.write(java_format("MSGID: %s %s BODY: %s%n", message.msg_id, _summary(message), body))


def _summary(message: MessageExt) -> str:
    """MessageExt.toString, shortened to what identifies a message."""
    return (
        f"MessageExt [brokerName={message.broker_name}, queueId={message.queue_id}, "
        f"storeSize={message.store_size}, queueOffset={message.queue_offset}, "
        f"sysFlag={message.sys_flag}, bornTimestamp={message.born_timestamp}, "
        f"bornHost={message.born_host}, storeTimestamp={message.store_timestamp}, "
        f"storeHost={message.store_host}, msgId={message.offset_msg_id}, "
        f"commitLogOffset={message.commit_log_offset}, reconsumeTimes={message.reconsume_times}, "
        f"Message=[topic={message.topic}, flag={message.flag}, properties={message.properties}]]"
    )


def _consume_message_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="Topic name")
    parser.add_argument("-b", "--brokerName", help="Broker name")
    parser.add_argument("-i", "--queueId", type=int, help="Queue Id")
    parser.add_argument("-o", "--offset", type=int, help="Queue offset")
    parser.add_argument("-g", "--consumerGroup", default=TOOLS_CONSUMER, help="Consumer group")
    parser.add_argument(
        "-s", "--beginTimestamp", help="Begin timestamp [currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"
    )
    parser.add_argument(
        "-e", "--endTimestamp", help="End timestamp [currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"
    )
    parser.add_argument("-c", "--MessageNumber", type=int, default=128, help="Number of messages")


async def consume_message(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    if args.MessageNumber <= 0:
        raise CommandError("Please input a positive messageNumber!")
    if args.queueId is not None and not args.brokerName:
        raise CommandError("Please set the brokerName before queueId!")
    if args.offset is not None and args.queueId is None:
        raise CommandError("Please set queueId before offset!")
    begin, end = _time_range(args)
    now = int(time.time() * 1000)
    if (begin is not None and begin > now) or (end is not None and end > now):
        raise CommandError("Please set the beginTimestamp and endTimestamp before now!")
    if begin is not None and end is not None and begin > end:
        raise CommandError(
            "Please make sure that the beginTimestamp is less than or equal to the endTimestamp"
        )
    left = args.MessageNumber
    for broker_name, addr, queue_id, min_offset, max_offset in await _queue_ranges(
        admin, args.topic
    ):
        if args.brokerName and broker_name != args.brokerName:
            continue
        if args.queueId is not None and queue_id != args.queueId:
            continue
        # searchOffset narrows the queue (4.x brokers answer the nearest message, 5.x and
        # ours the first at or after the time: both bounds are kept inclusive), then the
        # store times decide.
        if begin is not None:
            min_offset = await admin.search_offset(addr, args.topic, queue_id, begin)
        if end is not None:
            found = await admin.search_offset(addr, args.topic, queue_id, end)
            max_offset = min(max_offset, found + 1)
        offset = max(min_offset, args.offset) if args.offset is not None else min_offset
        while left > 0 and offset < max_offset:
            count = min(left, PULL_BATCH, max_offset - offset)
            messages, _code, next_offset = await pull(
                admin, addr, broker_name, args.topic, queue_id, offset, count,
                group=args.consumerGroup,
            )  # fmt: skip
            for message in messages[:count]:  # a broker may return more than asked
                if message.queue_offset >= max_offset:
                    break
                if (begin is not None and message.store_timestamp < begin) or (
                    end is not None and message.store_timestamp > end
                ):
                    continue
                _print_line(out, message, _body_text(message, "UTF-8", True))
                left -= 1
            if next_offset <= offset:
                break
            offset = next_offset
    out.write("Consume ok\n")


# -- sendMessage -------------------------------------------------------------------------------


def _send_message_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--topic", required=True, help="Topic name")
    parser.add_argument("-p", "--body", required=True, help="UTF-8 string format of the body")
    parser.add_argument("-k", "--key", help="Message keys")
    parser.add_argument("-c", "--tags", help="Message tags")
    parser.add_argument("-b", "--broker", help="Send message to target broker")
    parser.add_argument("-i", "--qid", type=int, help="Send message to target queue")


async def send_message(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    if args.qid is not None and not args.broker:
        raise CommandError("Broker name must be set if the queue is chosen!")
    message = Message(args.topic, args.body.encode("utf-8"), tags=args.tags, keys=args.key)
    layout = "%-32s  %-4s  %-20s    %s%n"
    out.write(java_format(layout, "#Broker Name", "#QID", "#Send Result", "#MsgId"))
    producer = Producer(TOOLS_PRODUCER, admin.namesrv_addrs, instance_name=f"mqadmin{os.getpid()}")
    try:
        await producer.start()
        queue = None
        if args.broker:
            queue = MessageQueue(args.topic, args.broker, args.qid if args.qid is not None else 0)
        result = await producer.send(message, queue=queue)
    except Exception as exc:  # BrokerError / RemotingError from the client
        out.write(java_format(layout, "Unknown", "Unknown", "Failed", "None"))
        raise CommandError(f"send failed: {exc}") from None
    finally:
        await producer.shutdown()
    queue_used = result.message_queue
    out.write(java_format(layout, queue_used.broker_name, queue_used.queue_id,
                          result.status.name, result.msg_id))  # fmt: skip


COMMANDS = [
    Command("queryMsgById", "Query Message by Id", _by_id_args, query_msg_by_id),
    Command("queryMsgByKey", "Query Message by Key", _by_key_args, query_msg_by_key),
    Command("queryMsgByUniqueKey", "Query Message by Unique key", _by_unique_key_args,
            query_msg_by_unique_key),
    Command("queryMsgByOffset", "Query Message by offset", _by_offset_args, query_msg_by_offset),
    Command("sendMessage", "Send a message", _send_message_args, send_message),
    Command("consumeMessage", "Consume message", _consume_message_args, consume_message),
    Command("printMsg", "Print Message Detail", _print_msg_args, print_msg),
]  # fmt: skip
