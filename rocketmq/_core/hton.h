/* Big-endian loads and stores for the remoting wire format (spec §1, §4).
 *
 * Byte-wise shifts make no assumption about alignment or host byte order;
 * GCC and Clang fold each helper into one load or store plus a bswap at -O2.
 * Signed values go through the unsigned ones: the wire is two's complement.
 */
#ifndef RMQ_HTON_H
#define RMQ_HTON_H

#include <stdint.h>

static inline uint16_t rmq_load_u16(const char *buf) {
    const unsigned char *p = (const unsigned char *)buf;
    return (uint16_t)(((uint16_t)p[0] << 8) | (uint16_t)p[1]);
}

static inline uint32_t rmq_load_u32(const char *buf) {
    const unsigned char *p = (const unsigned char *)buf;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline int16_t rmq_load_i16(const char *buf) {
    return (int16_t)rmq_load_u16(buf);
}

static inline int32_t rmq_load_i32(const char *buf) {
    return (int32_t)rmq_load_u32(buf);
}

static inline void rmq_store_u16(char *buf, uint16_t value) {
    unsigned char *p = (unsigned char *)buf;
    p[0] = (unsigned char)(value >> 8);
    p[1] = (unsigned char)value;
}

static inline void rmq_store_u32(char *buf, uint32_t value) {
    unsigned char *p = (unsigned char *)buf;
    p[0] = (unsigned char)(value >> 24);
    p[1] = (unsigned char)(value >> 16);
    p[2] = (unsigned char)(value >> 8);
    p[3] = (unsigned char)value;
}

#endif /* RMQ_HTON_H */
