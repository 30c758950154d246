"""NamesrvConfig from .properties files, and the kvConfig.json file format."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketmq.namesrv.config import (
    NamesrvConfig,
    load_namesrv_config,
    namesrv_config_from_properties,
    namesrv_config_to_properties,
    parse_properties,
)
from rocketmq.namesrv.kv_config import KVConfigManager

REPO_CONF = Path(__file__).resolve().parent.parent / "conf" / "namesrv.conf"


def test_parse_properties_like_java() -> None:
    text = (
        "# comment\n"
        "  ! also a comment\n"
        "\n"
        "listenPort=9877\n"
        "kvConfigPath : /tmp/ns/kv\\\n"
        "    Config.json\n"
        "orderMessageEnable   true\n"
        "empty\n"
        "key\\=with\\:escapes = v=1:2\n"
        "unicode=\\u00e9\\tx\n"
        "listenPort=9878\n"
    )
    assert parse_properties(text) == {
        "listenPort": "9878",
        "kvConfigPath": "/tmp/ns/kvConfig.json",
        "orderMessageEnable": "true",
        "empty": "",
        "key=with:escapes": "v=1:2",
        "unicode": "\u00e9\tx",
    }


def test_upstream_keys_map_onto_the_dataclass() -> None:
    config = namesrv_config_from_properties(
        {
            "listenPort": " 19876 ",
            "bindAddress": "127.0.0.1",
            "kvConfigPath": "/tmp/kv.json",
            "scanNotActiveBrokerInterval": "1000",
            "orderMessageEnable": "TRUE",
            "enableAllTopicList": "false",
            "serverChannelMaxIdleTimeSeconds": "60",
            "someUnknownKey": "ignored",
            "rocketmqHome": "/opt/rocketmq",
        }
    )
    assert config.listen_port == 19876
    assert config.listen_host == "127.0.0.1"
    assert config.kv_config_path == Path("/tmp/kv.json")
    assert config.scan_not_active_broker_interval_ms == 1000
    assert config.order_message_enable is True
    assert config.enable_all_topic_list is False
    assert config.server_channel_max_idle_time_s == 60.0
    assert config.rocketmq_home == "/opt/rocketmq"
    assert config.broker_channel_expired_time_ms == 120_000
    # Printing and reading back gives the same config.
    assert namesrv_config_from_properties(namesrv_config_to_properties(config)) == config


def test_defaults_match_upstream() -> None:
    config = NamesrvConfig()
    assert config.listen_port == 9876
    assert config.kv_config_path == Path.home() / "namesrv" / "kvConfig.json"
    assert config.scan_not_active_broker_interval_ms == 5000
    assert config.broker_channel_expired_time_ms == 120_000
    assert config.order_message_enable is False
    assert config.return_order_topic_config_to_broker is True


@pytest.mark.parametrize(
    "properties",
    [
        {"listenPort": "98x76"},
        {"listenPort": "70000"},
        {"scanNotActiveBrokerInterval": "0"},
        {"brokerChannelExpiredTime": "-1"},
    ],
)
def test_bad_values_are_refused(properties: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        namesrv_config_from_properties(properties)


def test_shipped_conf_file_loads() -> None:
    config = load_namesrv_config(REPO_CONF)
    assert config.listen_port == 9876
    assert config.listen_host == "0.0.0.0"
    assert config.scan_not_active_broker_interval_ms == 5000


def test_kv_config_reads_a_java_file(tmp_path: Path) -> None:
    path = tmp_path / "kvConfig.json"
    # KVConfigSerializeWrapper#toJson as a Java NameServer writes it.
    path.write_text(
        '{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicOrder":"broker-a:4;broker-b:4"},'
        '"NS":{"k":"v"}}}'
    )
    manager = KVConfigManager(path)
    manager.load()
    assert manager.get("ORDER_TOPIC_CONFIG", "TopicOrder") == "broker-a:4;broker-b:4"
    assert manager.get_namespace("NS") == {"k": "v"}
    assert manager.get("NS", "missing") is None
    manager.put("NS", "k", None)  # Java keeps nothing for a null value
    assert manager.get_namespace("NS") == {}
    assert not path.with_name("kvConfig.json.tmp").exists()


def test_kv_config_missing_or_bad_file(tmp_path: Path) -> None:
    manager = KVConfigManager(tmp_path / "absent" / "kvConfig.json")
    manager.load()  # nothing yet: fine
    assert manager.get_namespace("NS") is None
    manager.put("NS", "k", "v")
    assert (tmp_path / "absent" / "kvConfig.json").read_text() == '{"configTable":{"NS":{"k":"v"}}}'

    bad = tmp_path / "bad.json"
    bad.write_text('{"something":"else"}')
    with pytest.raises(ValueError):
        KVConfigManager(bad).load()
