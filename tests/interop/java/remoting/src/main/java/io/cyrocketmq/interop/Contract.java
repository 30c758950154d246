package io.cyrocketmq.interop;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The request codes and conventions shared by the Java interop programs and
 * the Python test server (tests/interop).
 *
 * <p>Nothing in here may touch {@code RemotingCommand} (or anything that loads
 * it): {@link #configureJvm(String)} must run before that class is initialised,
 * because {@code RemotingCommand} reads the JVM-wide serialize type in its
 * static initialiser.
 */
final class Contract {
    /** Sync: echo extFields, body and remark back with code 0. */
    static final int ECHO = 9001;
    /** Oneway: the server records extField "seq" of every request, in arrival order. */
    static final int ONEWAY_RECORD = 9002;
    /** Sync: code 0, extFields onewayCount / onewaySeqs. */
    static final int ONEWAY_STATS = 9003;
    /** A code no server registers: expect REQUEST_CODE_NOT_SUPPORTED (3). */
    static final int UNSUPPORTED = 9999;

    static final int SUCCESS = 0;
    static final int REQUEST_CODE_NOT_SUPPORTED = 3;

    /** Same value as RemotingCommand.SERIALIZE_TYPE_PROPERTY (kept literal on purpose). */
    static final String SERIALIZE_TYPE_PROPERTY = "rocketmq.serialize.type";
    /** Same value as RemotingCommand.REMOTING_VERSION_KEY. */
    static final String REMOTING_VERSION_PROPERTY = "rocketmq.remoting.version";

    private Contract() {
    }

    /** Validates a --serialize value and returns its canonical (upper case) name. */
    static String serializeName(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (!v.equals("JSON") && !v.equals("ROCKETMQ")) {
            throw new IllegalArgumentException("--serialize must be JSON or ROCKETMQ, got: " + value);
        }
        return v;
    }

    /**
     * Sets the JVM-wide RocketMQ remoting configuration the way a real broker or
     * client process does before it creates any command: the serialize type every
     * new RemotingCommand starts with, and the remoting version stamped into new
     * commands (MQClientAPIImpl / BrokerStartup set the same property to
     * MQVersion.CURRENT_VERSION). Must be called first thing in main().
     */
    static void configureJvm(String serialize) {
        System.setProperty(SERIALIZE_TYPE_PROPERTY, serializeName(serialize));
        if (System.getProperty(REMOTING_VERSION_PROPERTY) == null) {
            // MQVersion is in rocketmq-common and does not load RemotingCommand.
            System.setProperty(REMOTING_VERSION_PROPERTY,
                Integer.toString(org.apache.rocketmq.common.MQVersion.CURRENT_VERSION));
        }
    }

    /** Minimal "--key value" argument parser; "--flag" alone maps to "true". */
    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            String key = a.substring(2);
            int eq = key.indexOf('=');
            if (eq >= 0) {
                out.put(key.substring(0, eq), key.substring(eq + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                out.put(key, args[++i]);
            } else {
                out.put(key, "true");
            }
        }
        return out;
    }

    static String required(Map<String, String> args, String key) {
        String v = args.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing required option --" + key);
        }
        return v;
    }
}
