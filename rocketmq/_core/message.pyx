# cython: language_level=3
"""CommitLog record codec (shared/spec/store.md §2-§6).

The write path (encode_record) copies the caller's body/topic/properties
straight into the target buffer (bytearray, memoryview or mmap) through the
buffer protocol; the read paths (check_record, scan_records) walk records in
C and never read past the limit they are given. The pure-Python twin
rocketmq/_core/_pure/message.py is the reference: same names, signatures,
defaults and errors. Facts checked against apache/rocketmq 5.3.3
(MessageExtEncoder, MessageDecoder, CommitLog#checkMessageAndReturnSize).
"""

cimport cython
from cpython.buffer cimport PyBuffer_Release
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t
from libc.string cimport memcmp, memcpy, memmove

from rocketmq.errors import ProtocolError


cdef extern from "crc32.h":
    void rmq_crc32_init() noexcept nogil
    uint32_t rmq_crc32_update(uint32_t crc, const unsigned char *data, size_t size) noexcept nogil


cdef extern from *:
    """
    #ifndef RMQ_DEBUG
    #define RMQ_DEBUG 0
    #endif
    """
    # setup.py defines RMQ_DEBUG=1 for `make debug`; release builds compile
    # the checks below out.
    bint RMQ_DEBUG


cdef extern from "Python.h":
    Py_ssize_t PyUnicode_FindChar(object text, Py_UCS4 ch, Py_ssize_t start, Py_ssize_t end,
                                  int direction) except -2


rmq_crc32_init()

MAGIC_V1 = REC_MAGIC_V1  # 0xDAA320A7
MAGIC_V2 = REC_MAGIC_V2  # 0xDAA320AB: 2-byte topic length
BLANK_MAGIC = REC_BLANK_MAGIC  # 0xCBD43194: end-of-file filler

COMPRESSED = 0x1
MULTI_TAGS = 0x2
TRANSACTION_NOT_TYPE = 0
TRANSACTION_PREPARED_TYPE = 0x4
TRANSACTION_COMMIT_TYPE = 0x8
TRANSACTION_ROLLBACK_TYPE = 0xC
TRANSACTION_TYPE_MASK = 0xC
BORNHOST_V6 = REC_BORNHOST_V6
STOREHOST_V6 = REC_STOREHOST_V6

PROPERTY_SEPARATOR = "\x02"
NAME_VALUE_SEPARATOR = "\x01"
MAX_PROPERTIES_SIZE = REC_MAX_PROPERTIES_SIZE
MAX_TOPIC_SIZE = REC_MAX_TOPIC_SIZE
MAX_TOPIC_SIZE_V1 = REC_MAX_TOPIC_SIZE_V1
BLANK_SIZE = REC_BLANK_SIZE

RECORD_OK = REC_OK
RECORD_BLANK = REC_BLANK
RECORD_CORRUPT = REC_CORRUPT
RECORD_END = REC_END
SCAN_MAX_RECORDS = 4096

cdef tuple REASON_TEXTS = (
    "record is readable",
    "no record: zero-filled or no bytes before the limit",
    "end-of-file blank record",
    "record header or TOTALSIZE runs past the limit",
    "bad magic code",
    "field lengths disagree with TOTALSIZE",
    "body CRC mismatch",
)
cdef bytes ZERO_IP = b"\x00\x00\x00\x00"
cdef const char *HEX_UPPER = b"0123456789ABCDEF"


# -- argument helpers -------------------------------------------------------------

cdef int range_check(Py_ssize_t position, Py_ssize_t limit, Py_ssize_t size) except -1:
    if position < 0 or position > limit or limit > size:
        raise ValueError(
            f"need 0 <= position ({position}) <= limit ({limit}) <= buffer size ({size})")
    return 0


cdef int32_t port_arg(object port, str name) except? -1:
    cdef int overflow = 0
    cdef long long value
    port = PyNumber_Index(port)
    value = PyLong_AsLongLongAndOverflow(port, &overflow)
    if overflow or value < 0 or value > 65535:
        raise ValueError(f"{name} port out of range: {port}")
    return <int32_t>value


cdef int byte_arg(object obj, ByteArg *arg) except -1:
    if PyBytes_CheckExact(obj):
        arg.data = <const unsigned char *>PyBytes_AS_STRING(obj)
        arg.size = PyBytes_GET_SIZE(obj)
        return 0
    view_acquire(obj, &arg.view, False)
    arg.acquired = True
    arg.data = <const unsigned char *>arg.view.buf
    arg.size = arg.view.len
    return 0


cdef inline void byte_arg_release(ByteArg *arg) noexcept:
    if arg.acquired:
        arg.acquired = False
        PyBuffer_Release(&arg.view)


cdef int host_arg(object host, str name, unsigned char *ip, int32_t *ip_size,
                  int32_t *port) except -1:
    cdef ByteArg address_bytes
    address, number = host
    address_bytes.acquired = False
    byte_arg(address, &address_bytes)
    try:
        if address_bytes.size != 4 and address_bytes.size != 16:
            raise ValueError(f"{name} address must be 4 (IPv4) or 16 (IPv6) bytes, "
                             f"got {address_bytes.size}")
        memcpy(ip, address_bytes.data, address_bytes.size)
        ip_size[0] = <int32_t>address_bytes.size
    finally:
        byte_arg_release(&address_bytes)
    port[0] = port_arg(number, name)
    return 0


# -- CRC ---------------------------------------------------------------------------

