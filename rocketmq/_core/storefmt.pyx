# cython: language_level=3
"""Store layouts besides the record (shared/spec/store.md §7-§9).

ConsumeQueue units and the pull-path unit scan, the Java String.hashCode
tag/key hashes, IndexFile put/lookup on a mapped buffer, and the checkpoint.
The pure-Python twin rocketmq/_core/_pure/storefmt.py is the reference:
same names, signatures, defaults and errors. Facts checked against
apache/rocketmq 5.3.3 (ConsumeQueue, DefaultMessageStore#getMessage,
index/IndexFile, IndexHeader, StoreCheckpoint).
"""

cimport cython
from cpython.buffer cimport PyBuffer_Release
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.number cimport PyNumber_Index
from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.string cimport memset

from rocketmq._core.message cimport (
    be_read_i32,
    be_read_i64,
    be_write_i32,
    be_write_i64,
    int32_arg,
    int64_arg,
    jhash_unicode,
    view_acquire,
)

from rocketmq.errors import ProtocolError


cdef int64_t INT32_MIN_C = -2147483648
cdef int64_t INT32_MAX_C = 2147483647


# -- Java String.hashCode -------------------------------------------------------------

def java_string_hash(object text):
    """Java ``String.hashCode()``: 31*h + c over UTF-16 code units, as a signed int32.

    Characters above U+FFFF count as their surrogate pair; lone surrogates
    count as themselves, as in Java. Raises TypeError for a non-str.
    """
    if not isinstance(text, str):
        raise TypeError(f"java_string_hash needs a str, got {type(text).__name__}")
    return jhash_unicode(<str>text)


def tags_hash(object tags):
    """ConsumeQueue tagsCode of a TAGS value: 0 for None or "", else java_string_hash.

    (MessageExtBrokerInner#tagsString2tagsCode; the int hash widened to long.)
    """
    if tags is None:
        return 0
    if not isinstance(tags, str):
        raise TypeError(f"java_string_hash needs a str, got {type(tags).__name__}")
    return jhash_unicode(<str>tags)


cdef inline int32_t key_hash_of(int32_t value) noexcept nogil:
    # Math.abs(Integer.MIN_VALUE) stays negative; IndexFile maps it to 0.
    if value == <int32_t>INT32_MIN_C:
        return 0
    return -value if value < 0 else value


def index_key_hash(object key):
    """IndexFile key hash: abs(key.hashCode()), Integer.MIN_VALUE giving 0."""
    if not isinstance(key, str):
        raise TypeError(f"java_string_hash needs a str, got {type(key).__name__}")
    return key_hash_of(jhash_unicode(<str>key))


# -- ConsumeQueue -----------------------------------------------------------------------

CQ_UNIT_SIZE = CQ_UNIT
CQ_FILLER_SIZE = CQ_FILLER
CQ_EXT_ADDRESS_MAX = INT32_MIN_C - 1

CQ_SCAN_DONE = SCAN_DONE
CQ_SCAN_INVALID = SCAN_INVALID
CQ_SCAN_FULL = SCAN_FULL


cdef int unit_fits(Py_ssize_t position, Py_ssize_t size) except -1:
    if position < 0 or position > size - CQ_UNIT:
        raise ValueError(f"unit at position {position} does not fit {size} bytes")
    return 0


def pack_cq_unit(object buffer, Py_ssize_t position, object commitlog_offset, object size,
                 object tags_code):
    """Write one 20-byte unit (int64 offset, int32 size, int64 tagsCode) at ``position``.

    Raises ValueError when it does not fit, TypeError for a read-only buffer,
    OverflowError for values outside their Java types.
    """
    cdef Py_buffer view
    cdef unsigned char *p
    cdef int64_t offset = int64_arg(commitlog_offset)
    cdef int32_t unit_size = int32_arg(size)
    cdef int64_t code = int64_arg(tags_code)
    view_acquire(buffer, &view, True)
    try:
        unit_fits(position, view.len)
        p = <unsigned char *>view.buf + position
        be_write_i64(p, offset)
        be_write_i32(p + 8, unit_size)
        be_write_i64(p + 12, code)
    finally:
        PyBuffer_Release(&view)


