"""Master/slave replication (store/ha) between real brokers in this process.

The slave (LocalCluster ``slave=True``) learns the master's HA address from
the NameServer, copies the CommitLog byte for byte and serves pulls from the
ConsumeQueues its own dispatcher builds. It copies the master's topics,
groups, consumer and delay offsets (broker/slave_sync.py) and answers pulls
by the slave rules of broker/processor/pull.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from rocketmq._testbase.cluster import LocalCluster
from rocketmq.broker.config import broker_config_from_properties
from rocketmq.broker.config_file import read_config_file
from rocketmq.broker.controller import BrokerController
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient
from rocketmq.store.commit_log import CommitLog
from rocketmq.store.config import SLAVE, SYNC_MASTER, MessageStoreConfig
from rocketmq.store.ha import codec
from rocketmq.store.message_store import MessageStore
from tests.test_broker_base import (
    FLAG_COMMIT_OFFSET,
    FLAG_SUBSCRIPTION,
    RemotingCommand,
    properties,
    pull_request,
    send_request,
    split_records,
)

TOPIC = "HaTopic"
SEGMENT_SIZE = 64 * 1024  # small CommitLog segments: replication crosses their ends
BODY = bytes(range(256)) * 4  # 1 KiB; ~60 messages fill a segment


def _cluster(
    root: Path, *, slave: bool = True, slave_overrides: dict | None = None, **broker_overrides
) -> LocalCluster:
    slave_overrides = slave_overrides or {}
    store = {"commit_log_file_size": SEGMENT_SIZE, **broker_overrides.pop("store", {})}
    return LocalCluster(
        root,
        slave=slave,
        broker_overrides=broker_overrides,
        store_overrides=store,
        slave_overrides={"slave_sync_interval_ms": 100, **slave_overrides},
        slave_store_overrides={
            "commit_log_file_size": SEGMENT_SIZE,
            "ha_connect_retry_interval_ms": 100,
        },
    )


async def _send(client: RemotingClient, addr: str, count: int, start: int = 0) -> list:
    responses = []
    for number in range(start, start + count):
        body = BODY + number.to_bytes(4, "big")
        request = send_request(
            TOPIC, body, queue_id=number % 2, props=properties("TagA", KEYS=f"key-{number}")
        )
        responses.append(await client.invoke(addr, request))
    return responses


async def _until(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def _caught_up(master: BrokerController, slave: BrokerController) -> None:
    def level() -> bool:
        return (
            slave.store.commit_log.max_offset == master.store.commit_log.max_offset
            and slave.store.reput.behind == 0
        )

    await _until(level)


def _segments(commit_log: CommitLog) -> dict[str, bytes]:
    return {m.path.name: bytes(m.map[: m.wrote]) for m in commit_log.queue.files}


def _assert_identical(master: BrokerController, slave: BrokerController) -> None:
    master_segments = _segments(master.store.commit_log)
    assert len(master_segments) >= 2  # the stream crossed a segment end (blank record)
    assert _segments(slave.store.commit_log) == master_segments


async def _pull_all(client: RemotingClient, addr: str, queue_id: int) -> list:
    records: list = []
    while True:
        request = pull_request(TOPIC, queue_id, len(records), max_msg_nums=32)
        response = await client.invoke(addr, request)
        if response.code != ResponseCode.SUCCESS:
            assert response.code == ResponseCode.PULL_NOT_FOUND, response.remark
            return records
        records.extend(split_records(response.body))


async def _slave_has_the_topic(cluster: LocalCluster) -> None:
    # The send created it on the master; the slave copies it (GET_ALL_TOPIC_CONFIG).
    await _until(lambda: cluster.slave.topic_config_manager.select(TOPIC) is not None)


async def test_slave_copies_commit_log_and_serves_pulls(tmp_path: Path) -> None:
    async with _cluster(tmp_path) as cluster, RemotingClient() as client:
        master, slave = cluster.broker, cluster.slave
        responses = await _send(client, cluster.broker_addr, 100)
        assert {r.code for r in responses} == {ResponseCode.SUCCESS}
        await _caught_up(master, slave)
        _assert_identical(master, slave)

        await _slave_has_the_topic(cluster)
        for queue_id in (0, 1):
            from_master = await _pull_all(client, cluster.broker_addr, queue_id)
            from_slave = await _pull_all(client, cluster.slave_addr, queue_id)
            assert len(from_slave) == 50
            assert [r.body for r in from_slave] == [r.body for r in from_master]
            assert [r.physical_offset for r in from_slave] == [
                r.physical_offset for r in from_master
            ]
        # The slave's dispatcher indexed the keys too.
        found = slave.store.query_message(TOPIC, "key-99", 4, 0, 2**62)
        assert [r.physical_offset for r in found] == [from_master[-1].physical_offset]

        # Both addresses under one brokerName.
        request = RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": TOPIC})
        response = await client.invoke(cluster.namesrv_addr, request)
        assert response.code == ResponseCode.SUCCESS, response.remark
        (broker_data,) = json_body.loads(response.body)["brokerDatas"]
        assert broker_data["brokerName"] == "broker-a"
        assert broker_data["brokerAddrs"] == {"0": cluster.broker_addr, "1": cluster.slave_addr}


async def test_slave_refuses_sends(tmp_path: Path) -> None:
    async with _cluster(tmp_path) as cluster, RemotingClient() as client:
        (response,) = await _send(client, cluster.slave_addr, 1)
        assert response.code == ResponseCode.SERVICE_NOT_AVAILABLE
        assert cluster.slave.store.commit_log.max_offset == 0


async def test_slave_restart_catches_up(tmp_path: Path) -> None:
    async with _cluster(tmp_path) as cluster, RemotingClient() as client:
        await _send(client, cluster.broker_addr, 30)
        await _caught_up(cluster.broker, cluster.slave)
        await cluster.stop_slave()
        await _send(client, cluster.broker_addr, 70, start=30)
        await cluster.start_slave()
        await _caught_up(cluster.broker, cluster.slave)
        _assert_identical(cluster.broker, cluster.slave)
        await _slave_has_the_topic(cluster)
        bodies = [r.body for r in await _pull_all(client, cluster.slave_addr, 1)]
        assert bodies == [BODY + n.to_bytes(4, "big") for n in range(1, 100, 2)]


async def test_master_restart_slave_resumes(tmp_path: Path) -> None:
    async with _cluster(tmp_path) as cluster, RemotingClient() as client:
        await _send(client, cluster.broker_addr, 40)
        await _caught_up(cluster.broker, cluster.slave)
        await cluster.restart_broker()
        await _send(client, cluster.broker_addr, 60, start=40)
        await _caught_up(cluster.broker, cluster.slave)
        _assert_identical(cluster.broker, cluster.slave)


async def test_heartbeats_keep_an_idle_link(tmp_path: Path) -> None:
    beats = {"ha_send_heartbeat_interval_ms": 100, "ha_housekeeping_interval_ms": 1500}
    cluster = LocalCluster(
        tmp_path,
        slave=True,
        store_overrides=beats,
        slave_store_overrides={**beats, "ha_connect_retry_interval_ms": 100},
    )
    async with cluster, RemotingClient() as client:
        ha_service = cluster.broker.store.ha_service
        await _until(lambda: ha_service.connections)
        (link,) = ha_service.connections
        await asyncio.sleep(2.5)  # idle past housekeeping: only heartbeats cross, both ways
        assert ha_service.connections == {link}
        assert cluster.slave.store.ha_client.connected
        await _send(client, cluster.broker_addr, 3)
        await _caught_up(cluster.broker, cluster.slave)
        assert link.slave_ack_offset == cluster.broker.store.commit_log.max_offset


async def test_sync_master_waits_for_the_slave(tmp_path: Path) -> None:
    async with _cluster(tmp_path, broker_role=SYNC_MASTER) as cluster, RemotingClient() as client:
        ha_service = cluster.broker.store.ha_service
        await _until(lambda: ha_service.connections and cluster.slave.store.ha_client.connected)
        responses = await _send(client, cluster.broker_addr, 5)
        assert [r.code for r in responses] == [ResponseCode.SUCCESS] * 5
        # SUCCESS means the slave had the bytes already.
        assert ha_service.push_to_slave_max_offset == cluster.broker.store.commit_log.max_offset


async def test_sync_master_without_slave(tmp_path: Path) -> None:
    async with _cluster(tmp_path, slave=False, broker_role=SYNC_MASTER) as cluster:
        async with RemotingClient() as client:
            (response,) = await _send(client, cluster.broker_addr, 1)
        assert response.code == ResponseCode.SLAVE_NOT_AVAILABLE
        assert response.ext_fields["msgId"]  # stored all the same
        assert cluster.broker.store.commit_log.max_offset > 0


async def test_sync_master_with_a_stalled_slave(tmp_path: Path) -> None:
    overrides = {"broker_role": SYNC_MASTER, "store": {"sync_flush_timeout_ms": 300}}
    async with _cluster(tmp_path, slave=False, **overrides) as cluster:
        master = cluster.broker
        ha_service = master.store.ha_service
        # A slave speaking the wire protocol by hand: one report, then silence.
        reader, writer = await asyncio.open_connection("127.0.0.1", ha_service.port)
        try:
            writer.write(codec.pack_report(0))
            await writer.drain()
            await _until(lambda: ha_service.connections)
            async with RemotingClient() as client:
                started = time.monotonic()
                (response,) = await _send(client, cluster.broker_addr, 1)
                elapsed_s = time.monotonic() - started
            assert response.code == ResponseCode.FLUSH_SLAVE_TIMEOUT
            assert 0.25 <= elapsed_s < 5
            # The master streamed the record all the same: header, then the bytes.
            offset, size = codec.unpack_header(await reader.readexactly(codec.HEADER_SIZE))
            assert (offset, size) == (0, master.store.commit_log.max_offset)
            assert (
                await reader.readexactly(size)
                == _segments(master.store.commit_log)["00000000000000000000"]
            )
        finally:
            writer.close()


@pytest.mark.parametrize("empty", [True, False])
def test_append_raw_checks_the_offset(tmp_path: Path, empty: bool) -> None:
    commit_log = CommitLog(tmp_path, 4096, (b"\x7f\x00\x00\x01", 1), 1024)
    try:
        if empty:
            with pytest.raises(ValueError, match="segment start"):
                commit_log.append_raw(100, b"x")
            commit_log.append_raw(8192, b"abc")  # an empty slave starts at any segment
            assert commit_log.max_offset == 8195
        else:
            commit_log.append_raw(0, bytes(4000))
            with pytest.raises(ValueError, match="does not continue"):
                commit_log.append_raw(3999, b"x")
            commit_log.append_raw(4000, bytes(200))  # runs into the next segment
            assert [m.wrote for m in commit_log.queue.files] == [4096, 104]
            assert commit_log.max_offset == 4200
    finally:
        commit_log.close()


def test_ha_keys_from_broker_conf() -> None:
    config = broker_config_from_properties(
        {
            "brokerRole": "SLAVE",
            "brokerId": "1",
            "haMasterAddress": "10.0.0.1:10912",
            "haListenPort": "10922",
            "haSendHeartbeatInterval": "1000",
            "haHousekeepingInterval": "4000",
            "haTransferBatchSize": "65536",
            "haSlaveFallbehindMax": "1024",
        }
    )
    store = config.store
    assert (store.ha_master_address, store.ha_listen_port) == ("10.0.0.1:10912", 10922)
    assert (store.ha_send_heartbeat_interval_ms, store.ha_housekeeping_interval_ms) == (1000, 4000)
    assert (store.ha_transfer_batch_size, store.ha_max_gap_not_in_sync) == (65536, 1024)
    assert broker_config_from_properties({}).store.ha_listen_port is None  # listenPort + 1
    with pytest.raises(ValueError, match="brokerId must be > 0"):
        broker_config_from_properties({"brokerRole": "SLAVE", "brokerId": "0"})


# -- metadata the slave copies (SlaveSynchronize) ------------------------------------------------


def _admin(code: int, body: dict | None = None, **fields: object) -> RemotingCommand:
    data = json_body.dumps(body) if body is not None else None
    return RemotingCommand(code, {k: str(v) for k, v in fields.items()}, data)


async def test_slave_copies_metadata_from_the_master(tmp_path: Path) -> None:
    async with _cluster(tmp_path) as cluster, RemotingClient() as client:
        master, slave, addr = cluster.broker, cluster.slave, cluster.broker_addr
        requests = [
            _admin(
                RequestCode.UPDATE_AND_CREATE_TOPIC,
                topic="Orders",
                readQueueNums=3,
                writeQueueNums=3,
                perm=6,
            ),
            _admin(
                RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
                {"groupName": "GroupX", "retryMaxTimes": 3, "brokerId": 1},
            ),
            _admin(
                RequestCode.UPDATE_CONSUMER_OFFSET,
                consumerGroup="GroupX",
                topic="Orders",
                queueId=1,
                commitOffset=42,
            ),
        ]
        for request in requests:
            assert (await client.invoke(addr, request)).code == ResponseCode.SUCCESS
        master.schedule.offsets[3] = 7  # level 3 delivered 7 messages

        # The bodies as upstream's master encodes them.
        offsets = await client.invoke(addr, _admin(RequestCode.GET_ALL_CONSUMER_OFFSET))
        assert json_body.loads(offsets.body) == {"offsetTable": {"Orders@GroupX": {"1": 42}}}
        delays = await client.invoke(addr, _admin(RequestCode.GET_ALL_DELAY_OFFSET))
        delay_table = json_body.loads(delays.body)["offsetTable"]
        assert delay_table["3"] == 7  # and 0 for each level the master's tasks looked at
        assert delay_table == {str(level): o for level, o in master.schedule.offsets.items()}

        def copied() -> bool:
            return (
                slave.topic_config_manager.data_version == master.topic_config_manager.data_version
                and "GroupX" in slave.subscription_group_manager.table
                and slave.consumer_offset_manager.query_offset("GroupX", "Orders", 1) == 42
                and slave.schedule.offsets == master.schedule.offsets
            )

        await _until(copied)
        assert slave.topic_config_manager.table == master.topic_config_manager.table
        assert slave.subscription_group_manager.table == master.subscription_group_manager.table
        assert (
            slave.subscription_group_manager.data_version
            == master.subscription_group_manager.data_version
        )
        assert slave.slave_synchronize.rounds >= 1
        files = {
            name: manager.path
            for name, manager in (
                ("topics", slave.topic_config_manager),
                ("groups", slave.subscription_group_manager),
                ("offsets", slave.consumer_offset_manager),
                ("delays", slave.schedule),
            )
        }
        # A master never syncs from anyone.
        assert master.slave_synchronize.master_addr is None
        assert await master.slave_synchronize.sync_all() is False

    # The slave persisted what it copied.
    assert read_config_file(files["topics"])["topicConfigTable"]["Orders"]["readQueueNums"] == 3
    groups = read_config_file(files["groups"])["subscriptionGroupTable"]
    assert groups["GroupX"]["retryMaxTimes"] == 3
    assert read_config_file(files["offsets"])["offsetTable"]["Orders@GroupX"] == {"1": 42}
    assert read_config_file(files["delays"])["offsetTable"]["3"] == 7


# -- pull rules on master and slave (semantics.md §5) --------------------------------------------


@pytest.mark.parametrize(
    ("slave_read_enable", "ratio", "suggested"),
    [(False, 0, 0), (True, 0, 1), (True, 40, 2)],
    ids=["slave-read-off", "consumer-lags", "consumer-in-memory"],
)
async def test_master_suggests_which_broker(
    tmp_path: Path, slave_read_enable: bool, ratio: int, suggested: int
) -> None:
    overrides = {
        "slave_read_enable": slave_read_enable,
        "access_message_in_memory_max_ratio": ratio,
    }
    async with _cluster(tmp_path, slave=False, **overrides) as cluster:
        async with RemotingClient() as client:
            addr = cluster.broker_addr
            group = {"groupName": "CG", "brokerId": 2, "whichBrokerWhenConsumeSlowly": 1}
            made = await client.invoke(
                addr, _admin(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, group)
            )
            assert made.code == ResponseCode.SUCCESS
            await _send(client, addr, 4)
            # Ratio 0: any message not at the very end of the CommitLog is "on disk".
            response = await client.invoke(addr, pull_request(TOPIC, 0, 0, max_msg_nums=1))
            assert response.code == ResponseCode.SUCCESS
            assert response.ext_fields["suggestWhichBrokerId"] == str(suggested)


@pytest.mark.parametrize("offset_check_in_slave", [False, True])
async def test_slave_offset_rules(tmp_path: Path, offset_check_in_slave: bool) -> None:
    slave_overrides = {"offset_check_in_slave": offset_check_in_slave}
    async with _cluster(tmp_path, slave_overrides=slave_overrides) as cluster:
        async with RemotingClient() as client:
            await _send(client, cluster.broker_addr, 8)  # 4 in queue 0
            await _caught_up(cluster.broker, cluster.slave)
            await _slave_has_the_topic(cluster)
            too_far = pull_request(TOPIC, 0, 100)
            from_master = await client.invoke(cluster.broker_addr, too_far)
            assert from_master.code == ResponseCode.PULL_OFFSET_MOVED
            assert from_master.ext_fields["nextBeginOffset"] == "0"  # min, as min is 0
            from_slave = await client.invoke(cluster.slave_addr, too_far)
            if offset_check_in_slave:
                assert from_slave.code == ResponseCode.PULL_OFFSET_MOVED
                assert from_slave.ext_fields["nextBeginOffset"] == "0"
            else:  # the client retries at its own offset instead of correcting it
                assert from_slave.code == ResponseCode.PULL_RETRY_IMMEDIATELY
                assert from_slave.ext_fields["nextBeginOffset"] == "100"
            assert from_slave.ext_fields["suggestWhichBrokerId"] == "0"

            # A slave stores no commit piggybacked on a pull; a master does.
            commit = pull_request(
                TOPIC, 0, 0, sys_flag=FLAG_SUBSCRIPTION | FLAG_COMMIT_OFFSET, commit_offset=3
            )
            assert (await client.invoke(cluster.slave_addr, commit)).code == ResponseCode.SUCCESS
            assert cluster.slave.consumer_offset_manager.query_offset("CG", TOPIC, 0) == -1
            assert (await client.invoke(cluster.broker_addr, commit)).code == ResponseCode.SUCCESS
            assert cluster.broker.consumer_offset_manager.query_offset("CG", TOPIC, 0) == 3


def test_slave_read_keys_from_broker_conf() -> None:
    config = broker_config_from_properties(
        {
            "slaveReadEnable": "true",
            "offsetCheckInSlave": "true",
            "accessMessageInMemoryMaxRatio": "25",
        }
    )
    assert config.slave_read_enable and config.offset_check_in_slave
    assert config.access_message_in_memory_max_ratio == 25
    default = broker_config_from_properties({})
    assert not default.slave_read_enable and not default.offset_check_in_slave
    assert default.access_message_in_memory_max_ratio == 40


class ScriptedMaster:
    """A master that only speaks the HA frames a test tells it to (a real socket)."""

    def __init__(self) -> None:
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedMaster:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()

    @property
    def address(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)

    async def heartbeat(self) -> None:
        self.writers[-1].write(codec.pack_header(0, 0))
        await self.writers[-1].drain()


@pytest.mark.parametrize("master_beats", [True, False])
async def test_slave_housekeeping(tmp_path: Path, master_beats: bool) -> None:
    """A stall of the slave's own process does not drop a link whose heartbeat waits in
    the socket; a master that really says nothing is dropped after housekeeping."""
    config = MessageStoreConfig(
        store_path_root_dir=tmp_path,
        commit_log_file_size=SEGMENT_SIZE,
        ha_send_heartbeat_interval_ms=200,
        ha_housekeeping_interval_ms=1000,
        ha_connect_retry_interval_ms=60_000,  # one session: a reconnect would hide a drop
    )
    store = MessageStore(config, (bytes([127, 0, 0, 1]), 10911), broker_role=SLAVE)
    await store.start()
    try:
        async with ScriptedMaster() as master:
            client = store.ha_client
            assert client is not None
            client.update_master_address(master.address)
            await _until(lambda: client.connected and master.writers)
            await asyncio.sleep(0.5)  # the client waits in its read
            if master_beats:
                await master.heartbeat()
                time.sleep(1.5)  # the slave's loop stalls past housekeeping; the frame waits
                await asyncio.sleep(0.3)
                assert client.connected
            else:
                await asyncio.sleep(2.0)  # past housekeeping and one more heartbeat interval
                assert not client.connected
    finally:
        await store.shutdown()