def crc32(object data, Py_ssize_t start=0, object end=None):
    """IEEE CRC32 of ``data[start:end]`` as an unsigned int (= zlib.crc32).

    ``data`` is any contiguous buffer. Raises ValueError unless
    0 <= start <= end <= len(data).
    """
    cdef Py_buffer view
    cdef Py_ssize_t stop
    cdef uint32_t crc
    view_acquire(data, &view, False)
    try:
        stop = view.len if end is None else <Py_ssize_t>end
        if start < 0 or start > stop or stop > view.len:
            raise ValueError(f"need 0 <= start ({start}) <= end ({stop}) <= size ({view.len})")
        crc = rmq_crc32_update(0, <const unsigned char *>view.buf + start, <size_t>(stop - start))
    finally:
        PyBuffer_Release(&view)
    return crc


def body_crc(object data):
    """BODYCRC as Java stores it: CRC32 of the body masked with 0x7FFFFFFF."""
    cdef Py_buffer view
    cdef uint32_t crc
    view_acquire(data, &view, False)
    crc = rmq_crc32_update(0, <const unsigned char *>view.buf, <size_t>view.len)
    PyBuffer_Release(&view)
    return crc & 0x7FFFFFFFu


# -- sizes and encoding -----------------------------------------------------------------

def record_size(Py_ssize_t body_size, Py_ssize_t topic_size, Py_ssize_t properties_size,
                bint born_v6=False, bint store_v6=False, bint topic_v2=False):
    """TOTALSIZE of a record (MessageExtEncoder#calMsgLength); sizes in bytes."""
    if body_size < 0:
        raise ValueError(f"body_size must be >= 0, got {body_size}")
    if topic_size < 0:
        raise ValueError(f"topic_size must be >= 0, got {topic_size}")
    if properties_size < 0:
        raise ValueError(f"properties_size must be >= 0, got {properties_size}")
    return (88 + (12 if born_v6 else 0) + (12 if store_v6 else 0) + body_size
            + (2 if topic_v2 else 1) + topic_size + 2 + properties_size)


cdef int crc_arg(object body_crc, RecordInput *record) except -1:
    record.has_body_crc = body_crc is not None
    if record.has_body_crc:
        record.body_crc = int32_arg(body_crc)
    return 0


cdef int parts_acquire(ByteArg *parts, object body, object topic,
                       object properties) except -1:
    parts[0].acquired = False
    parts[1].acquired = False
    parts[2].acquired = False
    byte_arg(body, &parts[0])
    byte_arg(topic, &parts[1])
    byte_arg(properties, &parts[2])
    return 0


cdef inline void parts_release(ByteArg *parts) noexcept:
    byte_arg_release(&parts[0])
    byte_arg_release(&parts[1])
    byte_arg_release(&parts[2])


cdef int record_prepare(RecordInput *record, ByteArg *parts, object born_host,
                        object store_host) except -1:
    """Validate hosts and sizes of an encode call whose buffers are acquired."""
    cdef bint born_v6, store_v6
    cdef int64_t total
    host_arg(born_host, "born_host", record.born_ip, &record.born_ip_size, &record.born_port)
    host_arg(store_host, "store_host", record.store_ip, &record.store_ip_size,
             &record.store_port)
    born_v6 = record.born_ip_size == 16
    store_v6 = record.store_ip_size == 16
    if born_v6 != ((record.sys_flag & REC_BORNHOST_V6) != 0):
        raise ValueError("born_host address width disagrees with sys_flag BORNHOST_V6 (0x10)")
    if store_v6 != ((record.sys_flag & REC_STOREHOST_V6) != 0):
        raise ValueError("store_host address width disagrees with sys_flag STOREHOST_V6 (0x20)")
    record.body = parts[0].data
    record.body_size = parts[0].size
    record.topic = parts[1].data
    record.topic_size = parts[1].size
    record.properties = parts[2].data
    record.properties_size = parts[2].size
    if record.properties_size > REC_MAX_PROPERTIES_SIZE:
        raise ValueError(f"properties are {record.properties_size} bytes, "
                         f"more than {REC_MAX_PROPERTIES_SIZE}")
    if record.topic_size > REC_MAX_TOPIC_SIZE:
        raise ValueError(f"topic is {record.topic_size} bytes, more than {REC_MAX_TOPIC_SIZE}")
    total = (88 + (12 if born_v6 else 0) + (12 if store_v6 else 0) + record.body_size
             + (2 if record.topic_size > REC_MAX_TOPIC_SIZE_V1 else 1) + record.topic_size
             + 2 + record.properties_size)
    if total > 0x7FFFFFFF:
        raise ValueError(f"record of {total} bytes does not fit TOTALSIZE (int32)")
    record.total_size = <Py_ssize_t>total
    if not record.has_body_crc:
        record.body_crc = <int32_t>(
            rmq_crc32_update(0, record.body, <size_t>record.body_size) & 0x7FFFFFFFu)
    return 0


cdef int record_verify(const unsigned char *out, const RecordInput *record) except -1:
    """Debug builds: the bytes just written must parse back to the same size (pair assertion)."""
    cdef RecordLayout layout
    cdef Py_ssize_t size
    cdef int reason
    cdef int status = record_parse(out, record.total_size, True, &layout, &size, &reason)
    if status != REC_OK or size != record.total_size:
        raise AssertionError(f"encoded record does not parse back: status {status}, "
                             f"reason {REASON_TEXTS[reason]}")
    return 0


