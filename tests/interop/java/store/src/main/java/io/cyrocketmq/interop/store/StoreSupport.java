package io.cyrocketmq.interop.store;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONArray;
import com.alibaba.fastjson.JSONObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.rocketmq.common.BrokerConfig;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;
import org.apache.rocketmq.store.ConsumeQueue;
import org.apache.rocketmq.store.DefaultMessageStore;
import org.apache.rocketmq.store.config.BrokerRole;
import org.apache.rocketmq.store.config.FlushDiskType;
import org.apache.rocketmq.store.config.MessageStoreConfig;
import org.apache.rocketmq.store.stats.BrokerStatsManager;

/**
 * What ReadStore and WriteStore share: options, the store setup, the
 * expectation-file format and host/hex helpers.
 *
 * <p>Expectation file (JSON, UTF-8): {@code {"messages": [M, ...]}} where each
 * M describes one stored record:
 * <pre>
 *   topic, queueId, queueOffset, commitLogOffset, storeSize, sysFlag, flag,
 *   bornTimestamp, storeTimestamp, reconsumeTimes, preparedTransactionOffset,
 *   bornHost / storeHost ("HEXIP:port", e.g. "7f000001:10911"),
 *   body (hex), bodyCrc, propertiesString (exact stored text), properties
 *   (the parsed map), msgId (offsetMsgId)
 * </pre>
 * Records with transaction type PREPARED or ROLLBACK are in the CommitLog only
 * (no ConsumeQueue unit; queueOffset 0). Readers compare only the fields
 * present.
 */
final class StoreSupport {
    static final int STORE_PORT = 10911;
    static final InetSocketAddress STORE_HOST = socketAddress(new byte[] {127, 0, 0, 1}, STORE_PORT);
    static final String GROUP = "interop_group";
    /** MessageStoreConfig#maxMsgsNumBatch: queryMessage never returns more. */
    static final int QUERY_MAX = 64;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private StoreSupport() {
    }

    /** {@code --name value} options and {@code --flag} switches; anything else is an error. */
    static final class Options {
        private final Map<String, String> values = new HashMap<>();
        private final Map<String, Boolean> flags = new HashMap<>();

        Options(String[] argv, Set<String> valueNames, Set<String> flagNames) {
            for (String name : flagNames) {
                flags.put(name, false);
            }
            for (int i = 0; i < argv.length; i++) {
                String name = argv[i];
                if (flagNames.contains(name)) {
                    flags.put(name, true);
                } else if (valueNames.contains(name) && i + 1 < argv.length) {
                    values.put(name, argv[++i]);
                } else {
                    throw new IllegalArgumentException("unknown or incomplete option: " + name);
                }
            }
        }

        String required(String name) {
            String value = values.get(name);
            if (value == null) {
                throw new IllegalArgumentException("missing option " + name);
            }
            return value;
        }

        String optional(String name) {
            return values.get(name);
        }

        int intValue(String name, int fallback) {
            String value = values.get(name);
            return value == null ? fallback : Integer.parseInt(value);
        }

        boolean flag(String name) {
            return flags.get(name);
        }
    }

    static final Set<String> STORE_OPTIONS =
        Set.of("--store", "--commitlog-size", "--cq-units", "--index-slots", "--index-entries");

    /**
     * A DefaultMessageStore over {@code --store}, configured like the Python
     * side: segment sizes from the options, ASYNC_FLUSH master, no timer
     * wheel, HA bound to an ephemeral port (nothing connects to it), and short
     * flush intervals so the checkpoint moves while the program runs.
     */
    static DefaultMessageStore openStore(Options options) throws IOException {
        String root = Paths.get(options.required("--store")).toAbsolutePath().toString();
        MessageStoreConfig config = new MessageStoreConfig();
        config.setStorePathRootDir(root);
        config.setStorePathCommitLog(Paths.get(root, "commitlog").toString());
        config.setMappedFileSizeCommitLog(Integer.parseInt(options.required("--commitlog-size")));
        config.setMappedFileSizeConsumeQueue(
            Integer.parseInt(options.required("--cq-units")) * ConsumeQueue.CQ_STORE_UNIT_SIZE);
        config.setMaxHashSlotNum(options.intValue("--index-slots", 5_000_000));
        config.setMaxIndexNum(options.intValue("--index-entries", 20_000_000));
        config.setTimerWheelEnable(false);
        config.setBrokerRole(BrokerRole.ASYNC_MASTER);
        config.setFlushDiskType(FlushDiskType.ASYNC_FLUSH);
        config.setHaListenPort(0);
        config.setFlushIntervalCommitLog(100);
        config.setFlushCommitLogLeastPages(0);
        config.setFlushIntervalConsumeQueue(100);
        config.setFlushConsumeQueueLeastPages(0);
        config.setFlushConsumeQueueThoroughInterval(100);
        BrokerConfig brokerConfig = new BrokerConfig();
        return new DefaultMessageStore(
            config,
            new BrokerStatsManager("interop", true),
            (topic, queueId, logicOffset, tagsCode, storeTime, filterBitMap, properties) -> {
            },
            brokerConfig,
            new ConcurrentHashMap<>());
    }

