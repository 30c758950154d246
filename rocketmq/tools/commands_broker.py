"""Cluster and broker commands: clusterList, brokerStatus, getBrokerConfig, updateBrokerConfig."""

from __future__ import annotations

import argparse
import time

from rocketmq.common.codes import RequestCode
from rocketmq.common.properties_file import parse_properties
from rocketmq.tools.formats import java_format
from rocketmq.tools.registry import Command, Output
from rocketmq.tools.rpc import AdminClient, CommandError, request


async def runtime_info(admin: AdminClient, addr: str) -> dict[str, str]:
    document = await admin.json_call(addr, request(RequestCode.GET_BROKER_RUNTIME_INFO))
    return {str(k): str(v) for k, v in (document.get("table") or {}).items()}


def _number(table: dict[str, str], key: str) -> float:
    try:
        return float(table.get(key, "0").split()[0])
    except (ValueError, IndexError):
        return 0.0


# -- clusterList -------------------------------------------------------------------------------


def _cluster_list_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--moreStats", action="store_true", help="Print more stats")


async def cluster_list(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    cluster = await admin.cluster_info()
    if args.moreStats:
        layout = "%-16s  %-32s %14s %14s %14s %14s%n"
        out.write(java_format(layout, "#Cluster Name", "#Broker Name", "#InTotalYest",
                              "#OutTotalYest", "#InTotalToday", "#OutTotalToday"))  # fmt: skip
    else:
        layout = "%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s%n"
        out.write(java_format(layout, "#Cluster Name", "#Broker Name", "#BID", "#Addr",
                              "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)", "#PCWait(ms)",
                              "#Hour", "#SPACE"))  # fmt: skip
    for cluster_name in sorted(cluster.clusters):
        for broker_name in sorted(cluster.clusters[cluster_name]):
            broker = cluster.brokers.get(broker_name)
            if broker is None:
                continue
            for broker_id, addr in sorted(broker.addrs.items()):
                try:
                    table = await runtime_info(admin, addr)
                except CommandError:
                    table = {}
                if args.moreStats:
                    totals = [
                        int(_number(table, f"msg{kind}Total{when}Now"))
                        - int(_number(table, f"msg{kind}Total{when}Morning"))
                        for kind, when in (("Put", "Yesterday"), ("Get", "Yesterday"),
                                           ("Put", "Today"), ("Get", "Today"))
                    ]  # fmt: skip
                    out.write(java_format("%-16s  %-32s %14d %14d %14d %14d%n", cluster_name,
                                          broker_name, *totals))  # fmt: skip
                    continue
                earliest = int(_number(table, "earliestMessageTimeStamp"))
                hours = (int(_now_ms()) - earliest) / 3600000.0 if earliest > 0 else 0.0
                in_tps = java_format(
                    "%9.2f(%s,%sms)",
                    _number(table, "putTps"),
                    table.get("sendThreadPoolQueueSize", "0"),
                    table.get("sendThreadPoolQueueHeadWaitTimeMills", "0"),
                )
                out_tps = java_format(
                    "%9.2f(%s,%sms)",
                    _number(
                        table,
                        "getTransferedTps" if "getTransferedTps" in table else "getTransferredTps",
                    ),  # 4.x key, else 5.x's
                    table.get("pullThreadPoolQueueSize", "0"),
                    table.get("pullThreadPoolQueueHeadWaitTimeMills", "0"),
                )
                out.write(
                    java_format(
                        layout, cluster_name, broker_name, broker_id, addr,
                        table.get("brokerVersionDesc", ""), in_tps, out_tps,
                        table.get("pageCacheLockTimeMills", "0"), java_format("%.2f", hours),
                        java_format("%.4f", _number(table, "commitLogDiskRatio")),
                    )
                )  # fmt: skip


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- brokerStatus ------------------------------------------------------------------------------


def _broker_status_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("-b", "--brokerAddr", help="Broker address")
    where.add_argument("-c", "--clusterName", help="which cluster")


async def broker_status(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    if args.brokerAddr:
        table = await runtime_info(admin, args.brokerAddr)
        for key in sorted(table):
            out.write(java_format("%-32s: %s%n", key, table[key]))
        return
    cluster = await admin.cluster_info()
    for addr in cluster.addrs_of(args.clusterName):
        table = await runtime_info(admin, addr)
        for key in sorted(table):
            out.write(java_format("%-24s %-32s: %s%n", addr, key, table[key]))


# -- getBrokerConfig / updateBrokerConfig --------------------------------------------------------


def _where_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("-b", "--brokerAddr", help="broker address")
    where.add_argument("-c", "--clusterName", help="cluster name")


async def broker_config(admin: AdminClient, addr: str) -> dict[str, str]:
    response = await admin.call(addr, request(RequestCode.GET_BROKER_CONFIG))
    return parse_properties((response.body or b"").decode("utf-8"))


def _print_config(out: Output, addr: str, config: dict[str, str]) -> None:
    if not config:
        out.write(java_format("Broker[%s] has no config property!\n", addr))
        return
    for key in sorted(config):
        out.write(java_format("%-50s=  %s\n", key, config[key]))
    out.write(java_format("%n"))


async def get_broker_config(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    if args.brokerAddr:
        out.write(java_format("============%s============\n", args.brokerAddr))
        _print_config(out, args.brokerAddr, await broker_config(admin, args.brokerAddr))
        return
    cluster = await admin.cluster_info()
    if args.clusterName not in cluster.clusters:
        raise CommandError(f"cluster [{args.clusterName}] not exist")
    for broker_name in sorted(cluster.clusters[args.clusterName]):
        addrs = cluster.brokers[broker_name].addrs
        master = addrs.get(0)
        if master is not None:
            out.write(java_format("============Master: %s============\n", master))
            _print_config(out, master, await broker_config(admin, master))
        for broker_id, addr in sorted(addrs.items()):
            if broker_id == 0:
                continue
            out.write(
                java_format("============My Master: %s=====Slave: %s============\n", master, addr)
            )
            _print_config(out, addr, await broker_config(admin, addr))


def _update_broker_config_args(parser: argparse.ArgumentParser) -> None:
    _where_args(parser)
    parser.add_argument("-k", "--key", required=True, help="config key")
    parser.add_argument("-v", "--value", required=True, help="config value")


async def update_broker_config(admin: AdminClient, args: argparse.Namespace, out: Output) -> None:
    body = f"{args.key}={args.value}\n".encode()
    if args.brokerAddr:
        addrs = [args.brokerAddr]
    else:
        addrs = (await admin.cluster_info()).addrs_of(args.clusterName)
    for addr in addrs:
        await admin.call(addr, request(RequestCode.UPDATE_BROKER_CONFIG, body=body))
        out.write(java_format("update broker config success, %s\n", addr))


COMMANDS = [
    Command("clusterList", "List all of clusters", _cluster_list_args, cluster_list),
    Command("brokerStatus", "Fetch broker runtime status data", _broker_status_args,
            broker_status),
    Command("getBrokerConfig", "Get broker config by cluster or special broker!", _where_args,
            get_broker_config),
    Command("updateBrokerConfig", "Update broker's config", _update_broker_config_args,
            update_broker_config),
]  # fmt: skip