cdef void record_write(unsigned char *out, const RecordInput *record) noexcept nogil:
    cdef Py_ssize_t at
    cdef bint topic_v2 = record.topic_size > REC_MAX_TOPIC_SIZE_V1
    be_write_i32(out, <int32_t>record.total_size)
    be_write_i32(out + 4, REC_MAGIC_V2 if topic_v2 else REC_MAGIC_V1)
    be_write_i32(out + 8, record.body_crc)
    be_write_i32(out + 12, record.queue_id)
    be_write_i32(out + 16, record.flag)
    be_write_i64(out + 20, record.queue_offset)
    be_write_i64(out + 28, record.physical_offset)
    be_write_i32(out + 36, record.sys_flag)
    be_write_i64(out + 40, record.born_timestamp)
    at = REC_BORN_HOST_AT
    memcpy(out + at, record.born_ip, record.born_ip_size)
    at += record.born_ip_size
    be_write_i32(out + at, record.born_port)
    be_write_i64(out + at + 4, record.store_timestamp)
    at += 12
    memcpy(out + at, record.store_ip, record.store_ip_size)
    at += record.store_ip_size
    be_write_i32(out + at, record.store_port)
    be_write_i32(out + at + 4, record.reconsume_times)
    be_write_i64(out + at + 8, record.prepared_transaction_offset)
    be_write_i32(out + at + 16, <int32_t>record.body_size)
    at += 20
    # memmove: re-encoding a record read from the same mapping may overlap.
    memmove(out + at, record.body, record.body_size)
    at += record.body_size
    if topic_v2:
        be_write_i16(out + at, <int16_t>record.topic_size)
        at += 2
    else:
        out[at] = <unsigned char>record.topic_size
        at += 1
    memmove(out + at, record.topic, record.topic_size)
    at += record.topic_size
    be_write_i16(out + at, <int16_t>record.properties_size)
    memmove(out + at + 2, record.properties, record.properties_size)


def encode_record(object buffer, Py_ssize_t position, *, object queue_id, object flag,
                  object queue_offset, object physical_offset, object sys_flag,
                  object born_timestamp, object born_host, object store_timestamp,
                  object store_host, object reconsume_times,
                  object prepared_transaction_offset, object body, object topic,
                  object properties, object body_crc=None):
    """Write one CommitLog record into a writable buffer at ``position``; return its size.

    ``born_host``/``store_host`` are ``(ip_bytes, port)`` with 4- or 16-byte
    addresses that must agree with the sys_flag IPv6 bits. ``topic`` and
    ``properties`` are UTF-8 bytes; topics over 127 bytes get MAGIC_V2.
    ``body_crc`` None computes it. Raises TypeError for a read-only buffer,
    OverflowError for integers outside their Java type, ValueError for a host
    mismatch, properties over 32767 bytes or a record that does not fit.
    """
    cdef RecordInput record
    cdef Py_buffer out
    cdef ByteArg parts[3]
    record.queue_id = int32_arg(queue_id)
    record.flag = int32_arg(flag)
    record.queue_offset = int64_arg(queue_offset)
    record.physical_offset = int64_arg(physical_offset)
    record.sys_flag = int32_arg(sys_flag)
    record.born_timestamp = int64_arg(born_timestamp)
    record.store_timestamp = int64_arg(store_timestamp)
    record.reconsume_times = int32_arg(reconsume_times)
    record.prepared_transaction_offset = int64_arg(prepared_transaction_offset)
    crc_arg(body_crc, &record)
    view_acquire(buffer, &out, True)
    parts[0].acquired = parts[1].acquired = parts[2].acquired = False
    try:
        parts_acquire(parts, body, topic, properties)
        record_prepare(&record, parts, born_host, store_host)
        if position < 0 or position > out.len or record.total_size > out.len - position:
            raise ValueError(
                f"record of {record.total_size} bytes does not fit the buffer ({out.len} bytes) "
                f"at position {position}")
        record_write(<unsigned char *>out.buf + position, &record)
        if RMQ_DEBUG and not record.has_body_crc:
            record_verify(<const unsigned char *>out.buf + position, &record)
    finally:
        parts_release(parts)
        PyBuffer_Release(&out)
    return record.total_size


def encode_record_bytes(*, object queue_id, object flag, object queue_offset,
                        object physical_offset, object sys_flag, object born_timestamp,
                        object born_host, object store_timestamp, object store_host,
                        object reconsume_times, object prepared_transaction_offset,
                        object body, object topic, object properties, object body_crc=None):
    """encode_record into a new bytes object of exactly the record's size."""
    cdef RecordInput record
    cdef ByteArg parts[3]
    cdef bytes result
    record.queue_id = int32_arg(queue_id)
    record.flag = int32_arg(flag)
    record.queue_offset = int64_arg(queue_offset)
    record.physical_offset = int64_arg(physical_offset)
    record.sys_flag = int32_arg(sys_flag)
    record.born_timestamp = int64_arg(born_timestamp)
    record.store_timestamp = int64_arg(store_timestamp)
    record.reconsume_times = int32_arg(reconsume_times)
    record.prepared_transaction_offset = int64_arg(prepared_transaction_offset)
    crc_arg(body_crc, &record)
    parts[0].acquired = parts[1].acquired = parts[2].acquired = False
    try:
        parts_acquire(parts, body, topic, properties)
        record_prepare(&record, parts, born_host, store_host)
        result = PyBytes_FromStringAndSize(NULL, record.total_size)
        record_write(<unsigned char *>PyBytes_AS_STRING(result), &record)
        if RMQ_DEBUG and not record.has_body_crc:
            record_verify(<const unsigned char *>PyBytes_AS_STRING(result), &record)
    finally:
        parts_release(parts)
    return result


