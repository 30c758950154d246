# cython: language_level=3
"""C contract of rocketmq._core.storefmt: CQ units, IndexFile, tag hash (store.md §7-§9).

storefmt depends on message (its big-endian and String.hashCode helpers),
never the other way round, so the two extensions import in any order.
"""

cimport cython
from libc.stdint cimport int32_t, int64_t


cdef enum:
    CQ_UNIT = 20
    CQ_FILLER = 0x7FFFFFFF
    INDEX_HEADER = 40
    INDEX_SLOT = 4
    INDEX_ENTRY = 20
    CHECKPOINT_BYTES = 4096

# scan_cq stop reasons
cdef enum:
    SCAN_DONE = 0
    SCAN_INVALID = 1
    SCAN_FULL = 2


@cython.final
cdef class IndexHeader:
    cdef public int64_t begin_timestamp
    cdef public int64_t end_timestamp
    cdef public int64_t begin_phy_offset
    cdef public int64_t end_phy_offset
    cdef public int32_t hash_slot_count
    cdef public int32_t index_count      # 0 on disk until a fresh file's first key

    cdef void write(self, unsigned char *out) noexcept nogil
    cdef void read(self, const unsigned char *data) noexcept nogil
    cdef tuple _values(self)
