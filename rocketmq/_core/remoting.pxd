# The C contract of rocketmq/_core/remoting.pyx and the remoting_*.pxi files it
# includes: every field and every cdef signature. Python-visible behaviour is
# specified by _pure/remoting.py.
cimport cython
from libc.stdint cimport uint32_t


cdef enum:
    # Mirrors of the Python constants, usable in C expressions and defaults.
    RMQ_SERIALIZE_JSON = 0
    RMQ_SERIALIZE_ROCKETMQ = 1
    RMQ_RPC_RESPONSE = 1
    RMQ_RPC_ONEWAY = 2
    RMQ_MAX_FRAME_SIZE = 16777216     # counts the 4-byte length field too
    RMQ_MAX_HEADER_SIZE = 16777215    # low 24 bits of the type/length word
    RMQ_DEFAULT_VERSION = 479         # MQVersion V5_3_3
    RMQ_LANGUAGE_JAVA = 0
    RMQ_LANGUAGE_PYTHON = 3
    RMQ_LANGUAGE_OTHER = 7
    RMQ_LANGUAGE_COUNT = 14
    RMQ_ROCKETMQ_FIXED = 21           # code..flag (13) + remark len (4) + ext len (4)
    WBUF_INLINE_SIZE = 1024           # most headers fit; no malloc for them
    DECODER_KEEP_CAPACITY = 65536     # an empty FrameDecoder frees more than this


# -- write buffer (remoting_wbuf.pxi): grows from an inline array; one per call -----

cdef struct WBuf:
    char *data                        # inline_data, or malloc'd once it outgrew it
    Py_ssize_t size                   # bytes written
    Py_ssize_t capacity               # bytes available at data
    char inline_data[WBUF_INLINE_SIZE]

cdef void wbuf_init(WBuf *buf) noexcept
cdef void wbuf_free(WBuf *buf) noexcept
cdef int wbuf_grow(WBuf *buf, Py_ssize_t extra) except -1
cdef int wbuf_reserve(WBuf *buf, Py_ssize_t extra) except -1
cdef int wbuf_write(WBuf *buf, const char *src, Py_ssize_t size) except -1
cdef int wbuf_write_decimal(WBuf *buf, long long value) except -1
# UTF-8 of a str, JSON-escaped when `escape`; 1 if it holds a lone surrogate.
cdef int wbuf_write_utf8(WBuf *buf, object text, bint escape) except -1


# -- JSON scanner state (fast path of decode_json_header) --------------------------

cdef enum:
    # JsonToken.kind
    JSON_NULL = 1
    JSON_TRUE
    JSON_FALSE
    JSON_INT
    JSON_STRING
    JSON_OBJECT                       # the scanner stopped on '{' without consuming it

cdef enum:
    # Top-level keys of a JSON header the fast path understands.
    FIELD_UNKNOWN = 0
    FIELD_CODE
    FIELD_OPAQUE
    FIELD_FLAG
    FIELD_VERSION
    FIELD_LANGUAGE
    FIELD_REMARK
    FIELD_EXT

cdef struct JsonCursor:
    const unsigned char *pos
    const unsigned char *end

cdef struct JsonToken:
    int kind                          # JSON_NULL .. JSON_OBJECT
    long long number                  # JSON_INT: the value (at most 18 digits)
    const unsigned char *text         # JSON_STRING: bytes between the quotes
    Py_ssize_t size
    bint escaped                      # JSON_STRING: holds a backslash
    bint ascii                        # JSON_STRING: every byte < 0x80


@cython.final
cdef class RemotingCommand:
    cdef public int code
    cdef public int language          # LanguageCode ordinal, 0..255 on the wire
    cdef public int version
    cdef public int opaque
    cdef public int flag              # RPC_RESPONSE | RPC_ONEWAY bits
    cdef public int serialize_type    # SERIALIZE_JSON or SERIALIZE_ROCKETMQ
    cdef public object remark         # str or None
    cdef public object ext_fields     # dict[str, str] or None
    cdef public object body           # bytes or None

    @staticmethod
    cdef RemotingCommand new(int code, int language, int version, int opaque, int flag,
                             object remark, object ext_fields, int serialize_type)