def unpack_cq_unit(object buffer, Py_ssize_t position):
    """``(commitlog_offset, size, tags_code)`` of the unit at ``position``."""
    cdef Py_buffer view
    cdef const unsigned char *p
    view_acquire(buffer, &view, False)
    try:
        unit_fits(position, view.len)
        p = <const unsigned char *>view.buf + position
        return be_read_i64(p), be_read_i32(p + 8), be_read_i64(p + 12)
    finally:
        PyBuffer_Release(&view)


def pack_cq_units(object units):
    """Concatenated units from an iterable of ``(commitlog_offset, size, tags_code)``."""
    cdef list items = []
    cdef int64_t offset, tags_code
    cdef int32_t size
    cdef bytearray unit
    for commitlog_offset, unit_size, code in units:
        offset = int64_arg(commitlog_offset)
        size = int32_arg(unit_size)
        tags_code = int64_arg(code)
        unit = bytearray(CQ_UNIT)
        be_write_i64(<unsigned char *>(<char *>unit), offset)
        be_write_i32(<unsigned char *>(<char *>unit) + 8, size)
        be_write_i64(<unsigned char *>(<char *>unit) + 12, tags_code)
        items.append(unit)
    return b"".join(items)


def cq_valid_units(object buffer, Py_ssize_t position, Py_ssize_t limit):
    """How many consecutive valid units start at ``position`` before ``limit``.

    Valid is ConsumeQueue#recover's rule: offset >= 0 and size > 0, so the
    (0, 0x7FFFFFFF, 0) filler units count as valid. A partial unit at the end
    is not counted. Raises ValueError unless 0 <= position <= limit <= len(buffer).
    """
    cdef Py_buffer view
    cdef const unsigned char *p
    cdef Py_ssize_t count = 0
    view_acquire(buffer, &view, False)
    try:
        if position < 0 or position > limit or limit > view.len:
            raise ValueError(
                f"need 0 <= position ({position}) <= limit ({limit}) <= buffer ({view.len})")
        p = <const unsigned char *>view.buf + position
        while limit - position >= CQ_UNIT:
            if be_read_i64(p) < 0 or be_read_i32(p + 8) <= 0:
                break
            count += 1
            position += CQ_UNIT
            p += CQ_UNIT
    finally:
        PyBuffer_Release(&view)
    return count


cdef bint code_in(const int32_t *codes, Py_ssize_t count, int32_t code) noexcept nogil:
    # codes is sorted; subscriptions rarely have more than a handful of tags.
    cdef Py_ssize_t low = 0, high = count - 1, middle
    while low <= high:
        middle = (low + high) >> 1
        if codes[middle] < code:
            low = middle + 1
        elif codes[middle] > code:
            high = middle - 1
        else:
            return True
    return False


