# The C contract of rocketmq/_core/headers.pyx: every field and every cdef
# signature. Python-visible behaviour is specified by _pure/headers.py.
cimport cython


@cython.final
cdef class SendMessageRequestHeader:
    cdef public object producer_group              # str
    cdef public object topic                       # str
    cdef public object default_topic               # str
    cdef public int default_topic_queue_nums
    cdef public int queue_id
    cdef public int sys_flag
    cdef public long long born_timestamp           # ms
    cdef public int flag
    cdef public object properties                  # str | None
    cdef public object reconsume_times             # int | None
    cdef public object unit_mode                   # bool | None
    cdef public object max_reconsume_times         # int | None
    cdef public object batch                       # bool | None
    cdef public object broker_name                 # str | None


@cython.final
cdef class SendMessageResponseHeader:
    cdef public object msg_id                      # str
    cdef public int queue_id
    cdef public long long queue_offset
    cdef public object transaction_id              # str | None
    cdef public object batch_uniq_id               # str | None


@cython.final
cdef class PullMessageRequestHeader:
    cdef public object consumer_group              # str
    cdef public object topic                       # str
    cdef public int queue_id
    cdef public long long queue_offset
    cdef public int max_msg_nums
    cdef public int sys_flag
    cdef public long long commit_offset
    cdef public long long suspend_timeout_millis
    cdef public object subscription                # str | None
    cdef public long long sub_version
    cdef public object expression_type             # str | None
    cdef public object max_msg_bytes               # int | None
    cdef public object request_source              # int | None
    cdef public object proxy_forward_client_id     # str | None


@cython.final
cdef class PullMessageResponseHeader:
    cdef public long long suggest_which_broker_id
    cdef public long long next_begin_offset
    cdef public long long min_offset
    cdef public long long max_offset
    cdef public object offset_delta                # int | None (Java Long)
    cdef public object topic_sys_flag              # int | None (Java Integer)
    cdef public object group_sys_flag              # int | None (Java Integer)
    cdef public object forbidden_type              # int | None (Java Integer)


# -- Java number and boolean parsing (Integer/Long.parseXxx, Boolean.parseBoolean) --

# Raises HeaderError naming ``key`` unless ``text`` is a str of an optional
# sign and ASCII digits whose value lies in [low, high].
cdef long long java_parse(object text, object key, long long low,
                          long long high) except? -1
cdef object java_bool(object text)                 # bool


# -- extFields access: ext is a dict, or any object with .get() -------------------

cdef object ext_get(object ext, object key)        # the value, or None when absent
cdef object ext_require(object ext, object key)    # HeaderError when absent
cdef object ext_opt_int(object ext, object key)    # int32 | None
cdef object ext_opt_long(object ext, object key)   # int64 | None
cdef object ext_opt_bool(object ext, object key)   # bool | None
cdef str fields_repr(str name, object header, tuple attributes)
