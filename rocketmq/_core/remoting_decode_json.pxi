# Included by remoting.pyx: the JSON header decoder.
#
# A fast path scans the flat shape every client sends straight into a
# RemotingCommand. Every json_* scanner returns 0 ("ask json.loads") on
# anything it does not fully understand, including every syntax error;
# json_decode_slow then reproduces the pure twin exactly, errors included.
# So the fast path only has to be right on what it accepts. Declarations
# live in remoting.pxd.


cdef void json_skip_space(JsonCursor *cur) noexcept nogil:
    cdef unsigned char ch
    while cur.pos < cur.end:
        ch = cur.pos[0]
        if ch != CH_SPACE and ch != CH_TAB and ch != CH_LF and ch != CH_CR:
            return
        cur.pos += 1


# Bytes a JSON string scan must stop at: 1 for '"', '\\' and control
# characters, 2 for non-ASCII. Everything else is copied as is.
cdef unsigned char JSON_STRING_STOP[256]


cdef void json_init_tables() noexcept:
    cdef int byte
    for byte in range(256):
        if byte < CH_SPACE or byte == CH_QUOTE or byte == CH_BACKSLASH:
            JSON_STRING_STOP[byte] = 1
        elif byte >= 0x80:
            JSON_STRING_STOP[byte] = 2
        else:
            JSON_STRING_STOP[byte] = 0


json_init_tables()


cdef bint json_scan_string(JsonCursor *cur, JsonToken *tok) noexcept nogil:
    """At an opening quote: delimit the string and note what decoding it needs."""
    cdef const unsigned char *start = cur.pos + 1
    cdef const unsigned char *pos = start
    cdef const unsigned char *end = cur.end
    cdef unsigned char ch
    cdef bint escaped = False, ascii = True
    while True:
        while pos < end and JSON_STRING_STOP[pos[0]] == 0:
            pos += 1
        if pos >= end:
            return False
        ch = pos[0]
        if ch == CH_QUOTE:
            break
        if ch == CH_BACKSLASH:
            escaped = True
            pos += 2  # the escaped byte cannot close the string
        elif ch >= 0x80:
            ascii = False
            pos += 1
        else:
            return False  # json.loads is strict about raw control characters
    tok.kind = JSON_STRING
    tok.text = start
    tok.size = pos - start
    tok.escaped = escaped
    tok.ascii = ascii
    cur.pos = pos + 1
    return True


cdef bint json_scan_int(JsonCursor *cur, JsonToken *tok) noexcept nogil:
    """An integer of at most 18 digits; fractions, exponents and the rest go slow."""
    cdef const unsigned char *pos = cur.pos
    cdef const unsigned char *end = cur.end
    cdef const unsigned char *digits
    cdef long long value = 0
    cdef bint negative = False
    if pos[0] == CH_MINUS:
        negative = True
        pos += 1
    digits = pos
    if pos >= end or not CH_ZERO <= pos[0] <= CH_NINE:
        return False
    if pos[0] == CH_ZERO:
        pos += 1
    else:
        while pos < end and CH_ZERO <= pos[0] <= CH_NINE:
            value = value * 10 + (pos[0] - CH_ZERO)
            pos += 1
            if pos - digits > 18:
                return False
    if pos < end and (
        pos[0] == CH_DOT or pos[0] == CH_LOWER_E or pos[0] == CH_UPPER_E
        or CH_ZERO <= pos[0] <= CH_NINE
    ):
        return False
    tok.kind = JSON_INT
    tok.number = -value if negative else value
    cur.pos = pos
    return True