def scan_cq(object buffer, Py_ssize_t position, Py_ssize_t count, object code_set=None,
            Py_ssize_t max_messages=32, object max_bytes=262144):
    """Select the units of a pull from ``count`` units at ``position``.

    The unit loop of DefaultMessageStore#getMessage (5.3.3) for one
    ConsumeQueue window; the caller sizes ``count`` to the scan window
    (min(max offset - offset, max(maxFilterMessageSize, maxMsgNums * 20) / 20))
    and folds the limits: ``max_messages`` = min(maxMsgNums, maxTransferCount
    OnMessageIn{Memory,Disk}), ``max_bytes`` = min(maxTotalMsgSize,
    maxTransferBytesOnMessageIn{Memory,Disk}). For each unit in order:

    1. offset < 0 or size <= 0: stop with CQ_SCAN_INVALID (not consumed);
    2. once something was selected, a unit that would exceed ``max_messages``
       or ``max_bytes`` stops the scan with CQ_SCAN_FULL (not consumed; like
       isTheBatchFull this is decided before the tag filter, and the first
       selected unit is always accepted whatever its size);
    3. the unit is consumed; filler units (0, 0x7FFFFFFF, 0) are skipped;
    4. units whose ``(int) tagsCode`` is not in ``code_set`` are skipped
       (ExpressionMessageFilter#isMatchedByConsumeQueue: None selects all,
       ConsumeQueueExt addresses always match);
    5. the unit is selected.

    Returns ``(units, scanned, stop)``: ``units`` lists ``(commitlog_offset,
    size, index)`` with ``index`` the unit number relative to ``position``,
    ``scanned`` the units consumed (nextBeginOffset = offset + scanned), and
    ``stop`` CQ_SCAN_DONE / CQ_SCAN_INVALID / CQ_SCAN_FULL. The caller still
    checks that each commit-log record exists (MESSAGE_WAS_REMOVING) and
    applies SQL92 filters. Raises ValueError when the window runs past the
    buffer or a limit is < 1.
    """
    cdef Py_buffer view
    cdef const unsigned char *p
    cdef int32_t small_codes[16]
    cdef int32_t *codes = small_codes
    cdef Py_ssize_t code_count = 0, i, selected = 0
    cdef bint filter_codes = code_set is not None
    cdef int64_t offset, tags_code, total_bytes = 0
    cdef int64_t byte_limit = int64_arg(max_bytes)
    cdef int32_t size
    cdef list units = []
    cdef list wanted
    cdef int stop = SCAN_DONE
    if max_messages < 1 or byte_limit < 1:
        raise ValueError(
            f"max_messages ({max_messages}) and max_bytes ({byte_limit}) must be >= 1")
    if filter_codes:
        # Codes outside int32 can never equal an (int) tagsCode: drop them.
        wanted = sorted({value for value in [PyNumber_Index(code) for code in code_set]
                         if INT32_MIN_C <= value <= INT32_MAX_C})
        code_count = len(wanted)
        if code_count > 16:
            codes = <int32_t *>PyMem_Malloc(code_count * sizeof(int32_t))
            if codes == NULL:
                raise MemoryError()
        for i in range(code_count):
            codes[i] = wanted[i]
    try:
        view_acquire(buffer, &view, False)
        try:
            if position < 0 or count < 0 or position > view.len:
                raise ValueError(f"bad position {position} or count {count}")
            if count > (view.len - position) // CQ_UNIT:
                raise ValueError(f"{count} units at position {position} run past the buffer "
                                 f"({view.len} bytes)")
            p = <const unsigned char *>view.buf + position
            i = 0
            while i < count:
                offset = be_read_i64(p)
                size = be_read_i32(p + 8)
                tags_code = be_read_i64(p + 12)
                if offset < 0 or size <= 0:
                    stop = SCAN_INVALID
                    break
                if selected > 0 and (selected >= max_messages
                                     or total_bytes + size > byte_limit):
                    stop = SCAN_FULL
                    break
                p += CQ_UNIT
                i += 1
                if offset == 0 and size == CQ_FILLER and tags_code == 0:
                    continue
                if (filter_codes and tags_code > INT32_MIN_C - 1
                        and not code_in(codes, code_count, <int32_t>tags_code)):
                    continue
                units.append((offset, size, i - 1))
                selected += 1
                total_bytes += size
        finally:
            PyBuffer_Release(&view)
    finally:
        if codes != small_codes:
            PyMem_Free(codes)
    return units, i, stop


# -- IndexFile ----------------------------------------------------------------------------

INDEX_HEADER_SIZE = INDEX_HEADER
HASH_SLOT_SIZE = INDEX_SLOT
INDEX_ENTRY_SIZE = INDEX_ENTRY
DEFAULT_SLOT_NUM = 5_000_000
DEFAULT_INDEX_NUM = 20_000_000


def index_file_size(Py_ssize_t slot_num, Py_ssize_t index_num):
    """Bytes of an IndexFile: 40 + slot_num * 4 + index_num * 20."""
    if slot_num < 1 or index_num < 1:
        raise ValueError(f"slot_num ({slot_num}) and index_num ({index_num}) must be >= 1")
    return INDEX_HEADER + slot_num * INDEX_SLOT + index_num * INDEX_ENTRY


