# Big-endian wire integers; see hton.h. Pointers need no alignment.
from libc.stdint cimport int16_t, int32_t, uint16_t, uint32_t


cdef extern from "hton.h" nogil:
    uint16_t rmq_load_u16(const char *buf)
    uint32_t rmq_load_u32(const char *buf)
    int16_t rmq_load_i16(const char *buf)
    int32_t rmq_load_i32(const char *buf)
    void rmq_store_u16(char *buf, uint16_t value)
    void rmq_store_u32(char *buf, uint32_t value)