cdef bint json_scan_value(JsonCursor *cur, JsonToken *tok) noexcept nogil:
    cdef const unsigned char *pos = cur.pos
    cdef Py_ssize_t left = cur.end - pos
    cdef unsigned char ch
    if left <= 0:
        return False
    ch = pos[0]
    if ch == CH_QUOTE:
        return json_scan_string(cur, tok)
    if ch == CH_MINUS or CH_ZERO <= ch <= CH_NINE:
        return json_scan_int(cur, tok)
    if ch == CH_LBRACE:
        tok.kind = JSON_OBJECT
        return True
    if left >= 4 and memcmp(pos, b"true", 4) == 0:
        tok.kind = JSON_TRUE
        cur.pos += 4
        return True
    if left >= 5 and memcmp(pos, b"false", 5) == 0:
        tok.kind = JSON_FALSE
        cur.pos += 5
        return True
    if left >= 4 and memcmp(pos, b"null", 4) == 0:
        tok.kind = JSON_NULL
        cur.pos += 4
        return True
    return False  # arrays, NaN, Infinity, garbage


cdef int json_header_field(const unsigned char *text, Py_ssize_t size) noexcept nogil:
    if size == 4:
        if memcmp(text, b"code", 4) == 0:
            return FIELD_CODE
        if memcmp(text, b"flag", 4) == 0:
            return FIELD_FLAG
    elif size == 6:
        if memcmp(text, b"opaque", 6) == 0:
            return FIELD_OPAQUE
        if memcmp(text, b"remark", 6) == 0:
            return FIELD_REMARK
    elif size == 7:
        if memcmp(text, b"version", 7) == 0:
            return FIELD_VERSION
    elif size == 8:
        if memcmp(text, b"language", 8) == 0:
            return FIELD_LANGUAGE
    elif size == 9:
        if memcmp(text, b"extFields", 9) == 0:
            return FIELD_EXT
    return FIELD_UNKNOWN


cdef inline bint utf8_continuation(unsigned char byte) noexcept nogil:
    return (byte & 0xC0) == 0x80


cdef int utf8_decode_char(const unsigned char *src, Py_ssize_t avail,
                          uint32_t *out) noexcept nogil:
    """Strict UTF-8 as Python decodes it: no overlongs, surrogates or > U+10FFFF.

    Returns the sequence length, or 0 when the bytes are not valid UTF-8.
    """
    cdef unsigned char lead = src[0]
    cdef unsigned char low = 0x80, high = 0xBF
    if lead < 0x80:
        out[0] = lead
        return 1
    if lead < 0xC2:
        return 0
    if lead < 0xE0:
        if avail < 2 or not utf8_continuation(src[1]):
            return 0
        out[0] = ((lead & 0x1F) << 6) | (src[1] & 0x3F)
        return 2
    if lead < 0xF0:
        if lead == 0xE0:
            low = 0xA0
        elif lead == 0xED:
            high = 0x9F
        if avail < 3 or not low <= src[1] <= high or not utf8_continuation(src[2]):
            return 0
        out[0] = ((lead & 0x0F) << 12) | ((src[1] & 0x3F) << 6) | (src[2] & 0x3F)
        return 3
    if lead < 0xF5:
        if lead == 0xF0:
            low = 0x90
        elif lead == 0xF4:
            high = 0x8F
        if (avail < 4 or not low <= src[1] <= high or not utf8_continuation(src[2])
                or not utf8_continuation(src[3])):
            return 0
        out[0] = (((lead & 0x07) << 18) | ((src[1] & 0x3F) << 12)
                  | ((src[2] & 0x3F) << 6) | (src[3] & 0x3F))
        return 4
    return 0


cdef inline int hex_value(unsigned char ch) noexcept nogil:
    if CH_ZERO <= ch <= CH_NINE:
        return ch - CH_ZERO
    if 0x61 <= ch <= 0x66:  # a-f
        return ch - 0x61 + 10
    if 0x41 <= ch <= 0x46:  # A-F
        return ch - 0x41 + 10
    return -1


cdef inline int json_hex4(const unsigned char *src, uint32_t *out) noexcept nogil:
    cdef int index, digit
    cdef uint32_t value = 0
    for index in range(4):
        digit = hex_value(src[index])
        if digit < 0:
            return 0
        value = (value << 4) | <uint32_t>digit
    out[0] = value
    return 1


cdef object ascii_text(const unsigned char *text, Py_ssize_t size):
    cdef object result
    if size == 1:
        return PyUnicode_FromOrdinal(text[0])  # CPython's cached one-letter strings
    result = PyUnicode_New(size, 127)
    memcpy(PyUnicode_DATA(result), text, size)
    return result