@cython.final
cdef class IndexHeader:
    """The 40-byte IndexFile header (IndexHeader.java).

    A fresh Java file keeps index_count 0 on disk until its first key (its
    in-memory counter starts at 1); readers treat index_count <= 0 as 1.
    """

    def __init__(self, object begin_timestamp=0, object end_timestamp=0,
                 object begin_phy_offset=0, object end_phy_offset=0,
                 object hash_slot_count=0, object index_count=0):
        self.begin_timestamp = int64_arg(begin_timestamp)
        self.end_timestamp = int64_arg(end_timestamp)
        self.begin_phy_offset = int64_arg(begin_phy_offset)
        self.end_phy_offset = int64_arg(end_phy_offset)
        self.hash_slot_count = int32_arg(hash_slot_count)
        self.index_count = int32_arg(index_count)

    cdef void write(self, unsigned char *out) noexcept nogil:
        be_write_i64(out, self.begin_timestamp)
        be_write_i64(out + 8, self.end_timestamp)
        be_write_i64(out + 16, self.begin_phy_offset)
        be_write_i64(out + 24, self.end_phy_offset)
        be_write_i32(out + 32, self.hash_slot_count)
        be_write_i32(out + 36, self.index_count)

    cdef void read(self, const unsigned char *data) noexcept nogil:
        self.begin_timestamp = be_read_i64(data)
        self.end_timestamp = be_read_i64(data + 8)
        self.begin_phy_offset = be_read_i64(data + 16)
        self.end_phy_offset = be_read_i64(data + 24)
        self.hash_slot_count = be_read_i32(data + 32)
        self.index_count = be_read_i32(data + 36)

    def pack(self):
        cdef bytes out = PyBytes_FromStringAndSize(NULL, INDEX_HEADER)
        self.write(<unsigned char *>PyBytes_AS_STRING(out))
        return out

    def pack_into(self, object buffer, Py_ssize_t position=0):
        """Write the header at ``position`` of a writable buffer (ValueError if it does not fit)."""
        cdef Py_buffer view
        view_acquire(buffer, &view, True)
        try:
            if position < 0 or position > view.len - INDEX_HEADER:
                raise ValueError(f"header at {position} does not fit {view.len} bytes")
            self.write(<unsigned char *>view.buf + position)
        finally:
            PyBuffer_Release(&view)

    @staticmethod
    def unpack(object buffer, Py_ssize_t position=0):
        cdef Py_buffer view
        cdef IndexHeader header = IndexHeader.__new__(IndexHeader)
        view_acquire(buffer, &view, False)
        try:
            if position < 0 or position > view.len - INDEX_HEADER:
                raise ValueError(f"header at {position} does not fit {view.len} bytes")
            header.read(<const unsigned char *>view.buf + position)
        finally:
            PyBuffer_Release(&view)
        return header

    def is_time_matched(self, object begin_ms, object end_ms):
        """IndexFile#isTimeMatched: does [begin_ms, end_ms] overlap this file's time span."""
        cdef int64_t first = self.begin_timestamp, last = self.end_timestamp
        cdef int64_t begin = int64_arg(begin_ms), end = int64_arg(end_ms)
        return ((begin < first and end > last)
                or first <= begin <= last
                or first <= end <= last)

    def is_write_full(self, object index_num):
        """IndexFile#isWriteFull: index_count (at least 1) >= index_num."""
        return max(self.index_count, 1) >= PyNumber_Index(index_num)

    cdef tuple _values(self):
        return (self.begin_timestamp, self.end_timestamp, self.begin_phy_offset,
                self.end_phy_offset, self.hash_slot_count, self.index_count)

    def __eq__(self, other):
        if not isinstance(other, IndexHeader):
            return NotImplemented
        return self._values() == (<IndexHeader>other)._values()

    def __repr__(self):
        return (f"IndexHeader(begin_timestamp={self.begin_timestamp}, "
                f"end_timestamp={self.end_timestamp}, begin_phy_offset={self.begin_phy_offset}, "
                f"end_phy_offset={self.end_phy_offset}, hash_slot_count={self.hash_slot_count}, "
                f"index_count={self.index_count})")


