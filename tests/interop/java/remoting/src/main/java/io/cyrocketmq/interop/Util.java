package io.cyrocketmq.interop;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Small helpers: JSON writing (no JSON library on purpose), hex, escaping. */
final class Util {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Util() {
    }

    static String hex(byte[] data) {
        if (data == null) {
            return "";
        }
        char[] out = new char[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            out[2 * i] = HEX[(data[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[data[i] & 0xF];
        }
        return new String(out);
    }

    /** A JSON string literal (RFC 8259), ASCII-only output. */
    static String jsonString(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2);
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
        return b.toString();
    }

    /** A JSON object of strings with sorted keys, or "null". Null values stay null. */
    static String jsonStringMap(Map<String, String> map) {
        if (map == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(jsonString(e.getKey())).append(": ").append(jsonString(e.getValue()));
        }
        return b.append('}').toString();
    }

    /** A readable, escaped rendering for error messages. */
    static String javaLiteral(String s) {
        return jsonString(s);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