    static InetSocketAddress socketAddress(byte[] ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** "HEXIP:port", the same for IPv4 and IPv6 on both sides. */
    static String host(SocketAddress address) {
        InetSocketAddress inet = (InetSocketAddress) address;
        return hex(inet.getAddress().getAddress()) + ":" + inet.getPort();
    }

    static String hex(byte[] data) {
        char[] out = new char[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            out[2 * i] = HEX[(data[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[data[i] & 0xF];
        }
        return new String(out);
    }

    static boolean inConsumeQueue(int sysFlag) {
        int type = MessageSysFlag.getTransactionValue(sysFlag);
        return type == MessageSysFlag.TRANSACTION_NOT_TYPE || type == MessageSysFlag.TRANSACTION_COMMIT_TYPE;
    }

    static boolean indexed(int sysFlag) {
        return MessageSysFlag.getTransactionValue(sysFlag) != MessageSysFlag.TRANSACTION_ROLLBACK_TYPE;
    }

    /**
     * The expectation entry of a record. {@code propertiesString} is the exact
     * stored text ("" when there are no properties); {@code properties} is
     * what Java parses from it.
     */
    static JSONObject describe(MessageExt m, String propertiesString, Map<String, String> properties) {
        JSONObject out = new JSONObject(true);
        out.put("topic", m.getTopic());
        out.put("queueId", m.getQueueId());
        out.put("queueOffset", m.getQueueOffset());
        out.put("commitLogOffset", m.getCommitLogOffset());
        out.put("storeSize", m.getStoreSize());
        out.put("sysFlag", m.getSysFlag());
        out.put("flag", m.getFlag());
        out.put("bornTimestamp", m.getBornTimestamp());
        out.put("storeTimestamp", m.getStoreTimestamp());
        out.put("reconsumeTimes", m.getReconsumeTimes());
        out.put("preparedTransactionOffset", m.getPreparedTransactionOffset());
        out.put("bornHost", host(m.getBornHost()));
        out.put("storeHost", host(m.getStoreHost()));
        byte[] body = m.getBody() == null ? new byte[0] : m.getBody();
        out.put("body", hex(body));
        out.put("bodyCrc", m.getBodyCRC());
        out.put("propertiesString", propertiesString == null ? "" : propertiesString);
        out.put("properties", new TreeMap<>(properties == null ? Map.of() : properties));
        out.put("msgId", m.getMsgId());
        return out;
    }

    /** Expected fields that differ from actual ones, as "field: expected X, got Y". */
    static List<String> differences(JSONObject expected, JSONObject actual) {
        List<String> diffs = new ArrayList<>();
        for (String field : expected.keySet()) {
            Object want = expected.get(field);
            Object got = actual.get(field);
            if (!sameValue(want, got)) {
                diffs.add(field + ": expected " + shorten(JSON.toJSONString(want)) + ", got "
                    + shorten(JSON.toJSONString(got)));
            }
        }
        return diffs;
    }

    private static String shorten(String text) {
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }

    private static boolean sameValue(Object want, Object got) {
        if (want == null || got == null) {
            return want == got;
        }
        if (want instanceof Number && got instanceof Number) {
            return ((Number) want).longValue() == ((Number) got).longValue();
        }
        if (want instanceof Map && got instanceof Map) {
            return stringMap((Map<?, ?>) want).equals(stringMap((Map<?, ?>) got));
        }
        return want.toString().equals(got.toString());
    }

    static TreeMap<String, String> stringMap(Map<?, ?> map) {
        TreeMap<String, String> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            out.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
        }
        return out;
    }

    static JSONArray readMessages(String path) throws IOException {
        String text = Files.readString(Path.of(path), StandardCharsets.UTF_8);
        return JSON.parseObject(text).getJSONArray("messages");
    }

    static void writeMessages(String path, List<JSONObject> messages) throws IOException {
        JSONObject root = new JSONObject(true);
        root.put("messages", messages);
        Files.writeString(Path.of(path), JSON.toJSONString(root), StandardCharsets.UTF_8);
    }
}