cdef object decimal_text(long long value):
    cdef WBuf buf
    wbuf_init(&buf)
    wbuf_write_decimal(&buf, value)
    return ascii_text(<const unsigned char *>buf.data, buf.size)


cdef object json_unescape(const unsigned char *text, Py_ssize_t size):
    """A JSON string body with backslashes, decoded as json.loads would.

    A high surrogate escape joins a following low one; any other surrogate
    stays lone, as in Python. Returns None where json.loads would raise.
    """
    cdef uint32_t stack_chars[256]
    cdef uint32_t *chars = stack_chars
    cdef uint32_t ch, low, widest = 0
    cdef Py_ssize_t index = 0, count = 0, position
    cdef int taken
    cdef unsigned char byte
    cdef unsigned char *narrow
    cdef object result = None
    if size > 256:
        chars = <uint32_t *>malloc(size * sizeof(uint32_t))
        if chars == NULL:
            raise MemoryError()
    try:
        while index < size:
            byte = text[index]
            if byte < 0x80 and byte != CH_BACKSLASH:
                ch = byte
                index += 1
            elif byte != CH_BACKSLASH:
                taken = utf8_decode_char(text + index, size - index, &ch)
                if taken == 0:
                    return None
                index += taken
            else:
                if index + 1 >= size:
                    return None
                byte = text[index + 1]
                index += 2
                if byte == ord("u"):
                    if index + 4 > size or not json_hex4(text + index, &ch):
                        return None
                    index += 4
                    if (0xD800 <= ch <= 0xDBFF and index + 6 <= size
                            and text[index] == CH_BACKSLASH and text[index + 1] == ord("u")):
                        if not json_hex4(text + index + 2, &low):
                            return None
                        if 0xDC00 <= low <= 0xDFFF:
                            ch = 0x10000 + ((ch - 0xD800) << 10) + (low - 0xDC00)
                            index += 6
                elif byte == CH_QUOTE or byte == CH_BACKSLASH or byte == CH_SLASH:
                    ch = byte
                elif byte == ord("n"):
                    ch = CH_LF
                elif byte == ord("r"):
                    ch = CH_CR
                elif byte == ord("t"):
                    ch = CH_TAB
                elif byte == ord("b"):
                    ch = CH_BACKSPACE
                elif byte == ord("f"):
                    ch = CH_FORMFEED
                else:
                    return None
            if ch > widest:
                widest = ch
            chars[count] = ch
            count += 1
        if widest < 256:
            # Property strings (\u0001, \u0002) land here: one byte per character.
            result = PyUnicode_New(count, widest)
            narrow = <unsigned char *>PyUnicode_DATA(result)
            for position in range(count):
                narrow[position] = <unsigned char>chars[position]
        else:
            result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, chars, count)
    finally:
        if chars != stack_chars:
            free(chars)
    return result


cdef object json_token_text(const JsonToken *tok):
    """The str of a string token, or None where json.loads must decide."""
    if tok.escaped:
        return json_unescape(tok.text, tok.size)
    if tok.ascii:
        return ascii_text(tok.text, tok.size)
    try:
        return PyUnicode_DecodeUTF8(<const char *>tok.text, tok.size, NULL)
    except UnicodeDecodeError:
        return None


