# Included by remoting.pyx: the write buffer every encoder fills.
#
# A WBuf starts on an inline 1 KiB array (most headers fit, no malloc) and
# moves to the heap once it outgrows it. wbuf_write_utf8 is the one place
# that turns str into UTF-8, JSON-escaped when asked. Declarations live in
# remoting.pxd.


cdef void wbuf_init(WBuf *buf) noexcept:
    buf.data = buf.inline_data
    buf.size = 0
    buf.capacity = WBUF_INLINE_SIZE


cdef void wbuf_free(WBuf *buf) noexcept:
    if buf.data != buf.inline_data:
        free(buf.data)
    wbuf_init(buf)


cdef int wbuf_grow(WBuf *buf, Py_ssize_t extra) except -1:
    cdef Py_ssize_t capacity = buf.capacity * 2
    cdef char *data
    if capacity < buf.size + extra:
        capacity = buf.size + extra
    if buf.data == buf.inline_data:
        data = <char *>malloc(capacity)
        if data == NULL:
            raise MemoryError()
        memcpy(data, buf.data, buf.size)
    else:
        data = <char *>realloc(buf.data, capacity)
        if data == NULL:
            raise MemoryError()
    buf.data = data
    buf.capacity = capacity
    return 0


cdef int wbuf_reserve(WBuf *buf, Py_ssize_t extra) except -1:
    if buf.size + extra > buf.capacity:
        return wbuf_grow(buf, extra)
    return 0


cdef int wbuf_write(WBuf *buf, const char *src, Py_ssize_t size) except -1:
    wbuf_reserve(buf, size)
    memcpy(buf.data + buf.size, src, size)
    buf.size += size
    return 0


cdef inline int wbuf_write_cstr(WBuf *buf, const char *src) except -1:
    # strlen of a literal folds to a constant once this is inlined
    return wbuf_write(buf, src, <Py_ssize_t>strlen(src))


cdef int wbuf_write_decimal(WBuf *buf, long long value) except -1:
    cdef char digits[24]
    cdef int count = 0
    cdef unsigned long long magnitude = <unsigned long long>value
    if value < 0:
        magnitude = 0ULL - magnitude
    while True:
        digits[count] = <char>(CH_ZERO + magnitude % 10)
        count += 1
        magnitude //= 10
        if magnitude == 0:
            break
    if value < 0:
        digits[count] = CH_MINUS
        count += 1
    wbuf_reserve(buf, count)
    while count:
        count -= 1
        buf.data[buf.size] = digits[count]
        buf.size += 1
    return 0


cdef inline bint json_plain(uint32_t ch) noexcept nogil:
    # json.dumps leaves these alone; the rest of ASCII below 0x20, '"' and '\' are escaped
    return ch >= CH_SPACE and ch != CH_QUOTE and ch != CH_BACKSLASH


cdef inline Py_ssize_t json_write_escape(unsigned char *out, uint32_t ch) noexcept nogil:
    # The escapes of Python's json encoder: short forms, else lowercase \u00xx.
    cdef unsigned int digit
    out[0] = CH_BACKSLASH
    if ch == CH_QUOTE or ch == CH_BACKSLASH:
        out[1] = <unsigned char>ch
    elif ch == CH_LF:
        out[1] = ord("n")
    elif ch == CH_CR:
        out[1] = ord("r")
    elif ch == CH_TAB:
        out[1] = ord("t")
    elif ch == CH_BACKSPACE:
        out[1] = ord("b")
    elif ch == CH_FORMFEED:
        out[1] = ord("f")
    else:
        out[1] = ord("u")
        out[2] = CH_ZERO
        out[3] = CH_ZERO
        digit = ch >> 4
        out[4] = <unsigned char>(CH_ZERO + digit)
        digit = ch & 15
        out[5] = <unsigned char>(CH_ZERO + digit if digit < 10 else 87 + digit)
        return 6
    return 2


cdef int wbuf_write_utf8(WBuf *buf, object text, bint escape) except -1:
    """Append ``text`` as UTF-8, escaped like json.dumps(ensure_ascii=False) if ``escape``.

    Returns 1 when ``text`` holds a lone surrogate, which UTF-8 cannot carry:
    the bytes written are then garbage and the caller raises the codec's error.
    """
    cdef Py_ssize_t length, index = 0
    cdef int kind
    cdef void *data
    cdef const unsigned char *ascii
    cdef unsigned char *out
    cdef uint32_t ch
    cdef int surrogate = 0
    rmq_unicode_ready(text)
    length = PyUnicode_GET_LENGTH(text)
    kind = PyUnicode_KIND(text)
    data = PyUnicode_DATA(text)
    if PyUnicode_IS_ASCII(text):
        # The common case: copy the run that needs no escaping in one go.
        ascii = <const unsigned char *>data
        if escape:
            while index < length and json_plain(ascii[index]):
                index += 1
        else:
            index = length
        wbuf_write(buf, <const char *>ascii, index)
        if index == length:
            return 0
    # Worst cases: 6 bytes for \u00xx, 4 for an astral character.
    wbuf_reserve(buf, (length - index) * 6)
    out = <unsigned char *>buf.data + buf.size
    while index < length:
        ch = PyUnicode_READ(kind, data, index)
        index += 1
        if ch < 0x80:
            if not escape or json_plain(ch):
                out[0] = <unsigned char>ch
                out += 1
            else:
                out += json_write_escape(out, ch)
        elif ch < 0x800:
            out[0] = <unsigned char>(0xC0 | (ch >> 6))
            out[1] = <unsigned char>(0x80 | (ch & 0x3F))
            out += 2
        elif ch < 0x10000:
            if 0xD800 <= ch <= 0xDFFF:
                surrogate = 1
            out[0] = <unsigned char>(0xE0 | (ch >> 12))
            out[1] = <unsigned char>(0x80 | ((ch >> 6) & 0x3F))
            out[2] = <unsigned char>(0x80 | (ch & 0x3F))
            out += 3
        else:
            out[0] = <unsigned char>(0xF0 | (ch >> 18))
            out[1] = <unsigned char>(0x80 | ((ch >> 12) & 0x3F))
            out[2] = <unsigned char>(0x80 | ((ch >> 6) & 0x3F))
            out[3] = <unsigned char>(0x80 | (ch & 0x3F))
            out += 4
    buf.size = <Py_ssize_t>(<char *>out - buf.data)
    if RMQ_DEBUG:
        assert buf.size <= buf.capacity
    return surrogate