def encode_blank(object buffer, Py_ssize_t position, object free_space):
    """Write the end-of-file marker: int32 ``free_space``, int32 BLANK_MAGIC.

    ``free_space`` counts the bytes from ``position`` to the end of the file
    (at least 8, and they must lie inside ``buffer``); only the 8 marker bytes
    are written. Raises ValueError otherwise, TypeError for a read-only buffer.
    """
    cdef Py_buffer out
    cdef int32_t free = int32_arg(free_space)
    view_acquire(buffer, &out, True)
    try:
        if free < REC_BLANK_SIZE:
            raise ValueError(f"free_space must be >= {REC_BLANK_SIZE}, got {free}")
        if position < 0 or position > out.len or free > out.len - position:
            raise ValueError(f"blank of {free} bytes at position {position} exceeds "
                             f"the buffer ({out.len} bytes)")
        be_write_i32(<unsigned char *>out.buf + position, free)
        be_write_i32(<unsigned char *>out.buf + position + 4, REC_BLANK_MAGIC)
    finally:
        PyBuffer_Release(&out)


# -- decoding ------------------------------------------------------------------------------

cdef int record_parse(const unsigned char *record, Py_ssize_t remaining, bint check_crc,
                      RecordLayout *layout, Py_ssize_t *size, int *reason) noexcept nogil:
    """Status of the record at ``record`` with ``remaining`` readable bytes; see check_record."""
    cdef int32_t total, magic, sys_flag, body_size, topic_size, properties_size
    cdef int32_t born_size, store_size
    cdef Py_ssize_t i, at, body_at, topic_at
    cdef uint32_t crc
    size[0] = -1
    if remaining <= 0:
        size[0] = 0
        reason[0] = REASON_EMPTY
        return REC_END
    if remaining < 8:
        for i in range(remaining):
            if record[i] != 0:
                reason[0] = REASON_TRUNCATED
                return REC_CORRUPT
        size[0] = 0
        reason[0] = REASON_EMPTY
        return REC_END
    total = be_read_i32(record)
    magic = be_read_i32(record + 4)
    if magic == REC_BLANK_MAGIC:
        size[0] = 0
        reason[0] = REASON_BLANK
        return REC_BLANK
    if total == 0 and magic == 0:
        size[0] = 0
        reason[0] = REASON_EMPTY
        return REC_END
    if magic != REC_MAGIC_V1 and magic != REC_MAGIC_V2:
        reason[0] = REASON_MAGIC
        return REC_CORRUPT
    if total < 0 or total > remaining:
        reason[0] = REASON_TRUNCATED
        return REC_CORRUPT
    # From here on a failure is Java's "read total count not equals msg total size".
    reason[0] = REASON_LENGTH
    size[0] = total if total > 0 else -1
    if total < REC_MIN_HEADER:
        return REC_CORRUPT
    sys_flag = be_read_i32(record + 36)
    born_size = 20 if sys_flag & REC_BORNHOST_V6 else 8
    store_size = 20 if sys_flag & REC_STOREHOST_V6 else 8
    body_at = 72 + born_size + store_size
    if body_at > total:
        return REC_CORRUPT
    body_size = be_read_i32(record + body_at - 4)
    if body_size < 0 or body_size > total - body_at:
        return REC_CORRUPT
    at = body_at + body_size
    if magic == REC_MAGIC_V1:
        if at + 1 > total:
            return REC_CORRUPT
        topic_size = record[at]
        at += 1
    else:
        if at + 2 > total:
            return REC_CORRUPT
        topic_size = be_read_i16(record + at)
        at += 2
        if topic_size < 0:
            return REC_CORRUPT
    if topic_size > total - at:
        return REC_CORRUPT
    topic_at = at
    at += topic_size
    if at + 2 > total:
        return REC_CORRUPT
    properties_size = be_read_i16(record + at)
    at += 2
    if properties_size < 0 or properties_size != total - at:
        return REC_CORRUPT
    if check_crc and body_size > 0:
        crc = rmq_crc32_update(0, record + body_at, <size_t>body_size) & 0x7FFFFFFFu
        if <int32_t>crc != be_read_i32(record + 8):
            size[0] = -1
            reason[0] = REASON_CRC
            return REC_CORRUPT
    layout.total_size = total
    layout.magic = magic
    layout.sys_flag = sys_flag
    layout.born_size = born_size
    layout.store_size = store_size
    layout.body_at = body_at
    layout.body_size = body_size
    layout.topic_at = topic_at
    layout.topic_size = topic_size
    layout.properties_at = at
    layout.properties_size = properties_size
    size[0] = total
    reason[0] = REASON_NONE
    return REC_OK