cdef object json_parse_ext(JsonCursor *cur):
    """A flat extFields object, values coerced like _ext_value_to_str; None to go slow."""
    cdef dict ext = {}
    cdef JsonToken key_tok, value_tok
    cdef object key, value
    cdef bint has_null = False
    cur.pos += 1  # '{'
    json_skip_space(cur)
    if cur.pos < cur.end and cur.pos[0] == CH_RBRACE:
        cur.pos += 1
        return ext
    while True:
        if cur.pos >= cur.end or cur.pos[0] != CH_QUOTE:
            return None
        if not json_scan_string(cur, &key_tok):
            return None
        key = json_token_text(&key_tok)
        if key is None:
            return None
        json_skip_space(cur)
        if cur.pos >= cur.end or cur.pos[0] != CH_COLON:
            return None
        cur.pos += 1
        json_skip_space(cur)
        if not json_scan_value(cur, &value_tok):
            return None
        if value_tok.kind == JSON_STRING:
            value = json_token_text(&value_tok)
            if value is None:
                return None
        elif value_tok.kind == JSON_INT:
            value = decimal_text(value_tok.number)
        elif value_tok.kind == JSON_TRUE:
            value = "true"
        elif value_tok.kind == JSON_FALSE:
            value = "false"
        elif value_tok.kind == JSON_NULL:
            value = None  # dropped below, after duplicates had their say
            has_null = True
        else:
            return None  # nested object
        # Same key again: json.loads keeps the first position and the last value.
        PyDict_SetItem(ext, key, value)
        json_skip_space(cur)
        if cur.pos < cur.end and cur.pos[0] == CH_COMMA:
            cur.pos += 1
            json_skip_space(cur)
            continue
        if cur.pos < cur.end and cur.pos[0] == CH_RBRACE:
            cur.pos += 1
            break
        return None
    if has_null:
        return {k: v for k, v in ext.items() if v is not None}
    return ext


cdef object json_decode_fast(const char *data, Py_ssize_t size):
    """The command of a flat JSON header, or None to let json_decode_slow decide."""
    cdef JsonCursor cur
    cdef JsonToken key_tok, tok
    cdef int field
    cdef int code = 0, opaque = 0, flag = 0, version = 0, number
    cdef int language = RMQ_LANGUAGE_JAVA
    cdef object remark = None, ext = None
    cur.pos = <const unsigned char *>data
    cur.end = cur.pos + size
    json_skip_space(&cur)
    if cur.pos >= cur.end or cur.pos[0] != CH_LBRACE:
        return None
    cur.pos += 1
    json_skip_space(&cur)
    if cur.pos < cur.end and cur.pos[0] == CH_RBRACE:
        cur.pos += 1
    else:
        while True:
            if cur.pos >= cur.end or cur.pos[0] != CH_QUOTE:
                return None
            if not json_scan_string(&cur, &key_tok) or key_tok.escaped or not key_tok.ascii:
                return None
            field = json_header_field(key_tok.text, key_tok.size)
            json_skip_space(&cur)
            if cur.pos >= cur.end or cur.pos[0] != CH_COLON:
                return None
            cur.pos += 1
            json_skip_space(&cur)
            if not json_scan_value(&cur, &tok):
                return None
            if field == FIELD_EXT:
                if tok.kind == JSON_OBJECT:
                    ext = json_parse_ext(&cur)
                    if ext is None:
                        return None
                elif tok.kind == JSON_NULL:
                    ext = None
                else:
                    return None
            elif tok.kind == JSON_OBJECT:
                return None
            elif field == FIELD_UNKNOWN:
                # Ignored, but json.loads would still reject a bad string.
                if tok.kind == JSON_STRING and (tok.escaped or not tok.ascii):
                    if json_token_text(&tok) is None:
                        return None
            elif field == FIELD_LANGUAGE:
                if tok.kind == JSON_STRING and not tok.escaped and tok.ascii:
                    language = language_code(tok.text, tok.size)
                elif tok.kind == JSON_INT and 0 <= tok.number <= 255:
                    language = <int>tok.number
                elif tok.kind == JSON_NULL:
                    language = RMQ_LANGUAGE_JAVA
                else:
                    return None
            elif field == FIELD_REMARK:
                if tok.kind == JSON_STRING:
                    remark = json_token_text(&tok)
                    if remark is None:
                        return None
                elif tok.kind == JSON_NULL:
                    remark = None
                else:
                    return None
            else:
                if tok.kind == JSON_INT and INT32_MIN <= tok.number <= INT32_MAX:
                    number = <int>tok.number
                elif tok.kind == JSON_NULL:
                    number = 0
                else:
                    return None  # strings, booleans and range errors: the slow path
                if field == FIELD_CODE:
                    code = number
                elif field == FIELD_OPAQUE:
                    opaque = number
                elif field == FIELD_FLAG:
                    flag = number
                else:
                    version = number
            json_skip_space(&cur)
            if cur.pos < cur.end and cur.pos[0] == CH_COMMA:
                cur.pos += 1
                json_skip_space(&cur)
                continue
            if cur.pos < cur.end and cur.pos[0] == CH_RBRACE:
                cur.pos += 1
                break
            return None
    json_skip_space(&cur)
    if cur.pos != cur.end:
        return None
    return RemotingCommand.new(code, language, version, opaque, flag, remark, ext,
                               RMQ_SERIALIZE_JSON)


