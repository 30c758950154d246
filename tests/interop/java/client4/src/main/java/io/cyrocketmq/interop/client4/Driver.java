package io.cyrocketmq.interop.client4;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every client4 driver shares: options, the stdout line protocol, and the
 * settings that must be in place before any rocketmq class initialises.
 *
 * <p>Stdout carries only {@code OK <name>}, {@code FAIL <name>: <reason>} and
 * one JSON object per line; the client's own log goes to a file under
 * {@code rocketmq.client.logRoot} (default: the JVM temp dir).
 */
final class Driver {
    private final String name;
    private final Map<String, List<String>> options = new HashMap<>();
    private int failures;

    Driver(String name, String[] args) {
        this.name = name;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                usageError("bad argument " + arg);
            }
            options.computeIfAbsent(arg.substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
        String serialize = get("serialize", null);
        if (serialize != null) {
            // Read once by RemotingCommand's static initialiser: set it first.
            System.setProperty("rocketmq.serialize.type", serialize);
        }
        if (System.getProperty("rocketmq.client.logRoot") == null) {
            File root = new File(System.getProperty("java.io.tmpdir"), "cyrocketmq-client4-logs");
            System.setProperty("rocketmq.client.logRoot", root.getPath());
        }
        if (System.getProperty("rocketmq.client.logLevel") == null) {
            System.setProperty("rocketmq.client.logLevel", "WARN");
        }
    }

    String get(String key, String fallback) {
        List<String> values = options.get(key);
        return values == null ? fallback : values.get(values.size() - 1);
    }

    String require(String key) {
        String value = get(key, null);
        if (value == null) {
            usageError("--" + key + " is required");
        }
        return value;
    }

    int getInt(String key, int fallback) {
        String value = get(key, null);
        return value == null ? fallback : Integer.parseInt(value);
    }

    List<String> getAll(String key) {
        List<String> values = options.get(key);
        return values == null ? new ArrayList<>() : values;
    }

    /** Every {@code --prop k=v} option, in a stable order. */
    Map<String, String> props() {
        Map<String, String> out = new TreeMap<>();
        for (String kv : getAll("prop")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                usageError("--prop wants key=value, got " + kv);
            }
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }

    void ok(String what) {
        emit("OK " + what);
    }

    void fail(String what, String reason) {
        failures++;
        emit("FAIL " + what + ": " + reason.replace('\n', ' '));
    }

    /**
     * A client's start() threw (MQClientException): print its response code and
     * message as {"event":"start_failed",...}, then the FAIL line, then exit.
     */
    void startFailed(String what, int responseCode, String errorMessage) {
        Map<String, Object> line = new TreeMap<>();
        line.put("event", "start_failed");
        line.put("responseCode", responseCode);
        line.put("error", String.valueOf(errorMessage));
        emitJson(line);
        fail(what, "start failed: code " + responseCode + ": " + errorMessage);
        exit();
    }

    boolean check(boolean condition, String what, String reason) {
        if (!condition) {
            fail(what, reason);
        }
        return condition;
    }

    int failures() {
        return failures;
    }

    void exit() {
        System.out.flush();
        System.exit(failures == 0 ? 0 : 1);
    }

    /** One line to stdout, flushed, never interleaved with another thread's line. */
    static synchronized void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static void emitJson(Map<String, Object> object) {
        emit(json(object));
    }

    /** Start a daemon thread that runs {@code onEof} when stdin reaches EOF. */
    static void onStdinEof(Runnable onEof) {
        Thread thread = new Thread(() -> {
            InputStream in = System.in;
            byte[] sink = new byte[256];
            try {
                while (in.read(sink) >= 0) {
                    // Input is ignored; only EOF matters.
                }
            } catch (IOException ignored) {
                // Treated like EOF.
            }
            onEof.run();
        }, "stdin-eof");
        thread.setDaemon(true);
        thread.start();
    }

    private void usageError(String why) {
        System.err.println(name + ": " + why);
        System.exit(2);
    }

    static String hex(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return out.toString();
    }

    /** A body that is unique per (run, mode, index) and not valid UTF-8 text. */
    static byte[] body(String run, String mode, int index) {
        byte[] text = (run + "/" + mode + "/" + index + "/h\u00e9llo").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[text.length + 4];
        System.arraycopy(text, 0, out, 0, text.length);
        out[text.length] = 0;
        out[text.length + 1] = (byte) 0xff;
        out[text.length + 2] = (byte) 0x80;
        out[text.length + 3] = (byte) index;
        return out;
    }

    /** Minimal JSON writer for maps, lists, strings, numbers, booleans and null. */
    static String json(Object value) {
        StringBuilder out = new StringBuilder();
        writeJson(out, value);
        return out.toString();
    }

    private static void writeJson(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            writeString(out, (String) value);
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString(out, String.valueOf(entry.getKey()));
                out.append(':');
                writeJson(out, entry.getValue());
            }
            out.append('}');
        } else if (value instanceof Collection) {
            out.append('[');
            boolean first = true;
            for (Object item : (Collection<?>) value) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeJson(out, item);
            }
            out.append(']');
        } else {
            writeString(out, value.toString());
        }
    }

    private static void writeString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