def check_record(object buffer, Py_ssize_t position, Py_ssize_t limit, bint check_crc=True):
    """Check the record at ``position`` without reading past ``limit``; never raises on content.

    Returns ``(status, size)`` (CommitLog#checkMessageAndReturnSize, 5.3.3):

    * ``(RECORD_OK, total_size)``: a v1/v2 record whose field lengths add up
      to TOTALSIZE and (with ``check_crc``) whose body CRC matches. Java checks
      the CRC only for a non-empty body, and so do we.
    * ``(RECORD_BLANK, 0)``: BLANK_MAGIC, the end-of-file marker. Java returns
      size 0 with success and the caller continues at the next file.
    * ``(RECORD_END, 0)``: nothing written here: ``position == limit``, or the
      8 header bytes (or all bytes left when fewer) are zero. Java reports this
      as a failure (magic 0 is illegal) and recovery stops there; we separate
      it from corruption because it is the normal end of the written data.
    * ``(RECORD_CORRUPT, size)``: bad magic, TOTALSIZE negative or past
      ``limit``, header cut short, or CRC mismatch: size -1, like Java's
      ``DispatchRequest(-1, false)``. When magic and TOTALSIZE are plausible
      but the lengths inside disagree with TOTALSIZE, size is TOTALSIZE
      (Java's "[BUG]read total count not equals msg total size" result,
      which ReputMessageService skips and recovery truncates).

    Stricter than Java on garbage: a negative body or properties length is
    corrupt (Java treats it as 0), and a v1 topic length is an unsigned byte
    (Java reads a signed byte and fails on topics of 128-255 bytes, which
    only exist when autoMessageVersionOnTopicLen is off).
    Raises ValueError unless 0 <= position <= limit <= len(buffer).
    """
    cdef Py_buffer view
    cdef RecordLayout layout
    cdef Py_ssize_t size
    cdef int reason, status
    view_acquire(buffer, &view, False)
    try:
        range_check(position, limit, view.len)
        status = record_parse(<const unsigned char *>view.buf + position, limit - position,
                              check_crc, &layout, &size, &reason)
    finally:
        PyBuffer_Release(&view)
    return status, size


cdef str utf8_text(const unsigned char *data, Py_ssize_t size):
    return PyUnicode_DecodeUTF8(<const char *>data, size, "replace")