@cython.final
cdef class FrameDecoder:
    cdef char *_data                  # malloc'd; bytes [_start, _end) are pending
    cdef Py_ssize_t _start
    cdef Py_ssize_t _end
    cdef Py_ssize_t _capacity
    cdef public Py_ssize_t max_frame_size
    cdef object _error                # FrameError that poisoned the stream, or None
    cdef bint _busy                   # inside feed(): _data must not move

    cdef Py_ssize_t _split(self, const char *data, Py_ssize_t size,
                           list commands) except -1
    cdef int _reserve(self, Py_ssize_t extra) except -1
    cdef int _append(self, const char *data, Py_ssize_t size) except -1
    cdef int _reserve_pending_frame(self) except -1
    cdef int _feed_direct(self, const char *data, Py_ssize_t size, list commands) except -1
    cdef int _feed_buffered(self, list commands) except -1
    cdef int _poison(self, object error) except -1
    cdef void _release(self) noexcept


# -- header encoders (remoting_encode.pxi) ------------------------------------------

# str, or None when the value is absent (None); bool -> "true"/"false", int -> decimal.
cdef object ext_value_to_str(object value)
cdef object ext_value_to_str_slow(object value)
cdef object utf8_error(object text)                # the UnicodeEncodeError of text.encode()
# Returns a pending UnicodeEncodeError (raised once the header is complete) or None.
cdef object json_write_ext_item(WBuf *buf, object key, object value, bint comma)
cdef int cmd_encode_json(WBuf *buf, RemotingCommand cmd) except -1
cdef int rocketmq_write_ext_item(WBuf *buf, object key, object value) except -1
cdef int cmd_encode_rocketmq(WBuf *buf, RemotingCommand cmd) except -1
cdef int cmd_encode_header(WBuf *buf, RemotingCommand cmd) except -1
cdef int cmd_encode_frame_prefix(WBuf *buf, RemotingCommand cmd) except -1


# -- language names (remoting.pyx): the C form of LANGUAGE_NAMES -------------------

cdef const char *language_name(int language) noexcept nogil   # "OTHER" when unknown
cdef int language_code(const unsigned char *text, Py_ssize_t size) noexcept nogil


# -- JSON header decoder (remoting_decode_json.pxi) ---------------------------------

# The json_* scanners return False where json.loads must decide (the slow path).
cdef void json_skip_space(JsonCursor *cur) noexcept nogil
cdef bint json_scan_string(JsonCursor *cur, JsonToken *tok) noexcept nogil
cdef bint json_scan_int(JsonCursor *cur, JsonToken *tok) noexcept nogil
cdef bint json_scan_value(JsonCursor *cur, JsonToken *tok) noexcept nogil
cdef int json_header_field(const unsigned char *text, Py_ssize_t size) noexcept nogil
cdef int utf8_decode_char(const unsigned char *src, Py_ssize_t avail,
                          uint32_t *out) noexcept nogil
cdef object ascii_text(const unsigned char *text, Py_ssize_t size)
cdef object decimal_text(long long value)
# The three below return None where json.loads would raise or must decide.
cdef object json_unescape(const unsigned char *text, Py_ssize_t size)
cdef object json_token_text(const JsonToken *tok)
cdef object json_parse_ext(JsonCursor *cur)
cdef object json_decode_fast(const char *data, Py_ssize_t size)   # RemotingCommand | None
cdef int json_int_field(dict fields, str key) except? -1
cdef RemotingCommand json_decode_slow(bytes data)  # json.loads + the pure twin's rules
cdef RemotingCommand cmd_decode_json(const char *data, Py_ssize_t size)


# -- ROCKETMQ header decoder and frames (remoting.pyx) ------------------------------

cdef Py_ssize_t rocketmq_count_entries(const char *data, Py_ssize_t size) noexcept nogil
cdef RemotingCommand cmd_decode_rocketmq(const char *data, Py_ssize_t size)
cdef RemotingCommand frame_decode_payload(const char *data, Py_ssize_t size)
