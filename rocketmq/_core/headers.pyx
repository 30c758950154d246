"""Typed custom headers of the hottest requests (Java FastCodesHeader).

The Cython twin of rocketmq/_core/_pure/headers.py, which is the
specification: the same names and defaults, the same values out of the same
extFields, the same exception types. Field types: shared/spec/remoting.md §7.
Like Java, only these four headers get hand-written codecs; every other
header stays a plain extFields dict.
"""

cimport cython
from cpython.dict cimport PyDict_CheckExact, PyDict_GetItemWithError
from cpython.object cimport PyObject
from cpython.unicode cimport (
    PyUnicode_Check,
    PyUnicode_CheckExact,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from libc.stdint cimport INT64_MAX, INT64_MIN, uint32_t

from rocketmq._core.consts cimport CH_MINUS, CH_NINE, CH_PLUS, CH_ZERO, INT32_MAX, INT32_MIN
from rocketmq._core.cpythonx cimport PyUnicode_IS_ASCII, rmq_unicode_ready

import re

from rocketmq.errors import HeaderError


cdef object _JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")


# -- Java number and boolean parsing -------------------------------------------------


cdef long long java_parse(object text, object key, long long low,
                          long long high) except? -1:
    """Integer/Long.parseLong: optional sign and ASCII digits, within [low, high]."""
    cdef Py_ssize_t length, index = 0, first_digit
    cdef int kind
    cdef void *data
    cdef uint32_t ch
    cdef bint negative = False
    cdef unsigned long long magnitude = 0, limit
    if not PyUnicode_Check(text):
        # re raises the pure twin's TypeError for anything that is not a str
        _JAVA_INTEGER.fullmatch(text)
        raise HeaderError(f"the custom field <{key}> is not a number: {text!r}")
    rmq_unicode_ready(text)
    length = PyUnicode_GET_LENGTH(text)
    kind = PyUnicode_KIND(text)
    data = PyUnicode_DATA(text)
    if length:
        ch = PyUnicode_READ(kind, data, 0)
        if ch == CH_PLUS or ch == CH_MINUS:
            negative = ch == CH_MINUS
            index = 1
    if index == length:
        raise HeaderError(f"the custom field <{key}> is not a number: {text!r}")
    first_digit = index
    while index < length:
        ch = PyUnicode_READ(kind, data, index)
        if not CH_ZERO <= ch <= CH_NINE:
            raise HeaderError(f"the custom field <{key}> is not a number: {text!r}")
        index += 1
    # Leading zeros are free, as in Java; past them, more than 19 digits are
    # out of any Java range (and the magnitude below cannot overflow).
    index = first_digit
    while index < length - 1 and <uint32_t>PyUnicode_READ(kind, data, index) == CH_ZERO:
        index += 1
    if length - index > 19:
        raise HeaderError(f"the custom field <{key}> is out of range: {text!r}")
    while index < length:
        ch = PyUnicode_READ(kind, data, index)
        magnitude = magnitude * 10 + (ch - CH_ZERO)
        index += 1
    # low == -high - 1 for both Java types: the negative side holds one more.
    limit = <unsigned long long>high + (1 if negative else 0)
    if magnitude > limit:
        raise HeaderError(f"the custom field <{key}> is out of range: {text!r}")
    if not negative:
        return <long long>magnitude
    if magnitude == 0:
        return 0
    return -<long long>(magnitude - 1) - 1


def parse_java_int(text, key="value"):
    """Integer.parseInt: optional sign and ASCII digits, int32 range. Raises HeaderError."""
    return java_parse(text, key, INT32_MIN, INT32_MAX)


def parse_java_long(text, key="value"):
    """Long.parseLong: optional sign and ASCII digits, int64 range. Raises HeaderError."""
    return java_parse(text, key, INT64_MIN, INT64_MAX)


cdef object java_bool(object text):
    cdef const unsigned char *data
    if PyUnicode_CheckExact(text):
        rmq_unicode_ready(text)
        # No non-ASCII character lowercases into "true", so ASCII decides.
        if PyUnicode_GET_LENGTH(text) != 4 or not PyUnicode_IS_ASCII(text):
            return False
        data = <const unsigned char *>PyUnicode_DATA(text)
        return ((data[0] | 0x20) == ord("t") and (data[1] | 0x20) == ord("r")
                and (data[2] | 0x20) == ord("u") and (data[3] | 0x20) == ord("e"))
    return text.lower() == "true"


def parse_java_bool(text):
    """Boolean.parseBoolean: "true" in any case, everything else false."""
    return java_bool(text)


# -- extFields access -------------------------------------------------------------------


cdef object ext_get(object ext, object key):
    cdef PyObject *found
    if PyDict_CheckExact(ext):
        found = PyDict_GetItemWithError(ext, key)
        return None if found == NULL else <object>found
    return ext.get(key)


cdef object ext_require(object ext, object key):
    cdef object value = ext_get(ext, key)
    if value is None:
        raise HeaderError(f"the custom field <{key}> is null")
    return value


cdef object ext_opt_int(object ext, object key):
    cdef object value = ext_get(ext, key)
    return None if value is None else java_parse(value, key, INT32_MIN, INT32_MAX)


cdef object ext_opt_long(object ext, object key):
    cdef object value = ext_get(ext, key)
    return None if value is None else java_parse(value, key, INT64_MIN, INT64_MAX)


cdef object ext_opt_bool(object ext, object key):
    cdef object value = ext_get(ext, key)
    return None if value is None else java_bool(value)


cdef inline int ext_put(dict ext, object key, object value) except -1:
    if value is not None:
        ext[key] = str(value)
    return 0


cdef inline int ext_put_bool(dict ext, object key, object value) except -1:
    if value is not None:
        ext[key] = "true" if value else "false"
    return 0


cdef str fields_repr(str name, object header, tuple attributes):
    parts = ", ".join(f"{attribute}={getattr(header, attribute)!r}" for attribute in attributes)
    return f"{name}({parts})"


# -- the four headers -------------------------------------------------------------------


# Wire keys of SendMessageRequestHeader: V1 (SEND_MESSAGE) and V2 letters
# (SEND_MESSAGE_V2, SEND_BATCH_MESSAGE). Required fields are @CFNotNull.
cdef tuple _SEND_KEYS_V1 = (
    "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
    "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes",
    "batch", "brokerName",
)
cdef tuple _SEND_KEYS_V2 = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n")
cdef tuple _SEND_ATTRIBUTES = (
    "producer_group", "topic", "default_topic", "default_topic_queue_nums", "queue_id",
    "sys_flag", "born_timestamp", "flag", "properties", "reconsume_times", "unit_mode",
    "max_reconsume_times", "batch", "broker_name",
)


@cython.final
@cython.freelist(64)
cdef class SendMessageRequestHeader:
    """SEND_MESSAGE (V1 names) / SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE (letters)."""

    def __init__(
        self,
        producer_group="",
        topic="",
        default_topic="TBW102",
        int default_topic_queue_nums=4,
        int queue_id=0,
        int sys_flag=0,
        long long born_timestamp=0,
        int flag=0,
        properties=None,
        reconsume_times=None,
        unit_mode=None,
        max_reconsume_times=None,
        batch=None,
        broker_name=None,
    ):
        self.producer_group = producer_group
        self.topic = topic
        self.default_topic = default_topic
        self.default_topic_queue_nums = default_topic_queue_nums
        self.queue_id = queue_id
        self.sys_flag = sys_flag
        self.born_timestamp = born_timestamp
        self.flag = flag
        self.properties = properties
        self.reconsume_times = reconsume_times
        self.unit_mode = unit_mode
        self.max_reconsume_times = max_reconsume_times
        self.batch = batch
        self.broker_name = broker_name

    @staticmethod
    def from_ext_fields(ext, v2):
        """Raises HeaderError naming the field that is missing or malformed."""
        cdef tuple keys = _SEND_KEYS_V2 if v2 else _SEND_KEYS_V1
        cdef SendMessageRequestHeader self = SendMessageRequestHeader.__new__(
            SendMessageRequestHeader
        )
        self.producer_group = ext_require(ext, keys[0])
        self.topic = ext_require(ext, keys[1])
        self.default_topic = ext_require(ext, keys[2])
        self.default_topic_queue_nums = <int>java_parse(
            ext_require(ext, keys[3]), keys[3], INT32_MIN, INT32_MAX
        )
        self.queue_id = <int>java_parse(ext_require(ext, keys[4]), keys[4], INT32_MIN, INT32_MAX)
        self.sys_flag = <int>java_parse(ext_require(ext, keys[5]), keys[5], INT32_MIN, INT32_MAX)
        self.born_timestamp = java_parse(ext_require(ext, keys[6]), keys[6], INT64_MIN, INT64_MAX)
        self.flag = <int>java_parse(ext_require(ext, keys[7]), keys[7], INT32_MIN, INT32_MAX)
        self.properties = ext_get(ext, keys[8])
        self.reconsume_times = ext_opt_int(ext, keys[9])
        self.unit_mode = ext_opt_bool(ext, keys[10])
        self.max_reconsume_times = ext_opt_int(ext, keys[11])
        self.batch = ext_opt_bool(ext, keys[12])
        self.broker_name = ext_get(ext, keys[13])
        return self

    def to_ext_fields(self, v2):
        cdef tuple keys = _SEND_KEYS_V2 if v2 else _SEND_KEYS_V1
        cdef dict ext = {}
        ext_put(ext, keys[0], self.producer_group)
        ext_put(ext, keys[1], self.topic)
        ext_put(ext, keys[2], self.default_topic)
        ext[keys[3]] = str(self.default_topic_queue_nums)
        ext[keys[4]] = str(self.queue_id)
        ext[keys[5]] = str(self.sys_flag)
        ext[keys[6]] = str(self.born_timestamp)
        ext[keys[7]] = str(self.flag)
        ext_put(ext, keys[8], self.properties)
        ext_put(ext, keys[9], self.reconsume_times)
        ext_put_bool(ext, keys[10], self.unit_mode)
        ext_put(ext, keys[11], self.max_reconsume_times)
        ext_put_bool(ext, keys[12], self.batch)
        ext_put(ext, keys[13], self.broker_name)
        return ext

    def __repr__(self):
        return fields_repr("SendMessageRequestHeader", self, _SEND_ATTRIBUTES)


cdef tuple _SEND_RESPONSE_ATTRIBUTES = (
    "msg_id", "queue_id", "queue_offset", "transaction_id", "batch_uniq_id",
)


@cython.final
@cython.freelist(64)
cdef class SendMessageResponseHeader:
    """msgId (offsetMsgId, comma-joined for a batch), queueId, queueOffset, transactionId."""

    def __init__(
        self,
        msg_id="",
        int queue_id=0,
        long long queue_offset=0,
        transaction_id=None,
        batch_uniq_id=None,
    ):
        self.msg_id = msg_id
        self.queue_id = queue_id
        self.queue_offset = queue_offset
        self.transaction_id = transaction_id
        self.batch_uniq_id = batch_uniq_id

    @staticmethod
    def from_ext_fields(ext):
        """Raises HeaderError naming the field that is missing or malformed."""
        cdef SendMessageResponseHeader self = SendMessageResponseHeader.__new__(
            SendMessageResponseHeader
        )
        self.msg_id = ext_require(ext, "msgId")
        self.queue_id = <int>java_parse(ext_require(ext, "queueId"), "queueId",
                                        INT32_MIN, INT32_MAX)
        self.queue_offset = java_parse(ext_require(ext, "queueOffset"), "queueOffset",
                                       INT64_MIN, INT64_MAX)
        self.transaction_id = ext_get(ext, "transactionId")
        self.batch_uniq_id = ext_get(ext, "batchUniqId")
        return self

    def to_ext_fields(self):
        cdef dict ext = {
            "msgId": self.msg_id,
            "queueId": str(self.queue_id),
            "queueOffset": str(self.queue_offset),
        }
        if self.transaction_id is not None:
            ext["transactionId"] = self.transaction_id
        if self.batch_uniq_id is not None:
            ext["batchUniqId"] = self.batch_uniq_id
        return ext

    def __repr__(self):
        return fields_repr("SendMessageResponseHeader", self, _SEND_RESPONSE_ATTRIBUTES)


cdef tuple _PULL_ATTRIBUTES = (
    "consumer_group", "topic", "queue_id", "queue_offset", "max_msg_nums", "sys_flag",
    "commit_offset", "suspend_timeout_millis", "subscription", "sub_version",
    "expression_type", "max_msg_bytes", "request_source", "proxy_forward_client_id",
)


@cython.final
@cython.freelist(64)
cdef class PullMessageRequestHeader:
    """PULL_MESSAGE / LITE_PULL_MESSAGE request header."""

    def __init__(
        self,
        consumer_group="",
        topic="",
        int queue_id=0,
        long long queue_offset=0,
        int max_msg_nums=32,
        int sys_flag=0,
        long long commit_offset=0,
        long long suspend_timeout_millis=0,
        subscription=None,
        long long sub_version=0,
        expression_type=None,
        max_msg_bytes=None,
        request_source=None,
        proxy_forward_client_id=None,
    ):
        self.consumer_group = consumer_group
        self.topic = topic
        self.queue_id = queue_id
        self.queue_offset = queue_offset
        self.max_msg_nums = max_msg_nums
        self.sys_flag = sys_flag
        self.commit_offset = commit_offset
        self.suspend_timeout_millis = suspend_timeout_millis
        self.subscription = subscription
        self.sub_version = sub_version
        self.expression_type = expression_type
        self.max_msg_bytes = max_msg_bytes
        self.request_source = request_source
        self.proxy_forward_client_id = proxy_forward_client_id

    @staticmethod
    def from_ext_fields(ext):
        """Raises HeaderError naming the field that is missing or malformed."""
        cdef PullMessageRequestHeader self = PullMessageRequestHeader.__new__(
            PullMessageRequestHeader
        )
        self.consumer_group = ext_require(ext, "consumerGroup")
        self.topic = ext_require(ext, "topic")
        self.queue_id = <int>java_parse(ext_require(ext, "queueId"), "queueId",
                                        INT32_MIN, INT32_MAX)
        self.queue_offset = java_parse(ext_require(ext, "queueOffset"), "queueOffset",
                                       INT64_MIN, INT64_MAX)
        self.max_msg_nums = <int>java_parse(ext_require(ext, "maxMsgNums"), "maxMsgNums",
                                            INT32_MIN, INT32_MAX)
        self.sys_flag = <int>java_parse(ext_require(ext, "sysFlag"), "sysFlag",
                                        INT32_MIN, INT32_MAX)
        self.commit_offset = java_parse(ext_require(ext, "commitOffset"), "commitOffset",
                                        INT64_MIN, INT64_MAX)
        self.suspend_timeout_millis = java_parse(
            ext_require(ext, "suspendTimeoutMillis"), "suspendTimeoutMillis",
            INT64_MIN, INT64_MAX,
        )
        self.subscription = ext_get(ext, "subscription")
        self.sub_version = java_parse(ext_require(ext, "subVersion"), "subVersion",
                                      INT64_MIN, INT64_MAX)
        self.expression_type = ext_get(ext, "expressionType")
        self.max_msg_bytes = ext_opt_int(ext, "maxMsgBytes")
        self.request_source = ext_opt_int(ext, "requestSource")
        self.proxy_forward_client_id = ext_get(ext, "proxyFrowardClientId")  # sic, wire name
        return self

    def to_ext_fields(self):
        cdef dict ext = {}
        ext_put(ext, "consumerGroup", self.consumer_group)
        ext_put(ext, "topic", self.topic)
        ext["queueId"] = str(self.queue_id)
        ext["queueOffset"] = str(self.queue_offset)
        ext["maxMsgNums"] = str(self.max_msg_nums)
        ext["sysFlag"] = str(self.sys_flag)
        ext["commitOffset"] = str(self.commit_offset)
        ext["suspendTimeoutMillis"] = str(self.suspend_timeout_millis)
        ext_put(ext, "subscription", self.subscription)
        ext["subVersion"] = str(self.sub_version)
        ext_put(ext, "expressionType", self.expression_type)
        ext_put(ext, "maxMsgBytes", self.max_msg_bytes)
        ext_put(ext, "requestSource", self.request_source)
        ext_put(ext, "proxyFrowardClientId", self.proxy_forward_client_id)
        return ext

    def __repr__(self):
        return fields_repr("PullMessageRequestHeader", self, _PULL_ATTRIBUTES)


cdef tuple _PULL_RESPONSE_ATTRIBUTES = (
    "suggest_which_broker_id", "next_begin_offset", "min_offset", "max_offset",
    "offset_delta", "topic_sys_flag", "group_sys_flag", "forbidden_type",
)


@cython.final
@cython.freelist(64)
cdef class PullMessageResponseHeader:
    """The four offsets are always present: Java unboxes them, ali-ons stringifies them."""

    def __init__(
        self,
        long long suggest_which_broker_id=0,
        long long next_begin_offset=0,
        long long min_offset=0,
        long long max_offset=0,
        offset_delta=None,
        topic_sys_flag=None,
        group_sys_flag=None,
        forbidden_type=None,
    ):
        self.suggest_which_broker_id = suggest_which_broker_id
        self.next_begin_offset = next_begin_offset
        self.min_offset = min_offset
        self.max_offset = max_offset
        self.offset_delta = offset_delta
        self.topic_sys_flag = topic_sys_flag
        self.group_sys_flag = group_sys_flag
        self.forbidden_type = forbidden_type

    @staticmethod
    def from_ext_fields(ext):
        """Raises HeaderError naming the field that is missing or malformed."""
        cdef PullMessageResponseHeader self = PullMessageResponseHeader.__new__(
            PullMessageResponseHeader
        )
        self.suggest_which_broker_id = java_parse(
            ext_require(ext, "suggestWhichBrokerId"), "suggestWhichBrokerId",
            INT64_MIN, INT64_MAX,
        )
        self.next_begin_offset = java_parse(ext_require(ext, "nextBeginOffset"),
                                            "nextBeginOffset", INT64_MIN, INT64_MAX)
        self.min_offset = java_parse(ext_require(ext, "minOffset"), "minOffset",
                                     INT64_MIN, INT64_MAX)
        self.max_offset = java_parse(ext_require(ext, "maxOffset"), "maxOffset",
                                     INT64_MIN, INT64_MAX)
        self.offset_delta = ext_opt_long(ext, "offsetDelta")            # Java Long
        self.topic_sys_flag = ext_opt_int(ext, "topicSysFlag")          # Java Integer
        self.group_sys_flag = ext_opt_int(ext, "groupSysFlag")          # Java Integer
        self.forbidden_type = ext_opt_int(ext, "forbiddenType")         # Java Integer
        return self

    def to_ext_fields(self):
        cdef dict ext = {
            "suggestWhichBrokerId": str(self.suggest_which_broker_id),
            "nextBeginOffset": str(self.next_begin_offset),
            "minOffset": str(self.min_offset),
            "maxOffset": str(self.max_offset),
        }
        ext_put(ext, "offsetDelta", self.offset_delta)
        ext_put(ext, "topicSysFlag", self.topic_sys_flag)
        ext_put(ext, "groupSysFlag", self.group_sys_flag)
        ext_put(ext, "forbiddenType", self.forbidden_type)
        return ext

    def __repr__(self):
        return fields_repr("PullMessageResponseHeader", self, _PULL_RESPONSE_ATTRIBUTES)