cdef str format_host(bytes ip, object port):
    # Java's InetAddress.getByAddress turns an IPv4-mapped IPv6 address into
    # an Inet4Address; RemotingHelper.parseSocketAddressAddr then prints
    # InetSocketAddress#toString minus the "host/" prefix (JDK 14+ brackets IPv6).
    cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(ip)
    cdef Py_ssize_t n = len(ip), i
    if n == 16 and memcmp(p, b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff", 12) == 0:
        p += 12
        n = 4
    if n == 4:
        return f"{p[0]}.{p[1]}.{p[2]}.{p[3]}:{port}"
    groups = ":".join([f"{(p[i] << 8) | p[i + 1]:x}" for i in range(0, 16, 2)])
    return f"[{groups}]:{port}"


cdef str hex_id(const unsigned char *ip, Py_ssize_t ip_size, int32_t port, int64_t offset):
    cdef unsigned char raw[28]
    cdef char text[56]
    cdef Py_ssize_t i, n = ip_size + 12
    memcpy(raw, ip, ip_size)
    be_write_i32(raw + ip_size, port)
    be_write_i64(raw + ip_size + 4, offset)
    for i in range(n):
        text[2 * i] = HEX_UPPER[raw[i] >> 4]
        text[2 * i + 1] = HEX_UPPER[raw[i] & 0x0F]
    return PyUnicode_DecodeASCII(text, 2 * n, NULL)


# no_gc: the fields are ints, str, bytes and (bytes, int) tuples built here,
# which can never lead back to the record, so no cycle can form.
@cython.freelist(32)
@cython.no_gc
@cython.final
cdef class MessageRecord:
    """A decoded CommitLog record (read-only); see decode_record.

    ``born_host``/``store_host`` are ``(ip_bytes, port)``; ``body`` is bytes,
    or None when decoded with ``read_body=False``; ``topic`` and
    ``properties`` (the raw NAME\\x01VALUE\\x02 string) are str.
    """

    def __init__(self):
        self.born_host = (ZERO_IP, 0)
        self.store_host = (ZERO_IP, 0)
        self.topic = ""
        self.properties = ""

    def properties_dict(self):
        """The properties as Java's string2messageProperties parses them."""
        return string_to_properties(self.properties)

    @property
    def born_host_str(self):
        """``"ip:port"``; IPv6 as ``"[a:b:c:d:e:f:g:h]:port"`` like Java 17."""
        return format_host(self.born_host[0], self.born_host[1])

    @property
    def store_host_str(self):
        return format_host(self.store_host[0], self.store_host[1])

    @property
    def tags(self):
        return string_to_properties(self.properties).get("TAGS")

    @property
    def keys(self):
        """KEYS split on spaces, empty pieces dropped (IndexService#buildIndex)."""
        keys = string_to_properties(self.properties).get("KEYS")
        return [] if keys is None else [key for key in keys.split(" ") if key]

    @property
    def uniq_key(self):
        return string_to_properties(self.properties).get("UNIQ_KEY")

    @property
    def msg_id(self):
        """The offset message id: STOREHOST + PHYSICALOFFSET in hex (MessageDecoder#decode)."""
        cdef bytes ip = self.store_host[0]
        return hex_id(<const unsigned char *>PyBytes_AS_STRING(ip), len(ip),
                      self.store_host[1], self.physical_offset)

    cdef tuple _key(self):
        # Same order as the pure twin's (alphabetical) slots.
        return (self.body, self.body_crc, self.born_host, self.born_timestamp, self.flag,
                self.magic, self.physical_offset, self.prepared_transaction_offset,
                self.properties, self.queue_id, self.queue_offset, self.reconsume_times,
                self.store_host, self.store_timestamp, self.sys_flag, self.topic,
                self.total_size)

    def __eq__(self, other):
        if not isinstance(other, MessageRecord):
            return NotImplemented
        return self._key() == (<MessageRecord>other)._key()

    def __repr__(self):
        return (f"MessageRecord(topic={self.topic!r}, queue_id={self.queue_id}, "
                f"queue_offset={self.queue_offset}, physical_offset={self.physical_offset}, "
                f"total_size={self.total_size})")


# no_gc: only ints, str and None; a scan of thousands of records must not
# trigger cyclic collections that walk them.
@cython.freelist(256)
@cython.no_gc
@cython.final
cdef class DispatchRecord:
    """What the ConsumeQueue/IndexFile dispatcher needs of one record (read-only).

    ``position`` is the record's position in the scanned buffer (add the
    file's start offset for a commit-log offset); ``physical_offset`` is the
    PHYSICALOFFSET field. ``tags_code`` is tags_hash(TAGS) (0 without tags):
    for SCHEDULE_TOPIC_XXXX the dispatcher replaces it with the delivery
    time. ``keys`` is the raw KEYS property (space separated, like
    DispatchRequest#getKeys) or None; ``uniq_key`` the UNIQ_KEY property or
    None; ``properties`` the raw property string ("" when there is none).
    """

    def __init__(self):
        self.topic = ""
        self.properties = ""

    cdef tuple _key(self):
        return (self.keys, self.physical_offset, self.position,
                self.prepared_transaction_offset, self.properties, self.queue_id,
                self.queue_offset, self.store_timestamp, self.sys_flag, self.tags_code,
                self.topic, self.total_size, self.uniq_key)

    def __eq__(self, other):
        if not isinstance(other, DispatchRecord):
            return NotImplemented
        return self._key() == (<DispatchRecord>other)._key()

    def __repr__(self):
        return (f"DispatchRecord(position={self.position}, total_size={self.total_size}, "
                f"topic={self.topic!r}, queue_id={self.queue_id}, "
                f"queue_offset={self.queue_offset})")


cdef MessageRecord record_new(const unsigned char *record, const RecordLayout *layout,
                              bint read_body):
    cdef MessageRecord result = MessageRecord.__new__(MessageRecord)
    cdef Py_ssize_t at
    result.total_size = layout.total_size
    result.magic = layout.magic
    result.body_crc = be_read_i32(record + 8)
    result.queue_id = be_read_i32(record + 12)
    result.flag = be_read_i32(record + 16)
    result.queue_offset = be_read_i64(record + 20)
    result.physical_offset = be_read_i64(record + 28)
    result.sys_flag = layout.sys_flag
    result.born_timestamp = be_read_i64(record + 40)
    at = REC_BORN_HOST_AT
    result.born_host = (
        PyBytes_FromStringAndSize(<const char *>record + at, layout.born_size - 4),
        be_read_i32(record + at + layout.born_size - 4))
    at += layout.born_size
    result.store_timestamp = be_read_i64(record + at)
    at += 8
    result.store_host = (
        PyBytes_FromStringAndSize(<const char *>record + at, layout.store_size - 4),
        be_read_i32(record + at + layout.store_size - 4))
    at += layout.store_size
    result.reconsume_times = be_read_i32(record + at)
    result.prepared_transaction_offset = be_read_i64(record + at + 4)
    if read_body:
        result.body = PyBytes_FromStringAndSize(<const char *>record + layout.body_at,
                                                layout.body_size)
    else:
        result.body = None
    result.topic = utf8_text(record + layout.topic_at, layout.topic_size)
    result.properties = utf8_text(record + layout.properties_at, layout.properties_size)
    return result


def decode_record(object buffer, Py_ssize_t position, bint read_body=True,
                  bint check_crc=False):
    """Decode the record at ``position`` (MessageDecoder#decode without decompression).

    Raises ProtocolError when check_record would not say RECORD_OK (blank,
    zero-filled, bad magic, truncated, lengths disagreeing with TOTALSIZE or,
    with ``check_crc``, a body CRC mismatch), ValueError for a position
    outside the buffer.
    """
    cdef Py_buffer view
    cdef RecordLayout layout
    cdef Py_ssize_t size
    cdef int reason, status
    cdef const unsigned char *record
    view_acquire(buffer, &view, False)
    try:
        range_check(position, view.len, view.len)
        record = <const unsigned char *>view.buf + position
        status = record_parse(record, view.len - position, check_crc, &layout, &size, &reason)
        if status != REC_OK:
            raise ProtocolError(f"cannot decode record at {position}: {REASON_TEXTS[reason]}")
        return record_new(record, &layout, read_body)
    finally:
        PyBuffer_Release(&view)


cdef void properties_find(const unsigned char *data, Py_ssize_t size,
                          PropertySpans *spans) noexcept nogil:
    """Value spans of TAGS, KEYS and UNIQ_KEY with string2messageProperties' rules.

    \\x01 and \\x02 never occur inside a UTF-8 multi-byte sequence, so the
    byte-level split equals Java's split of the decoded string; a later
    duplicate name wins as in the HashMap.
    """
    cdef Py_ssize_t index = 0, end, separator
    cdef unsigned char c
    spans.tags_size = -1
    spans.keys_size = -1
    spans.uniq_size = -1
    while index < size:
        end = index
        separator = -1
        while end < size:
            c = data[end]
            if c == 2:
                break
            if c == 1 and separator < 0:
                separator = end
            end += 1
        if index < separator < end - 1:
            if separator - index == 4:
                if memcmp(data + index, b"TAGS", 4) == 0:
                    spans.tags_at = separator + 1
                    spans.tags_size = end - separator - 1
                elif memcmp(data + index, b"KEYS", 4) == 0:
                    spans.keys_at = separator + 1
                    spans.keys_size = end - separator - 1
            elif separator - index == 8 and memcmp(data + index, b"UNIQ_KEY", 8) == 0:
                spans.uniq_at = separator + 1
                spans.uniq_size = end - separator - 1
        index = end + 1


cdef DispatchRecord dispatch_new(const unsigned char *record, Py_ssize_t position,
                                 const RecordLayout *layout, str topic):
    cdef DispatchRecord result = DispatchRecord.__new__(DispatchRecord)
    cdef PropertySpans spans
    cdef const unsigned char *properties = record + layout.properties_at
    cdef int32_t code
    cdef Py_ssize_t store_at = REC_BORN_HOST_AT + layout.born_size
    result.position = position
    result.total_size = layout.total_size
    result.queue_id = be_read_i32(record + 12)
    result.queue_offset = be_read_i64(record + 20)
    result.physical_offset = be_read_i64(record + 28)
    result.sys_flag = layout.sys_flag
    result.store_timestamp = be_read_i64(record + store_at)
    result.prepared_transaction_offset = be_read_i64(record + store_at + 8 + layout.store_size + 4)
    result.topic = topic
    properties_find(properties, layout.properties_size, &spans)
    result.tags_code = 0
    if spans.tags_size > 0:
        if jhash_utf8(properties + spans.tags_at, spans.tags_size, &code) == 0:
            result.tags_code = code
        else:
            result.tags_code = jhash_unicode(
                utf8_text(properties + spans.tags_at, spans.tags_size))
    result.keys = (None if spans.keys_size < 0
                   else utf8_text(properties + spans.keys_at, spans.keys_size))
    result.uniq_key = (None if spans.uniq_size < 0
                       else utf8_text(properties + spans.uniq_at, spans.uniq_size))
    result.properties = utf8_text(properties, layout.properties_size)
    return result


def scan_records(object buffer, Py_ssize_t position, Py_ssize_t limit, bint check_crc,
                 Py_ssize_t max_records=4096):
    """Walk consecutive records from ``position`` for recovery and dispatch.

    Returns ``(records, status, position, size)``: a DispatchRecord for each
    RECORD_OK record in order, then where and why the walk stopped:
    ``status``/``size`` are check_record's result for the record at the
    returned ``position`` (RECORD_END when it reached ``limit`` or zeros,
    RECORD_BLANK at the end-of-file marker, RECORD_CORRUPT), or
    ``(RECORD_OK, 0)`` when ``max_records`` records were returned and the
    walk can continue from ``position``. Never reads past ``limit`` and never
    raises on content; ValueError for bad positions or max_records < 1.
    """
    cdef Py_buffer view
    cdef RecordLayout layout
    cdef Py_ssize_t size = 0, count = 0
    cdef int reason, status = REC_OK
    cdef const unsigned char *base
    cdef const unsigned char *record
    cdef const unsigned char *last_topic = NULL
    cdef Py_ssize_t last_topic_size = -1
    cdef str topic = None
    cdef list records = []
    if max_records < 1:
        raise ValueError(f"max_records must be >= 1, got {max_records}")
    view_acquire(buffer, &view, False)
    try:
        range_check(position, limit, view.len)
        base = <const unsigned char *>view.buf
        while count < max_records:
            record = base + position
            status = record_parse(record, limit - position, check_crc, &layout, &size, &reason)
            if status != REC_OK:
                return records, status, position, size
            # Consecutive records mostly share a topic: decode it once.
            if (layout.topic_size != last_topic_size
                    or memcmp(last_topic, record + layout.topic_at, layout.topic_size) != 0):
                topic = utf8_text(record + layout.topic_at, layout.topic_size)
                last_topic = record + layout.topic_at
                last_topic_size = layout.topic_size
            records.append(dispatch_new(record, position, &layout, topic))
            position += size
            count += 1
    finally:
        PyBuffer_Release(&view)
    return records, REC_OK, position, 0


# -- properties --------------------------------------------------------------------------

def properties_to_string(object properties):
    """Java messageProperties2String: NAME \\x01 VALUE \\x02 per pair, None values skipped.

    ``None`` gives "". Raises TypeError for a name or value that is not str
    (Java would print a null name as "null"; ours must be str).
    """
    cdef list parts = []
    if properties is None:
        return ""
    for name, value in properties.items():
        if value is None:
            continue
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"property names and values must be str, got {name!r}: {value!r}")
        parts.append(name)
        parts.append("\x01")
        parts.append(value)
        parts.append("\x02")
    return "".join(parts)


