# cython: language_level=3
"""C contract of rocketmq._core.message: the CommitLog record (store.md §2-§6).

storefmt.pyx cimports the buffer, big-endian and String.hashCode helpers
below (the dispatcher hashes tags straight from record bytes, so the hash
lives in the lower module); everything else here is private to message.pyx.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.long cimport PyLong_Check
from cpython.number cimport PyNumber_Index
from cpython.unicode cimport (
    PyUnicode_1BYTE_KIND,
    PyUnicode_2BYTE_KIND,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
)
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t


# Layout constants (C side; the Python names live in message.pyx).
cdef enum:
    REC_MAGIC_V1 = -626843481
    REC_MAGIC_V2 = -626843477
    REC_BLANK_MAGIC = -875286124
    REC_BORNHOST_V6 = 0x10
    REC_STOREHOST_V6 = 0x20
    REC_MAX_PROPERTIES_SIZE = 32767
    REC_MAX_TOPIC_SIZE = 32767
    REC_MAX_TOPIC_SIZE_V1 = 127
    REC_BLANK_SIZE = 8
    REC_MIN_HEADER = 40          # enough to read SYSFLAG
    REC_BORN_HOST_AT = 48        # BORNHOST follows BORNTIMESTAMP

# check_record statuses
cdef enum:
    REC_OK = 0
    REC_BLANK = 1
    REC_CORRUPT = 2
    REC_END = 3

# Why a record is unreadable (index into the reason texts in message.pyx).
cdef enum:
    REASON_NONE = 0
    REASON_EMPTY = 1
    REASON_BLANK = 2
    REASON_TRUNCATED = 3
    REASON_MAGIC = 4
    REASON_LENGTH = 5
    REASON_CRC = 6


# -- buffers -------------------------------------------------------------------

cdef inline int view_acquire(object obj, Py_buffer *view, bint writable) except -1:
    """A contiguous byte view of ``obj``; TypeError if ``writable`` and it is read-only."""
    PyObject_GetBuffer(obj, view, PyBUF_SIMPLE)
    if writable and view.readonly:
        PyBuffer_Release(view)
        raise TypeError("buffer must be writable (bytearray, writable memoryview or mmap)")
    return 0


# -- integer arguments -----------------------------------------------------------
# Cython converts a typed int32_t/int64_t argument through __int__, so 1.5
# would become 1; these take __index__ only (TypeError for floats, like the
# pure twin's operator.index) and raise OverflowError outside the C type.

cdef inline int32_t int32_arg(object value) except? -1:
    if not PyLong_Check(value):
        value = PyNumber_Index(value)
    return value


cdef inline int64_t int64_arg(object value) except? -1:
    if not PyLong_Check(value):
        value = PyNumber_Index(value)
    return value


# -- big-endian access (no alignment assumed) --------------------------------

cdef inline int16_t be_read_i16(const unsigned char *p) noexcept nogil:
    return <int16_t>((<uint16_t>p[0] << 8) | <uint16_t>p[1])


cdef inline int32_t be_read_i32(const unsigned char *p) noexcept nogil:
    return <int32_t>((<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16)
                     | (<uint32_t>p[2] << 8) | <uint32_t>p[3])


cdef inline int64_t be_read_i64(const unsigned char *p) noexcept nogil:
    return <int64_t>((<uint64_t><uint32_t>be_read_i32(p) << 32)
                     | <uint64_t><uint32_t>be_read_i32(p + 4))


cdef inline void be_write_i16(unsigned char *p, int16_t value) noexcept nogil:
    cdef uint16_t v = <uint16_t>value
    p[0] = <unsigned char>(v >> 8)
    p[1] = <unsigned char>v


cdef inline void be_write_i32(unsigned char *p, int32_t value) noexcept nogil:
    cdef uint32_t v = <uint32_t>value
    p[0] = <unsigned char>(v >> 24)
    p[1] = <unsigned char>(v >> 16)
    p[2] = <unsigned char>(v >> 8)
    p[3] = <unsigned char>v


cdef inline void be_write_i64(unsigned char *p, int64_t value) noexcept nogil:
    cdef uint64_t v = <uint64_t>value
    be_write_i32(p, <int32_t>(v >> 32))
    be_write_i32(p + 4, <int32_t>(v & 0xFFFFFFFFu))


# -- Java String.hashCode -------------------------------------------------------
# h = 31*h + unit over UTF-16 code units, wrapping at 32 bits.

cdef inline uint32_t jhash_step(uint32_t h, uint32_t unit) noexcept nogil:
    return h * 31u + unit


cdef inline int32_t jhash_unicode(str text) noexcept:
    """Hash of a str; code points above U+FFFF hash as their surrogate pair."""
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(text)
    cdef unsigned int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef uint32_t h = 0, cp
    cdef const uint8_t *p1
    cdef const uint16_t *p2
    cdef const uint32_t *p4
    if kind == PyUnicode_1BYTE_KIND:
        p1 = <const uint8_t *>data
        for i in range(n):
            h = jhash_step(h, p1[i])
    elif kind == PyUnicode_2BYTE_KIND:
        p2 = <const uint16_t *>data
        for i in range(n):
            h = jhash_step(h, p2[i])
    else:
        p4 = <const uint32_t *>data
        for i in range(n):
            cp = p4[i]
            if cp >= 0x10000:
                cp -= 0x10000
                h = jhash_step(h, 0xD800u + (cp >> 10))
                h = jhash_step(h, 0xDC00u + (cp & 0x3FFu))
            else:
                h = jhash_step(h, cp)
    return <int32_t>h


cdef inline int jhash_utf8(const unsigned char *p, Py_ssize_t n, int32_t *out) noexcept nogil:
    """Hash of the string Java decodes from UTF-8 bytes.

    Returns 0 and stores the hash for well-formed UTF-8 (the same strict
    rules as Java's and Python's decoders: no overlongs, no surrogates,
    nothing above U+10FFFF); returns -1 otherwise so the caller can decode
    with replacement characters and hash the str.
    """
    cdef Py_ssize_t i = 0
    cdef uint32_t h = 0, cp, c, c1, c2, c3
    while i < n:
        c = p[i]
        if c < 0x80:
            h = jhash_step(h, c)
            i += 1
            continue
        if c < 0xC2 or c > 0xF4:
            return -1
        if c < 0xE0:
            if i + 1 >= n:
                return -1
            c1 = p[i + 1]
            if (c1 & 0xC0) != 0x80:
                return -1
            h = jhash_step(h, ((c & 0x1F) << 6) | (c1 & 0x3F))
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return -1
            c1 = p[i + 1]
            c2 = p[i + 2]
            if (c1 & 0xC0) != 0x80 or (c2 & 0xC0) != 0x80:
                return -1
            if (c == 0xE0 and c1 < 0xA0) or (c == 0xED and c1 >= 0xA0):
                return -1
            h = jhash_step(h, ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F))
            i += 3
        else:
            if i + 3 >= n:
                return -1
            c1 = p[i + 1]
            c2 = p[i + 2]
            c3 = p[i + 3]
            if (c1 & 0xC0) != 0x80 or (c2 & 0xC0) != 0x80 or (c3 & 0xC0) != 0x80:
                return -1
            if (c == 0xF0 and c1 < 0x90) or (c == 0xF4 and c1 >= 0x90):
                return -1
            cp = (((c & 0x07) << 18) | ((c1 & 0x3F) << 12) | ((c2 & 0x3F) << 6)
                  | (c3 & 0x3F)) - 0x10000
            h = jhash_step(h, 0xD800u + (cp >> 10))
            h = jhash_step(h, 0xDC00u + (cp & 0x3FFu))
            i += 4
    out[0] = <int32_t>h
    return 0


# -- record layout -------------------------------------------------------------

# Where the variable parts of one record are, relative to its first byte.
cdef struct RecordLayout:
    int32_t total_size
    int32_t magic
    int32_t sys_flag
    int32_t born_size            # 8 (IPv4) or 20 (IPv6), including the port
    int32_t store_size
    Py_ssize_t body_at
    int32_t body_size
    Py_ssize_t topic_at
    int32_t topic_size
    Py_ssize_t properties_at
    int32_t properties_size


# A read-only bytes-like argument: exact bytes are read in place, anything
# else through the buffer protocol (released by byte_arg_release).
cdef struct ByteArg:
    const unsigned char *data
    Py_ssize_t size
    bint acquired
    Py_buffer view


# An encode_record call, validated.
cdef struct RecordInput:
    int32_t queue_id
    int32_t flag
    int64_t queue_offset
    int64_t physical_offset
    int32_t sys_flag
    int64_t born_timestamp
    int64_t store_timestamp
    int32_t reconsume_times
    int64_t prepared_transaction_offset
    int32_t body_crc
    bint has_body_crc
    unsigned char born_ip[16]
    int32_t born_ip_size
    int32_t born_port
    unsigned char store_ip[16]
    int32_t store_ip_size
    int32_t store_port
    const unsigned char *body
    Py_ssize_t body_size
    const unsigned char *topic
    Py_ssize_t topic_size
    const unsigned char *properties
    Py_ssize_t properties_size
    Py_ssize_t total_size


# The three properties the dispatcher reads, found in one pass over the bytes.
cdef struct PropertySpans:
    Py_ssize_t tags_at
    Py_ssize_t tags_size         # -1 when absent
    Py_ssize_t keys_at
    Py_ssize_t keys_size
    Py_ssize_t uniq_at
    Py_ssize_t uniq_size


cdef int record_parse(const unsigned char *record, Py_ssize_t remaining, bint check_crc,
                      RecordLayout *layout, Py_ssize_t *size, int *reason) noexcept nogil
cdef void record_write(unsigned char *out, const RecordInput *record) noexcept nogil
cdef void properties_find(const unsigned char *data, Py_ssize_t size,
                          PropertySpans *spans) noexcept nogil


@cython.final
cdef class MessageRecord:
    cdef readonly int32_t total_size
    cdef readonly int32_t magic
    cdef readonly int32_t body_crc
    cdef readonly int32_t queue_id
    cdef readonly int32_t flag
    cdef readonly int64_t queue_offset
    cdef readonly int64_t physical_offset
    cdef readonly int32_t sys_flag
    cdef readonly int64_t born_timestamp
    cdef readonly tuple born_host        # (bytes ip, int port)
    cdef readonly int64_t store_timestamp
    cdef readonly tuple store_host       # (bytes ip, int port)
    cdef readonly int32_t reconsume_times
    cdef readonly int64_t prepared_transaction_offset
    cdef readonly object body            # bytes, or None when not read
    cdef readonly str topic
    cdef readonly str properties         # raw NAME\x01VALUE\x02 string

    cdef tuple _key(self)


@cython.final
cdef class DispatchRecord:
    cdef readonly Py_ssize_t position
    cdef readonly int32_t total_size
    cdef readonly int32_t queue_id
    cdef readonly int64_t queue_offset
    cdef readonly int64_t physical_offset
    cdef readonly int32_t sys_flag
    cdef readonly int64_t store_timestamp
    cdef readonly int64_t prepared_transaction_offset
    cdef readonly int64_t tags_code
    cdef readonly str topic
    cdef readonly object keys            # str or None, raw KEYS property
    cdef readonly object uniq_key        # str or None
    cdef readonly str properties

    cdef tuple _key(self)
