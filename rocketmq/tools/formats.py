"""Printing helpers shared by the mqadmin commands: Java's printf layouts in Python.

``java_format`` understands the conversions the Java tools use (``%-20s``,
``%4d``, ``%.2f``, ``%n``) so each table keeps the exact format string of
its upstream command.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from rocketmq.client.message import MessageExt

_CONVERSION = re.compile(r"%(-?)(\d*)(?:\.(\d+))?([sdfn%])")


def java_format(fmt: str, *args: object) -> str:
    values = iter(args)

    def one(match: re.Match) -> str:
        left, width, precision, kind = match.groups()
        if kind == "n":
            return "\n"
        if kind == "%":
            return "%"
        value = next(values)
        if kind == "f":
            text = f"{float(value):.{int(precision or 6)}f}"  # type: ignore[arg-type]
        elif kind == "d":
            text = str(int(value))  # type: ignore[call-overload]
        else:
            text = _java_str(value)
        if width:
            text = text.ljust(int(width)) if left else text.rjust(int(width))
        return text

    return _CONVERSION.sub(one, fmt)


def _java_str(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def time_millis_to_human(ms: int) -> str:
    """UtilAll.timeMillisToHumanString2: ``yyyy-MM-dd HH:mm:ss,SSS`` in local time."""
    moment = datetime.datetime.fromtimestamp(ms / 1000)
    return moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{ms % 1000:03d}"


def time_millis_to_date(ms: int) -> str:
    """``yyyy-MM-dd HH:mm:ss`` (consumerProgress #LastTime)."""
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def parse_timestamp(text: str) -> int:
    """``now``, epoch ms, or ``yyyy-MM-dd#HH:mm:ss:SSS`` (the tools' timestamp flags)."""
    text = text.strip()
    if text == "now":
        return int(datetime.datetime.now().timestamp() * 1000)
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.datetime.strptime(text, "%Y-%m-%d#%H:%M:%S:%f")
    except ValueError:
        raise ValueError(
            f"bad timestamp {text!r}: use now, milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS"
        ) from None
    return int(moment.timestamp() * 1000)


# MQVersion.Version: ordinal -> name. Each release x.y.z has a _SNAPSHOT before it;
# 3.0.0 has its alpha/beta run, and some 3.x minors start at patch 1.
def _version_names() -> Iterator[str]:
    yield from ("V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1")
    for beta in range(1, 10):
        if beta >= 6:
            yield f"V3_0_0_BETA{beta}_SNAPSHOT"
        yield f"V3_0_0_BETA{beta}"
    yield "V3_0_0_FINAL"
    patches = {(3, 0): range(1, 16), (3, 1): range(10), (3, 2): range(10)}
    for major in (3, 4, 5):
        for minor in range(10):
            default = range(1, 10) if major == 3 else range(10)
            for patch in patches.get((major, minor), default):
                yield f"V{major}_{minor}_{patch}_SNAPSHOT"
                yield f"V{major}_{minor}_{patch}"
    yield "HIGHER_VERSION"


VERSION_NAMES = tuple(_version_names())


def version_desc(ordinal: int) -> str:
    """MQVersion.getVersionDesc."""
    if 0 <= ordinal < len(VERSION_NAMES):
        return VERSION_NAMES[ordinal]
    return VERSION_NAMES[-1]


def message_detail(message: MessageExt, body_path: str | None) -> str:
    """The block queryMsgById / queryMsgByUniqueKey / queryMsgByOffset print."""
    rows = [
        ("OffsetID:", message.offset_msg_id),
        ("Topic:", message.topic),
        ("Tags:", f"[{message.tags}]"),
        ("Keys:", f"[{message.keys}]"),
        ("Queue ID:", message.queue_id),
        ("Queue Offset:", message.queue_offset),
        ("CommitLog Offset:", message.commit_log_offset),
        ("Reconsume Times:", message.reconsume_times),
        ("Born Timestamp:", time_millis_to_human(message.born_timestamp)),
        ("Store Timestamp:", time_millis_to_human(message.store_timestamp)),
        ("Born Host:", message.born_host),
        ("Store Host:", message.store_host),
        ("System Flag:", message.sys_flag),
        ("Properties:", _java_map(message.properties)),
        ("Message Body Path:", body_path),
    ]
    return "".join(java_format("%-20s %s%n", name, value) for name, value in rows)


def _java_map(properties: dict[str, str]) -> str:
    """HashMap.toString: ``{k=v, k2=v2}``."""
    return "{" + ", ".join(f"{k}={v}" for k, v in properties.items()) + "}"