def string_to_properties(object text):
    """Java string2messageProperties: split on \\x02, the first \\x01 splits name and value.

    Pieces without a \\x01, with an empty name or an empty value are
    ignored; a later duplicate name wins. ``None`` gives {}.
    """
    cdef dict result = {}
    cdef Py_ssize_t size, index = 0, end, separator
    if text is None:
        return result
    if not isinstance(text, str):
        raise TypeError(f"properties must be str, got {type(text).__name__}")
    size = len(text)
    while index < size:
        end = PyUnicode_FindChar(text, 2, index, size, 1)
        if end < 0:
            end = size
        if end - index >= 3:
            separator = PyUnicode_FindChar(text, 1, index, end, 1)
            if index < separator < end - 1:
                result[text[index:separator]] = text[separator + 1:end]
        index = end + 1
    return result


# -- message ids ---------------------------------------------------------------------------

def offset_msg_id(object store_host, object physical_offset):
    """Uppercase hex of store ip + int32 port + int64 offset (32 chars IPv4, 56 IPv6)."""
    cdef unsigned char ip[16]
    cdef int32_t ip_size, port
    cdef int64_t offset = int64_arg(physical_offset)
    host_arg(store_host, "store_host", ip, &ip_size, &port)
    return hex_id(ip, ip_size, port, offset)


