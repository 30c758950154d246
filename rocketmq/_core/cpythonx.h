/* CPython API shims shared by the _core modules (see cpythonx.pxd).
 *
 * Each one papers over a difference between the CPython versions we build
 * for, so the .pyx files carry no version checks of their own.
 */
#ifndef RMQ_CPYTHONX_H
#define RMQ_CPYTHONX_H

#include <Python.h>

/* Legacy (non-compact) str objects must be made ready before KIND/DATA on
 * 3.11; from 3.12 every str is ready. */
#if PY_VERSION_HEX < 0x030C0000
#define rmq_unicode_ready(op) PyUnicode_READY(op)
#else
#define rmq_unicode_ready(op) 0
#endif

/* A dict that takes n items without resizing: CPython's own helper where it
 * is still exported, a plain dict elsewhere. */
#if PY_VERSION_HEX < 0x030E0000 && !defined(PYPY_VERSION)
#define rmq_dict_presized(n) _PyDict_NewPresized(n)
#else
#define rmq_dict_presized(n) PyDict_New()
#endif

#endif /* RMQ_CPYTHONX_H */