cdef int index_check(Py_ssize_t buffer_size, object slot_arg, object index_arg,
                     int32_t *slot_num_out, int32_t *index_num_out) except -1:
    cdef int64_t size
    cdef int32_t slot_num = int32_arg(slot_arg)
    cdef int32_t index_num = int32_arg(index_arg)
    slot_num_out[0] = slot_num
    index_num_out[0] = index_num
    if slot_num < 1 or index_num < 1:
        raise ValueError(f"slot_num ({slot_num}) and index_num ({index_num}) must be >= 1")
    size = INDEX_HEADER + <int64_t>slot_num * INDEX_SLOT + <int64_t>index_num * INDEX_ENTRY
    if buffer_size < size:
        raise ValueError(f"index buffer has {buffer_size} bytes, the file needs {size}")
    return 0


cdef int32_t key_hash_arg(object key) except? -1:
    cdef int32_t value
    if isinstance(key, str):
        return key_hash_of(jhash_unicode(<str>key))
    value = int32_arg(key)
    if value < 0:
        raise ValueError(f"key hash must be >= 0 (see index_key_hash), got {value}")
    return value


@cython.cdivision(True)
def index_put(object buffer, object slot_num, object index_num, object key,
              object commitlog_offset, object store_timestamp):
    """Add a key to the IndexFile in ``buffer`` exactly as IndexFile#putKey does.

    ``key`` is the key string (hashed with index_key_hash) or its hash. The
    entry goes to index index_count (header, <= 0 read as 1) with the slot's
    previous head as its link; the slot then points at it. The header is
    updated in the buffer: begin offset/timestamp on the first entry,
    hash_slot_count when the slot was empty, index_count, end offset and
    timestamp. The entry's time is whole seconds since the header's begin
    timestamp as it was before this put (0 if that is <= 0), clamped to
    [0, INT32_MAX]. Returns False (and writes nothing) when the file is full.
    Raises ValueError for a buffer smaller than index_file_size.
    """
    cdef Py_buffer view
    cdef unsigned char *base
    cdef unsigned char *entry
    cdef int32_t key_hash, index_count, slot_value, hash_slot_count, slots, entries
    cdef int64_t begin_timestamp, time_diff
    cdef int64_t offset = int64_arg(commitlog_offset), timestamp = int64_arg(store_timestamp)
    cdef Py_ssize_t slot_at
    view_acquire(buffer, &view, True)
    try:
        index_check(view.len, slot_num, index_num, &slots, &entries)
        key_hash = key_hash_arg(key)
        base = <unsigned char *>view.buf
        index_count = be_read_i32(base + 36)
        if index_count <= 0:
            index_count = 1
        if index_count >= entries:
            return False
        slot_at = INDEX_HEADER + <Py_ssize_t>(key_hash % slots) * INDEX_SLOT
        slot_value = be_read_i32(base + slot_at)
        if slot_value <= 0 or slot_value > index_count:
            slot_value = 0
        begin_timestamp = be_read_i64(base)
        if begin_timestamp <= 0:
            time_diff = 0
        else:
            # C division truncates toward zero, like Java's long division.
            time_diff = (timestamp - begin_timestamp) / 1000
            if time_diff > INT32_MAX_C:
                time_diff = INT32_MAX_C
            elif time_diff < 0:
                time_diff = 0
        entry = (base + INDEX_HEADER + <Py_ssize_t>slots * INDEX_SLOT
                 + <Py_ssize_t>index_count * INDEX_ENTRY)
        be_write_i32(entry, key_hash)
        be_write_i64(entry + 4, offset)
        be_write_i32(entry + 12, <int32_t>time_diff)
        be_write_i32(entry + 16, slot_value)
        be_write_i32(base + slot_at, index_count)
        if index_count <= 1:
            be_write_i64(base + 16, offset)
            be_write_i64(base, timestamp)
        if slot_value == 0:
            hash_slot_count = be_read_i32(base + 32)
            be_write_i32(base + 32, <int32_t>(<uint32_t>hash_slot_count + 1u))
        be_write_i32(base + 36, index_count + 1)
        be_write_i64(base + 24, offset)
        be_write_i64(base + 8, timestamp)
    finally:
        PyBuffer_Release(&view)
    return True


