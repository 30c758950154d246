"""Pure-Python twins of the Cython modules: same names, signatures and errors."""
