package io.cyrocketmq.interop.storefmt;

import java.util.List;
import java.util.Map;

/**
 * Just enough JSON output for the golden manifest.
 *
 * Strings are escaped per UTF-16 code unit: everything outside printable
 * ASCII becomes a backslash-u escape, so lone surrogates survive the trip
 * into Python's json module exactly as Java holds them.
 */
final class Json {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    static String hex(byte[] data) {
        char[] out = new char[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            out[2 * i] = HEX[(data[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[data[i] & 0xF];
        }
        return new String(out);
    }

    static String string(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7F) {
                sb.append(c);
            } else {
                sb.append("\\u")
                    .append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                    .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
            }
        }
        return sb.append('"').toString();
    }

    /** A value: String, Number, Boolean, null, byte[] (as hex), Map, List, or raw JSON. */
    static String value(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Raw) {
            return ((Raw) v).text;
        }
        if (v instanceof String) {
            return string((String) v);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof byte[]) {
            return string(hex((byte[]) v));
        }
        if (v instanceof Map) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                sb.append(string(String.valueOf(e.getKey()))).append(": ").append(value(e.getValue()));
            }
            return sb.append('}').toString();
        }
        if (v instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            boolean first = true;
            for (Object item : (List<?>) v) {
                if (!first) {
                    sb.append(",\n  ");
                }
                first = false;
                sb.append(value(item));
            }
            return sb.append(']').toString();
        }
        throw new IllegalArgumentException("no JSON form for " + v.getClass());
    }

    /** Already formatted JSON. */
    static final class Raw {
        final String text;

        Raw(String text) {
            this.text = text;
        }
    }
}
