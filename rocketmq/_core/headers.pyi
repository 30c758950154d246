"""Type stubs of rocketmq._core.headers, shared by the Cython module and its pure twin."""

from collections.abc import Mapping

def parse_java_int(text: str, key: str = "value") -> int: ...
def parse_java_long(text: str, key: str = "value") -> int: ...
def parse_java_bool(text: str) -> bool: ...

class SendMessageRequestHeader:
    producer_group: str
    topic: str
    default_topic: str
    default_topic_queue_nums: int
    queue_id: int
    sys_flag: int
    born_timestamp: int
    flag: int
    properties: str | None
    reconsume_times: int | None
    unit_mode: bool | None
    max_reconsume_times: int | None
    batch: bool | None
    broker_name: str | None
    def __init__(
        self,
        producer_group: str = "",
        topic: str = "",
        default_topic: str = "TBW102",
        default_topic_queue_nums: int = 4,
        queue_id: int = 0,
        sys_flag: int = 0,
        born_timestamp: int = 0,
        flag: int = 0,
        properties: str | None = None,
        reconsume_times: int | None = None,
        unit_mode: bool | None = None,
        max_reconsume_times: int | None = None,
        batch: bool | None = None,
        broker_name: str | None = None,
    ) -> None: ...
    @classmethod
    def from_ext_fields(cls, ext: Mapping[str, str], v2: bool) -> SendMessageRequestHeader: ...
    def to_ext_fields(self, v2: bool) -> dict[str, str]: ...

class SendMessageResponseHeader:
    msg_id: str
    queue_id: int
    queue_offset: int
    transaction_id: str | None
    batch_uniq_id: str | None
    def __init__(
        self,
        msg_id: str = "",
        queue_id: int = 0,
        queue_offset: int = 0,
        transaction_id: str | None = None,
        batch_uniq_id: str | None = None,
    ) -> None: ...
    @classmethod
    def from_ext_fields(cls, ext: Mapping[str, str]) -> SendMessageResponseHeader: ...
    def to_ext_fields(self) -> dict[str, str]: ...

class PullMessageRequestHeader:
    consumer_group: str
    topic: str
    queue_id: int
    queue_offset: int
    max_msg_nums: int
    sys_flag: int
    commit_offset: int
    suspend_timeout_millis: int
    subscription: str | None
    sub_version: int
    expression_type: str | None
    max_msg_bytes: int | None
    request_source: int | None
    proxy_forward_client_id: str | None
    def __init__(
        self,
        consumer_group: str = "",
        topic: str = "",
        queue_id: int = 0,
        queue_offset: int = 0,
        max_msg_nums: int = 32,
        sys_flag: int = 0,
        commit_offset: int = 0,
        suspend_timeout_millis: int = 0,
        subscription: str | None = None,
        sub_version: int = 0,
        expression_type: str | None = None,
        max_msg_bytes: int | None = None,
        request_source: int | None = None,
        proxy_forward_client_id: str | None = None,
    ) -> None: ...
    @classmethod
    def from_ext_fields(cls, ext: Mapping[str, str]) -> PullMessageRequestHeader: ...
    def to_ext_fields(self) -> dict[str, str]: ...

class PullMessageResponseHeader:
    suggest_which_broker_id: int
    next_begin_offset: int
    min_offset: int
    max_offset: int
    offset_delta: int | None
    topic_sys_flag: int | None
    group_sys_flag: int | None
    forbidden_type: int | None
    def __init__(
        self,
        suggest_which_broker_id: int = 0,
        next_begin_offset: int = 0,
        min_offset: int = 0,
        max_offset: int = 0,
        offset_delta: int | None = None,
        topic_sys_flag: int | None = None,
        group_sys_flag: int | None = None,
        forbidden_type: int | None = None,
    ) -> None: ...
    @classmethod
    def from_ext_fields(cls, ext: Mapping[str, str]) -> PullMessageResponseHeader: ...
    def to_ext_fields(self) -> dict[str, str]: ...
