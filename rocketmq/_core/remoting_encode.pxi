# Included by remoting.pyx: the JSON and ROCKETMQ header encoders.
#
# Each writes one header into a WBuf (remoting_wbuf.pxi); the def functions
# of remoting.pyx wrap them. The pure twin's checks come in the same order,
# so both raise the same error first. Declarations live in remoting.pxd.


cdef object ext_value_to_str(object value):
    """A custom-header value as Java would see it: str, or None for absent."""
    if value is None or PyUnicode_CheckExact(value):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if PyLong_CheckExact(value):
        return str(value)
    return ext_value_to_str_slow(value)


cdef object ext_value_to_str_slow(object value):
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return _json_dumps(value, ensure_ascii=False, separators=(",", ":"))


cdef object utf8_error(object text):
    """The UnicodeEncodeError str.encode("utf-8") raises for ``text`` (cold path)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc
    raise AssertionError("no lone surrogate in the text")


cdef object json_write_ext_item(WBuf *buf, object key, object value, bint comma):
    """Write one ``"key":"value"`` of extFields (``value`` coerced; None skips it).

    A lone surrogate is not raised here: the pure twin only fails when it
    encodes the finished header, after its ProtocolError checks. Returns that
    pending UnicodeEncodeError, or None.
    """
    cdef object text = ext_value_to_str(value)
    cdef object error = None
    if text is None:
        return None
    if not PyUnicode_CheckExact(key):
        raise ProtocolError(f"header string expected, got {type(key).__name__}")
    if not PyUnicode_CheckExact(text):
        raise ProtocolError(f"header string expected, got {type(text).__name__}")
    if comma and buf.data[buf.size - 1] != CH_LBRACE:
        wbuf_write(buf, ",", 1)
    wbuf_write(buf, '"', 1)
    if wbuf_write_utf8(buf, key, True):
        error = utf8_error(key)
    wbuf_write(buf, '":"', 3)
    if wbuf_write_utf8(buf, text, True) and error is None:
        error = utf8_error(text)
    wbuf_write(buf, '"', 1)
    return error


cdef int cmd_encode_json(WBuf *buf, RemotingCommand cmd) except -1:
    """Compact JSON, keys in fastjson's alphabetical order, extFields as strings.

    code, opaque, flag and version need no int32 check here, unlike in the
    pure twin: they are C ints, so RemotingCommand refused anything wider.
    """
    cdef object ext = cmd.ext_fields
    cdef object remark = cmd.remark
    cdef object error = None
    cdef object item_error, key, value
    cdef Py_ssize_t position = 0
    cdef PyObject *key_ptr
    cdef PyObject *value_ptr
    wbuf_write_cstr(buf, '{"code":')
    wbuf_write_decimal(buf, cmd.code)
    if ext is not None:
        wbuf_write_cstr(buf, ',"extFields":{')
        if PyDict_CheckExact(ext):
            while PyDict_Next(ext, &position, &key_ptr, &value_ptr):
                key = <object>key_ptr
                value = <object>value_ptr
                item_error = json_write_ext_item(buf, key, value, True)
                if error is None:
                    error = item_error
        else:
            for key, value in ext.items():
                item_error = json_write_ext_item(buf, key, value, True)
                if error is None:
                    error = item_error
        wbuf_write(buf, "}", 1)
    wbuf_write_cstr(buf, ',"flag":')
    wbuf_write_decimal(buf, cmd.flag)
    wbuf_write_cstr(buf, ',"language":"')
    wbuf_write_cstr(buf, language_name(cmd.language))
    wbuf_write_cstr(buf, '","opaque":')
    wbuf_write_decimal(buf, cmd.opaque)
    if remark is not None:
        if not PyUnicode_CheckExact(remark):
            raise ProtocolError(f"header string expected, got {type(remark).__name__}")
        wbuf_write_cstr(buf, ',"remark":"')
        if wbuf_write_utf8(buf, remark, True) and error is None:
            error = utf8_error(remark)
        wbuf_write(buf, '"', 1)
    wbuf_write_cstr(buf, ',"version":')
    wbuf_write_decimal(buf, cmd.version)
    wbuf_write(buf, "}", 1)
    if error is not None:
        raise error
    return 0


cdef int rocketmq_write_ext_item(WBuf *buf, object key, object value) except -1:
    """Write one int16 key length + key + int32 value length + value (None skips it)."""
    cdef object text = ext_value_to_str(value)
    cdef Py_ssize_t start, size
    if text is None:
        return 0
    if not PyUnicode_CheckExact(key):
        raise ProtocolError(f"header string expected, got {type(key).__name__}")
    start = buf.size
    wbuf_reserve(buf, 2)
    buf.size += 2
    if wbuf_write_utf8(buf, key, False):
        raise utf8_error(key)
    size = buf.size - start - 2
    if size > INT16_MAX:
        raise ProtocolError("extFields key longer than 32767 bytes")
    rmq_store_u16(buf.data + start, <uint16_t>size)
    start = buf.size
    wbuf_reserve(buf, 4)
    buf.size += 4
    if wbuf_write_utf8(buf, text, False):
        raise utf8_error(text)
    rmq_store_u32(buf.data + start, <uint32_t>(buf.size - start - 4))
    return 0


cdef int cmd_encode_rocketmq(WBuf *buf, RemotingCommand cmd) except -1:
    """RocketMQSerializable layout (spec §4); code and version must fit in int16."""
    cdef object ext = cmd.ext_fields
    cdef object remark = cmd.remark
    cdef object key, value
    cdef Py_ssize_t start, position = 0
    cdef PyObject *key_ptr
    cdef PyObject *value_ptr
    cdef char *fixed
    if not INT16_MIN <= cmd.code <= INT16_MAX:
        raise ProtocolError(f"code {cmd.code} does not fit the ROCKETMQ header (int16)")
    if not INT16_MIN <= cmd.version <= INT16_MAX:
        raise ProtocolError(f"version {cmd.version} does not fit the ROCKETMQ header (int16)")
    if not 0 <= cmd.language <= 255:
        raise ProtocolError(f"language {cmd.language} does not fit the ROCKETMQ header")
    wbuf_reserve(buf, 17)
    fixed = buf.data + buf.size
    rmq_store_u16(fixed, <uint16_t>cmd.code)
    fixed[2] = <char>cmd.language
    rmq_store_u16(fixed + 3, <uint16_t>cmd.version)
    rmq_store_u32(fixed + 5, <uint32_t>cmd.opaque)
    rmq_store_u32(fixed + 9, <uint32_t>cmd.flag)
    buf.size += 17
    start = buf.size
    # "" and None both go out as length 0, which Java reads as null.
    if remark is not None:
        if not PyUnicode_CheckExact(remark):
            raise ProtocolError(f"header string expected, got {type(remark).__name__}")
        if wbuf_write_utf8(buf, remark, False):
            raise utf8_error(remark)
    rmq_store_u32(buf.data + start - 4, <uint32_t>(buf.size - start))
    wbuf_reserve(buf, 4)
    buf.size += 4
    start = buf.size
    if ext:
        if PyDict_CheckExact(ext):
            while PyDict_Next(ext, &position, &key_ptr, &value_ptr):
                key = <object>key_ptr
                value = <object>value_ptr
                rocketmq_write_ext_item(buf, key, value)
        else:
            for key, value in ext.items():
                rocketmq_write_ext_item(buf, key, value)
    rmq_store_u32(buf.data + start - 4, <uint32_t>(buf.size - start))
    return 0


cdef int cmd_encode_header(WBuf *buf, RemotingCommand cmd) except -1:
    if cmd.serialize_type == RMQ_SERIALIZE_JSON:
        return cmd_encode_json(buf, cmd)
    if cmd.serialize_type == RMQ_SERIALIZE_ROCKETMQ:
        return cmd_encode_rocketmq(buf, cmd)
    raise ProtocolError(f"unknown serialize type {cmd.serialize_type}")


cdef int cmd_encode_frame_prefix(WBuf *buf, RemotingCommand cmd) except -1:
    """Length word, type/length word and header, with the words back-patched."""
    cdef object body = cmd.body
    cdef Py_ssize_t header_size, body_size = 0, length
    buf.size = 8  # the inline array always has room for the two words
    cmd_encode_header(buf, cmd)
    header_size = buf.size - 8
    if body is not None:
        body_size = PyBytes_GET_SIZE(body) if PyBytes_CheckExact(body) else len(body)
    if header_size > RMQ_MAX_HEADER_SIZE:
        raise ProtocolError(f"header of {header_size} bytes exceeds {RMQ_MAX_HEADER_SIZE}")
    length = 4 + header_size + body_size
    if length > INT32_MAX:
        raise ProtocolError(f"frame of {length} bytes does not fit the length field")
    rmq_store_u32(buf.data, <uint32_t>length)
    rmq_store_u32(buf.data + 4, (<uint32_t>cmd.serialize_type << 24) | <uint32_t>header_size)
    return 0
