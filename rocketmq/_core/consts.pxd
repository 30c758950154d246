# Compile-time constants shared by the _core modules: ASCII codes the text
# scanners look at and the Java integer limits. Enums only, so cimporting
# this file adds no runtime import.


cdef enum:
    # ASCII bytes of the JSON scanner, the escaper and the Java number parser.
    CH_BACKSPACE = 8
    CH_TAB = 9
    CH_LF = 10
    CH_FORMFEED = 12
    CH_CR = 13
    CH_SPACE = 32
    CH_QUOTE = 34
    CH_PLUS = 43
    CH_COMMA = 44
    CH_MINUS = 45
    CH_DOT = 46
    CH_SLASH = 47
    CH_ZERO = 48
    CH_NINE = 57
    CH_COLON = 58
    CH_UPPER_E = 69
    CH_BACKSLASH = 92
    CH_LOWER_E = 101
    CH_LBRACE = 123
    CH_RBRACE = 125


cdef enum:
    # Java int and short; long is INT64_MIN/INT64_MAX from libc.stdint.
    INT32_MIN = -2147483648
    INT32_MAX = 2147483647
    INT16_MIN = -32768
    INT16_MAX = 32767
