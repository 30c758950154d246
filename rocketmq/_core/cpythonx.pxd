# CPython API the cpython.* pxds of Cython do not declare, and version shims
# (cpythonx.h). Declarations only: cimporting this file adds no runtime import.


cdef extern from "cpythonx.h":
    # 0, or -1 with an exception set; a no-op from CPython 3.12 on.
    int rmq_unicode_ready(object text) except -1
    # Only valid on a ready str.
    bint PyUnicode_IS_ASCII(object text)
    # A dict sized for ``n`` items: saves two resizes for a 14-field header.
    dict rmq_dict_presized(Py_ssize_t n)