def index_lookup(object buffer, object slot_num, object index_num, object key_hash,
                 object begin_ms, object end_ms, object max_num):
    """Commit-log offsets of a key's entries stored in [begin_ms, end_ms].

    IndexFile#selectPhyOffset: ``key_hash`` is index_key_hash(key) (or the
    key string itself). Walks the slot's chain newest first; keeps entries
    with the same hash whose time (begin timestamp + seconds * 1000) lies in
    the window; stops after ``max_num`` results, at a link <= 0, above
    index_count or pointing at itself, at a negative time, or at an entry
    older than begin_ms. Callers must re-check the key in each record
    (hashes collide). A chain is also cut after index_count steps so a
    corrupted file cannot loop forever.
    """
    cdef Py_buffer view
    cdef const unsigned char *base
    cdef const unsigned char *entries
    cdef const unsigned char *entry
    cdef int32_t hash_value, index_count, current, previous, steps, slots, entries_num
    cdef int64_t found_count = 0
    cdef int64_t begin_timestamp, time_read, time_diff
    cdef int64_t begin = int64_arg(begin_ms), end = int64_arg(end_ms), limit = int64_arg(max_num)
    cdef list found = []
    view_acquire(buffer, &view, False)
    try:
        index_check(view.len, slot_num, index_num, &slots, &entries_num)
        hash_value = key_hash_arg(key_hash)
        base = <const unsigned char *>view.buf
        index_count = be_read_i32(base + 36)
        if index_count <= 0:
            index_count = 1
        begin_timestamp = be_read_i64(base)
        current = be_read_i32(base + INDEX_HEADER + <Py_ssize_t>(hash_value % slots) * INDEX_SLOT)
        if current <= 0 or current > index_count or index_count <= 1:
            return found
        entries = base + INDEX_HEADER + <Py_ssize_t>slots * INDEX_SLOT
        for steps in range(index_count):
            if found_count >= limit or current >= entries_num:
                break
            entry = entries + <Py_ssize_t>current * INDEX_ENTRY
            time_diff = be_read_i32(entry + 12)
            previous = be_read_i32(entry + 16)
            if time_diff < 0:
                break
            time_read = begin_timestamp + time_diff * 1000
            if be_read_i32(entry) == hash_value and begin <= time_read <= end:
                found.append(be_read_i64(entry + 4))
                found_count += 1
            if previous <= 0 or previous > index_count or previous == current:
                break
            if time_read < begin:
                break
            current = previous
    finally:
        PyBuffer_Release(&view)
    return found


# -- StoreCheckpoint ------------------------------------------------------------------------

CHECKPOINT_SIZE = CHECKPOINT_BYTES


def pack_checkpoint(object physic_ts, object logics_ts, object index_ts,
                    object master_flushed_offset, object confirm_phy_offset):
    """The 4 KiB checkpoint file: five int64 at 0, 8, 16, 24, 32, then zeros."""
    cdef int64_t values[5]
    cdef bytes out
    cdef unsigned char *p
    cdef int i
    values[0] = int64_arg(physic_ts)
    values[1] = int64_arg(logics_ts)
    values[2] = int64_arg(index_ts)
    values[3] = int64_arg(master_flushed_offset)
    values[4] = int64_arg(confirm_phy_offset)
    out = PyBytes_FromStringAndSize(NULL, CHECKPOINT_BYTES)
    p = <unsigned char *>PyBytes_AS_STRING(out)
    memset(p, 0, CHECKPOINT_BYTES)
    for i in range(5):
        be_write_i64(p + 8 * i, values[i])
    return out


def unpack_checkpoint(object buffer):
    """``(physic_ts, logics_ts, index_ts, master_flushed_offset, confirm_phy_offset)``.

    A 4.x checkpoint has zeros in the last two. Raises ProtocolError for a
    buffer shorter than 40 bytes.
    """
    cdef Py_buffer view
    cdef const unsigned char *p
    view_acquire(buffer, &view, False)
    try:
        if view.len < 40:
            raise ProtocolError(f"checkpoint needs 40 bytes, got {view.len}")
        p = <const unsigned char *>view.buf
        return (be_read_i64(p), be_read_i64(p + 8), be_read_i64(p + 16), be_read_i64(p + 24),
                be_read_i64(p + 32))
    finally:
        PyBuffer_Release(&view)