cdef frozenset HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def decode_offset_msg_id(object msg_id):
    """``(ip_bytes, port, physical_offset)`` of an offset message id.

    Raises TypeError for a non-str, ValueError unless it is 32 (IPv4) or 56
    (IPv6) hex digits (either case, like Java's UtilAll#string2bytes).
    """
    cdef bytes data
    cdef Py_ssize_t ip_size
    cdef const unsigned char *p
    if not isinstance(msg_id, str):
        raise TypeError(f"msg_id must be str, got {type(msg_id).__name__}")
    if len(msg_id) != 32 and len(msg_id) != 56:
        raise ValueError(f"offset message id must be 32 or 56 hex digits, got {len(msg_id)}")
    if not HEX_DIGITS.issuperset(msg_id):
        raise ValueError(f"offset message id is not hex: {msg_id!r}")
    data = bytes.fromhex(msg_id)
    ip_size = len(data) - 12
    p = <const unsigned char *>PyBytes_AS_STRING(data)
    return data[:ip_size], be_read_i32(p + ip_size), be_read_i64(p + ip_size + 4)


# -- producer batch body (SEND_BATCH_MESSAGE) ----------------------------------------------

def decode_batch_body(object body):
    """Split a batch body into ``[(flag, body, properties), ...]``.

    Per message: int32 TOTALSIZE, int32 MAGICCODE, int32 BODYCRC, int32 FLAG,
    int32 BODYLEN, BODY, int16 PROPERTIESLENGTH, PROPERTIES (UTF-8). Like the
    Java broker (MessageExtEncoder#encode(MessageExtBatch)) TOTALSIZE, MAGIC
    and BODYCRC are not checked; the broker computes its own CRC. Raises
    ProtocolError for a truncated entry or a negative length.
    """
    cdef Py_buffer view
    cdef const unsigned char *data
    cdef Py_ssize_t size, at = 0
    cdef int32_t flag, body_size
    cdef int16_t properties_size
    cdef list result = []
    view_acquire(body, &view, False)
    try:
        data = <const unsigned char *>view.buf
        size = view.len
        while at < size:
            if size - at < 22:
                raise ProtocolError(f"batch entry at {at} is truncated ({size - at} bytes left)")
            flag = be_read_i32(data + at + 12)
            body_size = be_read_i32(data + at + 16)
            at += 20
            if body_size < 0 or body_size > size - at - 2:
                raise ProtocolError(
                    f"batch entry body length {body_size} at {at - 4} is invalid")
            message_body = PyBytes_FromStringAndSize(<const char *>data + at, body_size)
            at += body_size
            properties_size = be_read_i16(data + at)
            at += 2
            if properties_size < 0 or properties_size > size - at:
                raise ProtocolError(
                    f"batch entry properties length {properties_size} at {at - 2} is invalid")
            result.append((flag, message_body, utf8_text(data + at, properties_size)))
            at += properties_size
    finally:
        PyBuffer_Release(&view)
    return result


def encode_batch_body(object messages):
    """The batch body a Java producer sends (MessageDecoder#encodeMessages).

    ``messages`` is an iterable of ``(flag, body, properties)`` with
    ``properties`` a str (see properties_to_string). MAGICCODE and BODYCRC
    are 0 as Java writes them. Raises ValueError for properties over 32767
    UTF-8 bytes, OverflowError for a flag outside int32.
    """
    cdef list parts = []
    cdef bytearray head
    cdef int32_t flag_value
    cdef Py_buffer view
    cdef bytes encoded, data
    cdef unsigned char *p
    for flag, message_body, properties in messages:
        flag_value = int32_arg(flag)
        if not isinstance(properties, str):
            raise TypeError(f"properties must be str, got {type(properties).__name__}")
        view_acquire(message_body, &view, False)
        try:
            data = PyBytes_FromStringAndSize(<const char *>view.buf, view.len)
        finally:
            PyBuffer_Release(&view)
        encoded = (<str>properties).encode("utf-8")
        if len(encoded) > REC_MAX_PROPERTIES_SIZE:
            raise ValueError(
                f"properties are {len(encoded)} bytes, more than {REC_MAX_PROPERTIES_SIZE}")
        head = bytearray(20)
        p = <unsigned char *>(<char *>head)
        be_write_i32(p, <int32_t>(22 + len(data) + len(encoded)))
        be_write_i32(p + 4, 0)
        be_write_i32(p + 8, 0)
        be_write_i32(p + 12, flag_value)
        be_write_i32(p + 16, <int32_t>len(data))
        parts.append(bytes(head))
        parts.append(data)
        parts.append(len(encoded).to_bytes(2, "big"))
        parts.append(encoded)
    return b"".join(parts)