cdef int json_int_field(dict fields, str key) except? -1:
    value = fields.get(key, 0)
    if value is None:
        return 0
    if type(value) is bool or not isinstance(value, (int, str)):
        raise FrameError(f"JSON header field {key!r} is not an integer: {value!r}")
    if isinstance(value, str):
        if not _JAVA_INTEGER.fullmatch(value):
            raise FrameError(f"JSON header field {key!r} is not an integer: {value!r}")
        # Leading zeros are free, as in Integer.parseInt; int() alone would
        # raise ValueError past sys.get_int_max_str_digits().
        digits = value.lstrip("+-").lstrip("0")
        if len(digits) > 10:
            raise FrameError(f"JSON header field {key!r} out of int32 range: {value}")
        value = int(("-" if value[0] == "-" else "") + (digits or "0"))
    if not INT32_MIN <= value <= INT32_MAX:
        raise FrameError(f"JSON header field {key!r} out of int32 range: {value}")
    return value


cdef RemotingCommand json_decode_slow(bytes data):
    """json.loads and the pure twin's field rules, for whatever the fast path refused."""
    cdef RemotingCommand cmd
    try:
        fields = _json_loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FrameError(f"JSON header is not UTF-8: {exc}") from None
    except ValueError as exc:  # also an integer past sys.get_int_max_str_digits()
        raise FrameError(f"JSON header does not parse: {exc}") from None
    except RecursionError:
        raise FrameError("JSON header nests deeper than the recursion limit") from None
    if not isinstance(fields, dict):
        raise FrameError("JSON header is not an object")
    cmd = RemotingCommand.new(json_int_field(fields, "code"), RMQ_LANGUAGE_JAVA, 0, 0, 0,
                              None, None, RMQ_SERIALIZE_JSON)
    cmd.opaque = json_int_field(fields, "opaque")
    cmd.flag = json_int_field(fields, "flag")
    cmd.version = json_int_field(fields, "version")
    language = fields.get("language")
    if isinstance(language, str):
        cmd.language = _LANGUAGE_CODES.get(language, RMQ_LANGUAGE_OTHER)
    elif type(language) is int and 0 <= language <= 255:
        cmd.language = language
    elif language is None:
        cmd.language = RMQ_LANGUAGE_JAVA
    else:
        raise FrameError(f"JSON header field 'language' is invalid: {language!r}")
    remark = fields.get("remark")
    if remark is not None and not isinstance(remark, str):
        raise FrameError(f"JSON header field 'remark' is not a string: {remark!r}")
    cmd.remark = remark
    ext = fields.get("extFields")
    if ext is not None:
        if not isinstance(ext, dict):
            raise FrameError("JSON header field 'extFields' is not an object")
        coerced = {}
        try:
            for key, value in ext.items():
                text = ext_value_to_str(value)
                if text is not None:
                    coerced[key] = text
        except RecursionError:
            # json.dumps of a nested value json.loads just managed to build
            raise FrameError("JSON header extFields value nests too deeply") from None
        cmd.ext_fields = coerced
    return cmd


cdef RemotingCommand cmd_decode_json(const char *data, Py_ssize_t size):
    cdef object cmd = json_decode_fast(data, size)
    if cmd is None:
        return json_decode_slow(PyBytes_FromStringAndSize(data, size))
    return <RemotingCommand>cmd
