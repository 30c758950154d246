"""Offsets, client registry, topic/group admin and restarts of a real broker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rocketmq._core import remoting as codec
from rocketmq.broker.config_file import read_config_file
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.remoting import RemotingClient
from tests.test_broker_base import (
    FLAG_COMMIT_OFFSET,
    FLAG_SUBSCRIPTION,
    addr_of,
    pull_request,
    running_broker,
    send_request,
    split_records,
)

RemotingCommand = codec.RemotingCommand
TOPIC = "TopicTest"


def offset_request(code: int, **fields: object) -> RemotingCommand:
    return RemotingCommand(code, {k: str(v) for k, v in fields.items()})


def heartbeat(client_id: str, group: str, topic: str = TOPIC, tags: str = "*") -> RemotingCommand:
    sub = {
        "classFilterMode": False,
        "codeSet": [],
        "expressionType": "TAG",
        "subString": tags,
        "subVersion": 1,
        "tagsSet": [] if tags == "*" else [tags],
        "topic": topic,
    }
    body = {
        "clientID": client_id,
        "consumerDataSet": [
            {
                "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
                "consumeType": "CONSUME_PASSIVELY",
                "groupName": group,
                "messageModel": "CLUSTERING",
                "subscriptionDataSet": [sub],
                "unitMode": False,
            }
        ],
        "producerDataSet": [{"groupName": "PG"}],
    }
    return RemotingCommand(RequestCode.HEART_BEAT, body=json.dumps(body).encode())


async def test_consumer_offsets_survive_restart(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        for n in range(3):
            await client.invoke(addr, send_request(TOPIC, b"m%d" % n))
        query = offset_request(
            RequestCode.QUERY_CONSUMER_OFFSET, consumerGroup="CG", topic=TOPIC, queueId=0
        )
        # Nothing committed, first message hot: start from 0.
        response = await client.invoke(addr, query)
        assert (response.code, response.ext_fields["offset"]) == (0, "0")
        # A queue never written to: 0 as well (4.9.7), unless the client asks for 22.
        empty = offset_request(
            RequestCode.QUERY_CONSUMER_OFFSET, consumerGroup="CG", topic=TOPIC, queueId=3
        )
        response = await client.invoke(addr, empty)
        assert (response.code, response.ext_fields["offset"]) == (0, "0")
        strict = offset_request(
            RequestCode.QUERY_CONSUMER_OFFSET,
            consumerGroup="CG",
            topic=TOPIC,
            queueId=3,
            setZeroIfNotFound="false",
        )
        assert (await client.invoke(addr, strict)).code == ResponseCode.QUERY_NOT_FOUND
        update = offset_request(
            RequestCode.UPDATE_CONSUMER_OFFSET,
            consumerGroup="CG",
            topic=TOPIC,
            queueId=0,
            commitOffset=2,
        )
        assert (await client.invoke(addr, update)).code == ResponseCode.SUCCESS
        # Commit piggybacked on a pull, for another queue.
        await client.invoke(
            addr,
            pull_request(
                TOPIC, 1, 0, sys_flag=FLAG_SUBSCRIPTION | FLAG_COMMIT_OFFSET, commit_offset=7
            ),
        )
    document = read_config_file(tmp_path / "config" / "consumerOffset.json")
    assert document["offsetTable"][f"{TOPIC}@CG"] == {"0": 2, "1": 7}

    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        response = await client.invoke(addr_of(broker), query)
        assert (response.code, response.ext_fields["offset"]) == (0, "2")
        assert broker.consumer_offset_manager.query_offset("CG", TOPIC, 1) == 7


async def test_fastjson_offsets_file_and_bak_fallback(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    # fastjson's own output: bare integer keys.
    (config_dir / "consumerOffset.json").write_text(
        '{"offsetTable":{"T@G":{0:12,1:34}},"dataVersion":{"counter":1,"timestamp":0}}'
    )
    (config_dir / "topics.json").write_text("{ truncated")
    (config_dir / "topics.json.bak").write_text(
        '{"topicConfigTable":{"Kept":{"topicName":"Kept","readQueueNums":2,'
        '"writeQueueNums":2,"perm":6}},"dataVersion":{"counter":5,"timestamp":1}}'
    )
    async with running_broker(tmp_path) as broker:
        assert broker.consumer_offset_manager.query_offset("G", "T", 1) == 34
        kept = broker.topic_config_manager.select("Kept")
        assert kept is not None and kept.read_queue_nums == 2
        assert broker.topic_config_manager.data_version.counter == 5


async def test_queue_offsets_and_times(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        for n in range(4):
            await client.invoke(addr, send_request(TOPIC, b"m%d" % n))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        max_offset = await client.invoke(
            addr, offset_request(RequestCode.GET_MAX_OFFSET, topic=TOPIC, queueId=0)
        )
        min_offset = await client.invoke(
            addr, offset_request(RequestCode.GET_MIN_OFFSET, topic=TOPIC, queueId=0)
        )
        assert (max_offset.ext_fields["offset"], min_offset.ext_fields["offset"]) == ("4", "0")
        earliest = await client.invoke(
            addr, offset_request(RequestCode.GET_EARLIEST_MSG_STORETIME, topic=TOPIC, queueId=0)
        )
        first_time = int(earliest.ext_fields["timestamp"])
        assert first_time == broker.store.get_store_time(TOPIC, 0, 0)
        third_time = broker.store.get_store_time(TOPIC, 0, 2)
        search = await client.invoke(
            addr,
            offset_request(
                RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, topic=TOPIC, queueId=0, timestamp=third_time
            ),
        )
        assert search.ext_fields["offset"] == "2"


async def test_view_and_query_message(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        from tests.test_broker_base import properties

        sent = await client.invoke(
            addr, send_request(TOPIC, b"findme", props=properties("TagA", KEYS="order-1"))
        )
        await asyncio.sleep(0)
        from rocketmq._core import message as msgfmt

        _host, _port, offset = msgfmt.decode_offset_msg_id(sent.ext_fields["msgId"])
        viewed = await client.invoke(
            addr, offset_request(RequestCode.VIEW_MESSAGE_BY_ID, offset=offset)
        )
        assert viewed.code == 0 and split_records(viewed.body)[0].body == b"findme"
        queried = await client.invoke(
            addr,
            offset_request(
                RequestCode.QUERY_MESSAGE,
                topic=TOPIC,
                key="order-1",
                maxNum=10,
                beginTimestamp=0,
                endTimestamp=2**62,
            ),
        )
        assert queried.code == 0 and [r.body for r in split_records(queried.body)] == [b"findme"]
        missing = await client.invoke(
            addr,
            offset_request(
                RequestCode.QUERY_MESSAGE,
                topic=TOPIC,
                key="nope",
                maxNum=10,
                beginTimestamp=0,
                endTimestamp=2**62,
            ),
        )
        assert missing.code == ResponseCode.QUERY_NOT_FOUND


async def test_heartbeat_consumer_list_and_notify(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker:
        addr = addr_of(broker)
        notified: list[str] = []
        arrived = asyncio.Event()

        def on_notify(_connection, request: RemotingCommand) -> None:
            notified.append(request.ext_fields["consumerGroup"])
            arrived.set()

        first = RemotingClient()
        first.register_processor(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, on_notify)
        second = RemotingClient()
        try:
            response = await first.invoke(addr, heartbeat("10.0.0.1@one", "CG"))
            assert response.code == 0 and response.version == codec.DEFAULT_VERSION
            arrived.clear()
            notified.clear()
            await second.invoke(addr, heartbeat("10.0.0.2@two", "CG"))
            await asyncio.wait_for(arrived.wait(), 10)
            assert notified == ["CG"]
            listing = await first.invoke(
                addr, offset_request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, consumerGroup="CG")
            )
            assert sorted(json_body.loads(listing.body)["consumerIdList"]) == [
                "10.0.0.1@one",
                "10.0.0.2@two",
            ]
            # Heartbeat subscriptions serve pulls without a subscription in the request.
            await first.invoke(addr, send_request(TOPIC, b"x"))
            pulled = await first.invoke(
                addr, pull_request(TOPIC, 0, 0, sys_flag=0, subscription=None)
            )
            assert pulled.code == 0
            assert broker.topic_config_manager.select("%RETRY%CG") is not None

            # The second member leaves by closing its connection: the first hears of it.
            arrived.clear()
            await second.close()
            await asyncio.wait_for(arrived.wait(), 10)
            listing = await first.invoke(
                addr, offset_request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, consumerGroup="CG")
            )
            assert json_body.loads(listing.body)["consumerIdList"] == ["10.0.0.1@one"]
            unregister = offset_request(
                RequestCode.UNREGISTER_CLIENT, clientID="10.0.0.1@one", consumerGroup="CG"
            )
            assert (await first.invoke(addr, unregister)).code == 0
            empty = await first.invoke(
                addr, offset_request(RequestCode.GET_CONSUMER_LIST_BY_GROUP, consumerGroup="CG")
            )
            assert empty.code == ResponseCode.SYSTEM_ERROR
        finally:
            await first.close()
            await second.close()


async def test_topic_and_group_admin_survive_restart(tmp_path: Path) -> None:
    create = offset_request(
        RequestCode.UPDATE_AND_CREATE_TOPIC,
        topic="Orders",
        defaultTopic="TBW102",
        readQueueNums=3,
        writeQueueNums=3,
        perm=6,
        topicFilterType="SINGLE_TAG",
        topicSysFlag=0,
        order="false",
    )
    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        assert (await client.invoke(addr, create)).code == 0
        version = broker.topic_config_manager.data_version.counter
        for topic in ("Gone", "Orders"):
            await client.invoke(addr, send_request(topic, b"kept-" + topic.encode()))
        delete = offset_request(RequestCode.DELETE_TOPIC_IN_BROKER, topic="Gone")
        assert (await client.invoke(addr, delete)).code == 0
        assert broker.topic_config_manager.data_version.counter > version
        listing = await client.invoke(addr, RemotingCommand(RequestCode.GET_ALL_TOPIC_CONFIG))
        table = json_body.loads(listing.body)["topicConfigTable"]
        assert table["Orders"]["readQueueNums"] == 3 and "Gone" not in table
        assert "TBW102" in table and "broker-a" in table and "DefaultCluster" in table
        bad = dict(create.ext_fields, topic="bad topic!")
        refused = await client.invoke(
            addr, RemotingCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, bad)
        )
        assert refused.code == ResponseCode.SYSTEM_ERROR

        group = {"groupName": "GroupX", "consumeEnable": False, "retryMaxTimes": 3}
        made = await client.invoke(
            addr,
            RemotingCommand(
                RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, body=json.dumps(group).encode()
            ),
        )
        assert made.code == 0
        disabled = await client.invoke(addr, pull_request("Orders", 0, 0, group="GroupX"))
        assert disabled.code == ResponseCode.NO_PERMISSION
        groups = await client.invoke(
            addr, RemotingCommand(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
        )
        assert (
            json_body.loads(groups.body)["subscriptionGroupTable"]["GroupX"]["retryMaxTimes"] == 3
        )
        await client.invoke(addr, pull_request("Orders", 0, 0, group="Temp"))  # auto-created
        assert "Temp" in broker.subscription_group_manager.table
        await client.invoke(
            addr, offset_request(RequestCode.DELETE_SUBSCRIPTIONGROUP, groupName="Temp")
        )

    async with running_broker(tmp_path) as broker, RemotingClient() as client:
        addr = addr_of(broker)
        assert broker.topic_config_manager.select("Orders").read_queue_nums == 3
        assert broker.topic_config_manager.select("Gone") is None
        assert not broker.subscription_group_manager.table["GroupX"].consume_enable
        assert "Temp" not in broker.subscription_group_manager.table
        pulled = await client.invoke(addr, pull_request("Orders", 0, 0))
        assert [r.body for r in split_records(pulled.body)] == [b"kept-Orders"]
        again = await client.invoke(addr, send_request("Orders", b"after restart"))
        assert again.ext_fields["queueOffset"] == "1"
