"""Request handlers of the NameServer (upstream DefaultRequestProcessor and
ClientRequestProcessor). Codes without a handler get 3 from the transport.

Every handler is a plain function: none awaits, so each runs inline on the
read path and sees the route tables in one consistent state.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from rocketmq._core import remoting as _codec
from rocketmq._core.headers import parse_java_bool, parse_java_int, parse_java_long
from rocketmq.common import json_body
from rocketmq.common.codes import RequestCode, ResponseCode
from rocketmq.common.topic import DataVersion
from rocketmq.errors import BrokerError, HeaderError, ProtocolError
from rocketmq.namesrv.register_body import decode_register_broker_body
from rocketmq.namesrv.route_data import NAMESPACE_ORDER_TOPIC_CONFIG, TopicRouteData

if TYPE_CHECKING:
    from rocketmq.namesrv.config import NamesrvConfig
    from rocketmq.namesrv.housekeeping import BrokerHousekeepingService
    from rocketmq.namesrv.kv_config import KVConfigManager
    from rocketmq.namesrv.route_info import RouteInfoManager
    from rocketmq.remoting.connection import RemotingConnection
    from rocketmq.remoting.server import RemotingServer

RemotingCommand = _codec.RemotingCommand

logger = logging.getLogger("rocketmq.namesrv")

ZONE_NAME_KEY = "__ZONE_NAME"  # MixAll.ZONE_NAME
FAQ_URL = "https://rocketmq.apache.org/docs/bestPractice/06FAQ"


def _suggest_todo(url: str) -> str:
    return f"\nSee {url} for further details."  # FAQUrl.suggestTodo


def _required(ext: dict[str, str], key: str) -> str:
    value = ext.get(key)
    if value is None:
        raise HeaderError(f"the custom field <{key}> is null")
    return value


def _optional_long(ext: dict[str, str], key: str) -> int | None:
    value = ext.get(key)
    return None if value is None else parse_java_long(value, key)


def _optional_bool(ext: dict[str, str], key: str) -> bool | None:
    value = ext.get(key)
    return None if value is None else parse_java_bool(value)


def _success(ext: dict[str, str] | None = None, body: bytes | None = None) -> RemotingCommand:
    return RemotingCommand(ResponseCode.SUCCESS, ext, body)


def _kv_table(entries: dict[str, str]) -> bytes:
    return json_body.dumps({"table": entries})  # KVTable


class NamesrvProcessor:
    """Binds the request codes to the route table, the KV store and housekeeping."""

    def __init__(
        self,
        config: NamesrvConfig,
        route_info_manager: RouteInfoManager,
        kv_config_manager: KVConfigManager,
        housekeeping: BrokerHousekeepingService,
    ) -> None:
        self.config = config
        self.routes = route_info_manager
        self.kv = kv_config_manager
        self.housekeeping = housekeeping

    def handlers(self) -> dict[int, Callable]:
        return {
            RequestCode.PUT_KV_CONFIG: self.put_kv_config,
            RequestCode.GET_KV_CONFIG: self.get_kv_config,
            RequestCode.DELETE_KV_CONFIG: self.delete_kv_config,
            RequestCode.REGISTER_BROKER: self.register_broker,
            RequestCode.UNREGISTER_BROKER: self.unregister_broker,
            RequestCode.GET_ROUTEINFO_BY_TOPIC: self.get_route_info_by_topic,
            RequestCode.GET_BROKER_CLUSTER_INFO: self.get_broker_cluster_info,
            RequestCode.WIPE_WRITE_PERM_OF_BROKER: self.wipe_write_perm_of_broker,
            RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER: self.get_all_topic_list,
            RequestCode.DELETE_TOPIC_IN_NAMESRV: self.delete_topic_in_namesrv,
            RequestCode.REGISTER_TOPIC_IN_NAMESRV: self.register_topic_in_namesrv,
            RequestCode.GET_KVLIST_BY_NAMESPACE: self.get_kv_list_by_namespace,
            RequestCode.GET_TOPICS_BY_CLUSTER: self.get_topics_by_cluster,
            RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS: self.get_system_topic_list,
            RequestCode.QUERY_DATA_VERSION: self.query_data_version,
            RequestCode.ADD_WRITE_PERM_OF_BROKER: self.add_write_perm_of_broker,
            RequestCode.BROKER_HEARTBEAT: self.broker_heartbeat,
        }

    def install(self, server: RemotingServer) -> None:
        for code, handler in self.handlers().items():
            server.register_processor(code, handler)

    # -- KV config ----------------------------------------------------------------------

    def put_kv_config(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        namespace, key = ext.get("namespace"), ext.get("key")
        if namespace is None or key is None:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, "namespace or key is null")
        self.kv.put(namespace, key, ext.get("value"))
        return _success()

    def get_kv_config(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        namespace, key = ext.get("namespace"), ext.get("key")
        value = None if namespace is None or key is None else self.kv.get(namespace, key)
        if value is None:
            raise BrokerError(
                ResponseCode.QUERY_NOT_FOUND, f"No config item, Namespace: {namespace} Key: {key}"
            )
        return _success({"value": value})

    def delete_kv_config(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        self.kv.delete(_required(ext, "namespace"), _required(ext, "key"))
        return _success()

    def get_kv_list_by_namespace(self, connection: RemotingConnection, request: RemotingCommand):
        namespace = _required(request.ext_fields or {}, "namespace")
        entries = self.kv.get_namespace(namespace)
        if entries is None:
            raise BrokerError(
                ResponseCode.QUERY_NOT_FOUND, f"No config item, Namespace: {namespace}"
            )
        return _success(body=_kv_table(entries))

    # -- broker registration -------------------------------------------------------------

    def register_broker(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        body = request.body or b""
        crc_text = ext.get("bodyCrc32")
        expected_crc = 0 if crc_text is None else parse_java_int(crc_text, "bodyCrc32")
        # UtilAll.crc32: CRC32 & 0x7FFFFFFF; 0 means "not computed".
        if expected_crc != 0 and zlib.crc32(body) & 0x7FFFFFFF != expected_crc:
            logger.warning(
                "receive registerBroker request,crc32 not match,from %s", connection.remote_address
            )
            raise BrokerError(ResponseCode.SYSTEM_ERROR, "crc32 not match")

        cluster_name = _required(ext, "clusterName")
        broker_addr = _required(ext, "brokerAddr")
        broker_name = _required(ext, "brokerName")
        broker_id = parse_java_long(_required(ext, "brokerId"), "brokerId")
        try:
            register_body = decode_register_broker_body(
                request.body,
                compressed=parse_java_bool(ext.get("compressed", "false")),
                broker_version=request.version,
                inflated_size_max=self.config.register_body_inflated_size_max,
            )
        except ProtocolError as exc:
            logger.warning("bad REGISTER_BROKER body from %s: %s", connection.remote_address, exc)
            raise BrokerError(
                ResponseCode.SYSTEM_ERROR, f"Failed to decode RegisterBrokerBody: {exc}"
            ) from None

        result = self.routes.register_broker(
            cluster_name=cluster_name,
            broker_addr=broker_addr,
            broker_name=broker_name,
            broker_id=broker_id,
            ha_server_addr=ext.get("haServerAddr"),
            topic_config_wrapper=register_body.topic_config_wrapper,
            channel=connection,
            zone_name=ext.get(ZONE_NAME_KEY),
            heartbeat_timeout_ms=_optional_long(ext, "heartbeatTimeoutMillis"),
            enable_acting_master=_optional_bool(ext, "enableActingMaster"),
            filter_server_list=register_body.filter_server_list,
        )
        if result is None:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, "register broker failed")
        self.housekeeping.watch(connection)

        response_ext = {}
        if result.ha_server_addr is not None:
            response_ext["haServerAddr"] = result.ha_server_addr
        if result.master_addr is not None:
            response_ext["masterAddr"] = result.master_addr
        response_body = None
        if self.config.return_order_topic_config_to_broker:
            order_conf = self.kv.get_namespace(NAMESPACE_ORDER_TOPIC_CONFIG)
            if order_conf is not None:
                response_body = _kv_table(order_conf)
        return _success(response_ext, response_body)

    def unregister_broker(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        self.routes.unregister_broker(
            _required(ext, "clusterName"),
            _required(ext, "brokerAddr"),
            _required(ext, "brokerName"),
        )
        return _success()

    def query_data_version(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        cluster_name = _required(ext, "clusterName")
        broker_addr = _required(ext, "brokerAddr")
        if not request.body:
            raise ProtocolError("QUERY_DATA_VERSION without a DataVersion body")
        data_version = DataVersion.from_json(json_body.loads(request.body))
        changed = self.routes.is_broker_topic_config_changed(
            cluster_name, broker_addr, data_version
        )
        # Asking counts as a heartbeat.
        self.routes.update_broker_info_update_timestamp(cluster_name, broker_addr)
        ours = self.routes.query_broker_data_version(cluster_name, broker_addr)
        body = None if ours is None else json_body.dumps(ours.to_json())
        return _success({"changed": "true" if changed else "false"}, body)

    def broker_heartbeat(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        self.routes.update_broker_info_update_timestamp(
            _required(ext, "clusterName"), _required(ext, "brokerAddr")
        )
        return _success()

    # -- routes and topics ------------------------------------------------------------

    def get_route_info_by_topic(self, connection: RemotingConnection, request: RemotingCommand):
        topic = _required(request.ext_fields or {}, "topic")
        route = self.routes.pickup_topic_route_data(topic)
        if route is None:
            raise BrokerError(
                ResponseCode.TOPIC_NOT_EXIST,
                f"No topic route info in name server for the topic: {topic}"
                + _suggest_todo(FAQ_URL),
            )
        if self.config.order_message_enable:
            route.order_topic_conf = self.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic)
        # Java answers requests older than V4_9_4 with unquoted brokerAddrs keys
        # ({0:"addr"}); every client also parses quoted keys, so all get standard JSON.
        return _success(body=json_body.dumps(route.to_json()))

    def get_broker_cluster_info(self, connection: RemotingConnection, request: RemotingCommand):
        return _success(body=json_body.dumps(self.routes.get_all_cluster_info()))

    def get_all_topic_list(self, connection: RemotingConnection, request: RemotingCommand):
        if not self.config.enable_all_topic_list:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, "disable")
        return _success(body=json_body.dumps({"topicList": self.routes.get_all_topic_list()}))

    def get_topics_by_cluster(self, connection: RemotingConnection, request: RemotingCommand):
        if not self.config.enable_topic_list:
            raise BrokerError(ResponseCode.SYSTEM_ERROR, "disable")
        cluster = _required(request.ext_fields or {}, "cluster")
        topics = self.routes.get_topics_by_cluster(cluster)
        return _success(body=json_body.dumps({"topicList": topics}))

    def get_system_topic_list(self, connection: RemotingConnection, request: RemotingCommand):
        topics, broker_addr = self.routes.get_system_topic_list()
        body: dict[str, object] = {"topicList": topics}
        if broker_addr is not None:
            body["brokerAddr"] = broker_addr
        return _success(body=json_body.dumps(body))

    def delete_topic_in_namesrv(self, connection: RemotingConnection, request: RemotingCommand):
        ext = request.ext_fields or {}
        self.routes.delete_topic(_required(ext, "topic"), ext.get("clusterName"))
        return _success()

    def register_topic_in_namesrv(self, connection: RemotingConnection, request: RemotingCommand):
        topic = _required(request.ext_fields or {}, "topic")
        if request.body:
            route = TopicRouteData.from_json(json_body.loads(request.body))
            self.routes.register_topic(topic, route.queue_datas)
        return _success()

    def wipe_write_perm_of_broker(self, connection: RemotingConnection, request: RemotingCommand):
        broker_name = _required(request.ext_fields or {}, "brokerName")
        count = self.routes.wipe_write_perm_of_broker(broker_name)
        logger.info(
            "wipe write perm of broker[%s], client: %s, %d",
            broker_name,
            connection.remote_address,
            count,
        )
        return _success({"wipeTopicCount": str(count)})

    def add_write_perm_of_broker(self, connection: RemotingConnection, request: RemotingCommand):
        broker_name = _required(request.ext_fields or {}, "brokerName")
        count = self.routes.add_write_perm_of_broker(broker_name)
        logger.info(
            "add write perm of broker[%s], client: %s, %d",
            broker_name,
            connection.remote_address,
            count,
        )
        return _success({"addTopicCount": str(count)})
