package io.cyrocketmq.interop.storefmt;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageExtBrokerInner;
import org.apache.rocketmq.common.message.MessageVersion;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;
import org.apache.rocketmq.remoting.common.RemotingHelper;
import org.apache.rocketmq.store.CommitLog;
import org.apache.rocketmq.store.MessageExtEncoder;
import org.apache.rocketmq.store.PutMessageResult;
import org.apache.rocketmq.store.StoreCheckpoint;
import org.apache.rocketmq.store.config.MessageStoreConfig;
import org.apache.rocketmq.store.index.IndexFile;

/**
 * Writes golden store vectors produced by rocketmq-store / rocketmq-common 5.3.3.
 *
 * <pre>
 *   GoldenStore OUTDIR
 * </pre>
 *
 * Output (see tests/data/store/README.md): record_NAME.bin (one CommitLog
 * record each), segment.bin (the records at their file positions plus the
 * end-of-file blank), index_a.bin / index_b.bin (IndexFile), batch.bin
 * (producer batch body), checkpoint.bin and manifest.json describing inputs
 * and what Java reads back. Everything is deterministic: fixed timestamps,
 * addresses and seeds, no clock.
 */
public final class GoldenStore {
    /** File start offset of segment.bin: the second 1 GiB CommitLog file. */
    static final long SEGMENT_FROM_OFFSET = 1L << 30;
    static final int SEGMENT_SIZE = 4096;
    /** CommitLog.DefaultAppendMessageCallback#END_FILE_MIN_BLANK_LENGTH. */
    static final int END_FILE_MIN_BLANK_LENGTH = 4 + 4;
    static final long BASE_TIME = 1700000000000L;

    private GoldenStore() {
    }

    /** One CommitLog record to encode. */
    static final class RecordCase {
        final String name;
        final String note;
        String topic = "TopicTest";
        byte[] body = "Hello RocketMQ".getBytes(StandardCharsets.UTF_8);
        final Map<String, String> properties = new LinkedHashMap<>();
        int queueId = 1;
        int flag;
        long queueOffset = 7;
        int sysFlag;
        long bornTimestamp = BASE_TIME;
        InetSocketAddress bornHost = address(new byte[] {127, 0, 0, 1}, 54321);
        long storeTimestamp = BASE_TIME + 5;
        InetSocketAddress storeHost = address(new byte[] {(byte) 192, (byte) 168, 1, 10}, 10911);
        int reconsumeTimes;
        long preparedTransactionOffset;

        RecordCase(String name, String note) {
            this.name = name;
            this.note = note;
        }
    }

    static InetSocketAddress address(byte[] ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] ipv6(String text) {
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static List<RecordCase> recordCases() {
        List<RecordCase> cases = new ArrayList<>();

        RecordCase c = new RecordCase("plain", "TAGS, KEYS, UNIQ_KEY, WAIT; IPv4 hosts");
        c.properties.put("TAGS", "TagA");
        c.properties.put("KEYS", "key1 key2");
        c.properties.put("UNIQ_KEY", "7F0000010001000000000000000000AB");
        c.properties.put("WAIT", "true");
        cases.add(c);

        c = new RecordCase("no_properties", "empty property string (PROPERTIESLENGTH 0)");
        c.body = "x".getBytes(StandardCharsets.UTF_8);
        c.queueId = 0;
        c.queueOffset = 0;
        cases.add(c);

        c = new RecordCase("unicode", "UTF-8 body, property names and values");
        c.body = "\u4f60\u597d, RocketMQ \ud83d\ude00 \u00e9".getBytes(StandardCharsets.UTF_8);
        c.properties.put("TAGS", "\u6807\u7b7e");
        c.properties.put("KEYS", "\u043a\u043b\u044e\u0447 cl\u00e9  \ud83d\ude00");
        c.properties.put("emoji", "\ud83d\ude00\ud83d\udc4d");
        c.properties.put("nom\u00e9", "valeur");
        c.queueOffset = 123456789012L;
        cases.add(c);

        c = new RecordCase("born_ipv6", "IPv6 born host (SYSFLAG 0x10), IPv4 store host");
        c.bornHost = address(ipv6("2001:db8::1"), 40000);
        c.properties.put("TAGS", "TagB");
        cases.add(c);

        c = new RecordCase("both_ipv6", "IPv6 born and store hosts (SYSFLAG 0x30)");
        c.bornHost = address(ipv6("::1"), 1);
        c.storeHost = address(ipv6("fe80::a:b:c:d"), 10911);
        c.properties.put("KEYS", "only-key");
        cases.add(c);

        c = new RecordCase("long_topic", "200-char topic: MESSAGE_VERSION_V2, 2-byte topic length");
        StringBuilder topic = new StringBuilder("%RETRY%");
        while (topic.length() < 200) {
            topic.append((char) ('a' + topic.length() % 26));
        }
        c.topic = topic.toString();
        c.properties.put("TAGS", "TagLong");
        cases.add(c);

        c = new RecordCase("empty_body", "zero-length body (BODYCRC 0)");
        c.body = new byte[0];
        c.properties.put("TAGS", "Empty");
        cases.add(c);

        c = new RecordCase("prepared_tx", "half message: TRANSACTION_PREPARED_TYPE, queue offset stored as 0");
        c.sysFlag = MessageSysFlag.TRANSACTION_PREPARED_TYPE;
        c.queueOffset = 55;
        c.properties.put("TRAN_MSG", "true");
        c.properties.put("PGROUP", "ProducerGroup");
        c.properties.put("REAL_TOPIC", "TopicTest");
        c.properties.put("REAL_QID", "1");
        cases.add(c);

        c = new RecordCase("commit_tx", "committed tx, COMPRESSED|MULTI_TAGS bits, binary body, odd ints");
        c.sysFlag = MessageSysFlag.TRANSACTION_COMMIT_TYPE | MessageSysFlag.COMPRESSED_FLAG
            | MessageSysFlag.MULTI_TAGS_FLAG;
        byte[] binary = new byte[300];
        new Random(20240501L).nextBytes(binary);
        c.body = binary;
        c.flag = -1;
        c.queueId = 255;
        c.queueOffset = 99;
        c.reconsumeTimes = 3;
        c.preparedTransactionOffset = 4096;
        c.bornTimestamp = -1L;
        c.storeTimestamp = Long.MAX_VALUE;
        c.properties.put("TAGS", "a||b");
        cases.add(c);

        c = new RecordCase("extremes", "int32/int64 extremes in every numeric field");
        c.flag = Integer.MIN_VALUE;
        c.queueId = Integer.MAX_VALUE;
        c.queueOffset = Long.MAX_VALUE;
        c.reconsumeTimes = Integer.MIN_VALUE;
        c.preparedTransactionOffset = Long.MIN_VALUE;
        c.bornTimestamp = Long.MIN_VALUE;
        c.bornHost = address(new byte[] {(byte) 255, (byte) 255, (byte) 255, (byte) 255}, 65535);
        c.storeHost = address(new byte[] {0, 0, 0, 0}, 0);
        c.properties.put("A", "1");
        cases.add(c);
        return cases;
    }

    /** The broker's MessageExtBrokerInner for a case, prepared as CommitLog#asyncPutMessage does. */
    static MessageExtBrokerInner brokerInner(RecordCase c) {
        MessageExtBrokerInner msg = new MessageExtBrokerInner();
        msg.setTopic(c.topic);
        msg.setBody(c.body);
        msg.setQueueId(c.queueId);
        msg.setFlag(c.flag);
        msg.setQueueOffset(c.queueOffset);
        msg.setSysFlag(c.sysFlag);
        msg.setBornTimestamp(c.bornTimestamp);
        msg.setBornHost(c.bornHost);
        msg.setStoreTimestamp(c.storeTimestamp);
        msg.setStoreHost(c.storeHost);
        msg.setReconsumeTimes(c.reconsumeTimes);
        msg.setPreparedTransactionOffset(c.preparedTransactionOffset);
        msg.setPropertiesString(MessageDecoder.messageProperties2String(c.properties));
        // CommitLog#asyncPutMessage: body CRC, message version, IPv6 flags.
        msg.setBodyCRC(UtilAll.crc32(c.body));
        msg.setVersion(MessageVersion.MESSAGE_VERSION_V1);
        if (c.topic.length() > Byte.MAX_VALUE) {
            msg.setVersion(MessageVersion.MESSAGE_VERSION_V2);
        }
        if (c.bornHost.getAddress() instanceof Inet6Address) {
            msg.setBornHostV6Flag();
        }
        if (c.storeHost.getAddress() instanceof Inet6Address) {
            msg.setStoreHostAddressV6Flag();
        }
        return msg;
    }

    /**
     * Encode with the store's own MessageExtEncoder, then apply the three
     * fields CommitLog.DefaultAppendMessageCallback#doAppend patches in the
     * encoded buffer before copying it into the mapped file: QUEUEOFFSET (0
     * for prepared/rollback), PHYSICALOFFSET and STORETIMESTAMP.
     */
    static byte[] encode(MessageExtBrokerInner msg, long physicalOffset) {
        MessageExtEncoder encoder = new MessageExtEncoder(new MessageStoreConfig());
        PutMessageResult failure = encoder.encode(msg);
        if (failure != null) {
            throw new IllegalStateException("encode failed: " + failure);
        }
        ByteBuffer encoded = encoder.getEncoderBuffer();
        int length = encoded.getInt(0);
        byte[] record = new byte[length];
        encoded.get(0, record);
        ByteBuffer patch = ByteBuffer.wrap(record);
        long queueOffset = msg.getQueueOffset();
        int tranType = MessageSysFlag.getTransactionValue(msg.getSysFlag());
        if (tranType == MessageSysFlag.TRANSACTION_PREPARED_TYPE
            || tranType == MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
            queueOffset = 0L;
        }
        int pos = 4 + 4 + 4 + 4 + 4;
        patch.putLong(pos, queueOffset);
        pos += 8;
        patch.putLong(pos, physicalOffset);
        pos += 8;
        int ipLen = (msg.getSysFlag() & MessageSysFlag.BORNHOST_V6_FLAG) == 0 ? 4 + 4 : 16 + 4;
        pos += 4 + 8 + ipLen;
        patch.putLong(pos, msg.getStoreTimestamp());
        return record;
    }

    static Map<String, Object> host(InetSocketAddress address) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ip", address.getAddress().getAddress());
        m.put("port", address.getPort());
        return m;
    }

    static Map<String, Object> readBack(byte[] record) {
        MessageExt ext = MessageDecoder.decode(ByteBuffer.wrap(record), true, false);
        if (ext == null) {
            throw new IllegalStateException("MessageDecoder.decode could not read a record");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total_size", ext.getStoreSize());
        m.put("body_crc", ext.getBodyCRC());
        m.put("queue_id", ext.getQueueId());
        m.put("flag", ext.getFlag());
        m.put("queue_offset", ext.getQueueOffset());
        m.put("physical_offset", ext.getCommitLogOffset());
        m.put("sys_flag", ext.getSysFlag());
        m.put("born_timestamp", ext.getBornTimestamp());
        m.put("born_host", host((InetSocketAddress) ext.getBornHost()));
        m.put("store_timestamp", ext.getStoreTimestamp());
        m.put("store_host", host((InetSocketAddress) ext.getStoreHost()));
        m.put("reconsume_times", ext.getReconsumeTimes());
        m.put("prepared_transaction_offset", ext.getPreparedTransactionOffset());
        m.put("body", ext.getBody() == null ? new byte[0] : ext.getBody());
        m.put("topic", ext.getTopic());
        m.put("properties", ext.getProperties() == null ? new TreeMap<>() : new TreeMap<>(ext.getProperties()));
        m.put("msg_id", ext.getMsgId());
        m.put("born_host_str", RemotingHelper.parseSocketAddressAddr(ext.getBornHost()));
        m.put("store_host_str", RemotingHelper.parseSocketAddressAddr(ext.getStoreHost()));
        m.put("tags_code", MessageExtBrokerInner.tagsString2tagsCode(ext.getTags()));
        m.put("keys", ext.getKeys());
        return m;
    }

    static Map<String, Object> records(Path out) throws Exception {
        List<Object> entries = new ArrayList<>();
        byte[] segment = new byte[SEGMENT_SIZE];
        int position = 0;
        List<Object> placed = new ArrayList<>();
        for (RecordCase c : recordCases()) {
            MessageExtBrokerInner msg = brokerInner(c);
            long physicalOffset = SEGMENT_FROM_OFFSET + position;
            byte[] record = encode(msg, physicalOffset);
            String file = "record_" + c.name + ".bin";
            Files.write(out.resolve(file), record);
            if (record.length + END_FILE_MIN_BLANK_LENGTH > SEGMENT_SIZE - position) {
                throw new IllegalStateException("segment too small for " + c.name);
            }
            System.arraycopy(record, 0, segment, position, record.length);
            placed.add(Map.of("name", c.name, "position", position, "size", record.length));
            position += record.length;

            Map<String, Object> input = new LinkedHashMap<>();
            input.put("topic", c.topic);
            input.put("queue_id", c.queueId);
            input.put("flag", c.flag);
            input.put("queue_offset", ByteBuffer.wrap(record).getLong(20));
            input.put("physical_offset", physicalOffset);
            input.put("sys_flag", msg.getSysFlag());
            input.put("born_timestamp", c.bornTimestamp);
            input.put("born_host", host(c.bornHost));
            input.put("store_timestamp", c.storeTimestamp);
            input.put("store_host", host(c.storeHost));
            input.put("reconsume_times", c.reconsumeTimes);
            input.put("prepared_transaction_offset", c.preparedTransactionOffset);
            input.put("body", c.body);
            input.put("properties", msg.getPropertiesString());
            input.put("properties_utf8", msg.getPropertiesString().getBytes(StandardCharsets.UTF_8));

            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", c.name);
            entry.put("file", file);
            entry.put("note", c.note);
            entry.put("size", record.length);
            entry.put("magic", ByteBuffer.wrap(record).getInt(4));
            entry.put("input", input);
            entry.put("java", readBack(record));
            entries.add(entry);
        }
        // What doAppend writes when the next message does not fit: int32 maxBlank, BLANK_MAGIC_CODE.
        int blankPosition = position;
        int maxBlank = SEGMENT_SIZE - position;
        ByteBuffer.wrap(segment).putInt(blankPosition, maxBlank).putInt(blankPosition + 4,
            CommitLog.BLANK_MAGIC_CODE);
        Files.write(out.resolve("segment.bin"), segment);

        Map<String, Object> seg = new LinkedHashMap<>();
        seg.put("file", "segment.bin");
        seg.put("file_from_offset", SEGMENT_FROM_OFFSET);
        seg.put("size", SEGMENT_SIZE);
        seg.put("records", placed);
        seg.put("blank_position", blankPosition);
        seg.put("blank_size", maxBlank);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("records", entries);
        result.put("segment", seg);
        return result;
    }

    static List<Object> hashes() throws Exception {
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            longText.append((char) ('!' + i % 94));
        }
        List<String> texts = Arrays.asList(
            "", "a", "TagA", "TagB", "hello", "TopicTest#key1", "polygenelubricants",
            "\u6807\u7b7e", "\u043a\u043b\u044e\u0447", "caf\u00e9", "\uffff\u0080\u07ff\u0800",
            "\ud83d\ude00", "a\ud83d\ude00b", "\ud800", "\udc00x", "x\ud800\ud800", "\u0000\u0001\u0002",
            longText.toString(), "TopicTest#7F0000010001000000000000000000AB", "%RETRY%group");
        Path dir = Files.createTempDirectory("golden-hash");
        // DefaultMappedFile parses the file name as a number (index files are named by time).
        IndexFile indexFile = new IndexFile(dir.resolve("20231114221320000").toString(), 10, 10, 0L, 0L);
        List<Object> out = new ArrayList<>();
        for (String text : texts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("text", text);
            m.put("hash", text.hashCode());
            m.put("tags_code", MessageExtBrokerInner.tagsString2tagsCode(text));
            m.put("index_key_hash", indexFile.indexKeyHashMethod(text));
            out.add(m);
        }
        indexFile.destroy(0);
        return out;
    }

    static Map<String, Object> indexFile(Path out, Path dir, String name, long endPhyOffset,
        long endTimestamp, long[][] puts, String[] putKeys, Object[][] lookups) throws Exception {
        int slotNum = 100;
        int indexNum = 400;
        // DefaultMappedFile parses the file name as a number (index files are named by time).
        Path path = dir.resolve(name.equals("index_a") ? "20231114221320000" : "20231114221340000");
        IndexFile indexFile = new IndexFile(path.toString(), slotNum, indexNum, endPhyOffset, endTimestamp);
        List<Object> putResults = new ArrayList<>();
        for (int i = 0; i < puts.length; i++) {
            boolean ok = indexFile.putKey(putKeys[i], puts[i][0], puts[i][1]);
            putResults.add(Arrays.asList(putKeys[i], puts[i][0], puts[i][1], ok));
        }
        List<Object> lookupResults = new ArrayList<>();
        for (Object[] q : lookups) {
            String key = (String) q[0];
            List<Long> found = new ArrayList<>();
            indexFile.selectPhyOffset(found, key, (Integer) q[3], (Long) q[1], (Long) q[2]);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", key);
            m.put("begin", q[1]);
            m.put("end", q[2]);
            m.put("max_num", q[3]);
            m.put("offsets", found);
            lookupResults.add(m);
        }
        indexFile.flush();
        byte[] data = Files.readAllBytes(path);
        indexFile.destroy(0);
        Files.write(out.resolve(name + ".bin"), data);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", name + ".bin");
        m.put("slot_num", slotNum);
        m.put("index_num", indexNum);
        m.put("end_phy_offset", endPhyOffset);
        m.put("end_timestamp", endTimestamp);
        m.put("puts", putResults);
        m.put("lookups", lookupResults);
        return m;
    }

    static List<Object> indexFiles(Path out) throws Exception {
        Path dir = Files.createTempDirectory("golden-index");
        List<Object> files = new ArrayList<>();

        // index_a: a fresh file filled past capacity (indexCount starts at 1: 399 entries fit).
        int n = 420;
        long[][] puts = new long[n][];
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            keys[i] = i % 97 == 5 ? "polygenelubricants" : "TopicTest#key-" + (i % 150);
            puts[i] = new long[] {1000L + 37L * i, BASE_TIME + 700L * i};
        }
        Object[][] lookups = {
            {"TopicTest#key-3", 0L, Long.MAX_VALUE, 64},
            {"TopicTest#key-3", 0L, Long.MAX_VALUE, 1},
            {"TopicTest#key-10", BASE_TIME + 10_000L, BASE_TIME + 150_000L, 64},
            {"TopicTest#key-149", BASE_TIME, BASE_TIME + 300_000L, 64},
            {"polygenelubricants", 0L, Long.MAX_VALUE, 64},
            {"TopicTest#key-77", BASE_TIME + 200_000L, BASE_TIME + 201_000L, 64},
            {"TopicTest#missing", 0L, Long.MAX_VALUE, 64},
            {"TopicTest#key-0", BASE_TIME + 1_000_000L, Long.MAX_VALUE, 64},
        };
        files.add(indexFile(out, dir, "index_a", 0L, 0L, puts, keys, lookups));

        // index_b: continues a previous file (header starts at its end offset and time);
        // times before the begin clamp to 0 and a far-future one clamps to Integer.MAX_VALUE.
        n = 40;
        puts = new long[n][];
        keys = new String[n];
        long begin = BASE_TIME + 1_000_000L;
        for (int i = 0; i < n; i++) {
            keys[i] = "Topic\u00e9#k" + (i % 7);
            long time = begin + 1_300L * (i - 3);
            if (i == 20) {
                time = begin + 3_000_000_000_000L;
            }
            puts[i] = new long[] {200_000L + 91L * i, time};
        }
        lookups = new Object[][] {
            {"Topic\u00e9#k1", 0L, Long.MAX_VALUE, 64},
            {"Topic\u00e9#k6", begin, begin + 20_000L, 64},
            {"Topic\u00e9#k6", 0L, Long.MAX_VALUE, 2},
        };
        files.add(indexFile(out, dir, "index_b", 123_456L, begin, puts, keys, lookups));
        return files;
    }

    static Map<String, Object> batch(Path out) throws Exception {
        Message m1 = new Message("TopicTest", "TagA", "k1 k2", "body one".getBytes(StandardCharsets.UTF_8));
        MessageAccessor.putProperty(m1, "UNIQ_KEY", "7F0000010001000000000000000000B1");
        m1.putUserProperty("custom", "v\u00e9");
        Message m2 = new Message("TopicTest", "TagB", "", "\u4f60\u597d".getBytes(StandardCharsets.UTF_8));
        m2.setFlag(7);
        MessageAccessor.putProperty(m2, "UNIQ_KEY", "7F0000010001000000000000000000B2");
        Message m3 = new Message("TopicTest", new byte[0]);
        m3.setFlag(-3);
        m3.setWaitStoreMsgOK(false);
        List<Message> messages = Arrays.asList(m1, m2, m3);
        byte[] body = MessageDecoder.encodeMessages(messages);
        Files.write(out.resolve("batch.bin"), body);
        List<Object> items = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("flag", m.getFlag());
            item.put("body", m.getBody());
            item.put("properties", MessageDecoder.messageProperties2String(m.getProperties()));
            items.add(item);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("file", "batch.bin");
        result.put("messages", items);
        return result;
    }

    static Map<String, Object> checkpoint(Path out) throws Exception {
        Path dir = Files.createTempDirectory("golden-checkpoint");
        Path path = dir.resolve("checkpoint");
        StoreCheckpoint checkpoint = new StoreCheckpoint(path.toString());
        long[] values = {BASE_TIME + 123, BASE_TIME + 100, BASE_TIME + 50, SEGMENT_FROM_OFFSET + 512, 2048L};
        checkpoint.setPhysicMsgTimestamp(values[0]);
        checkpoint.setLogicsMsgTimestamp(values[1]);
        checkpoint.setIndexMsgTimestamp(values[2]);
        checkpoint.setMasterFlushedOffset(values[3]);
        checkpoint.setConfirmPhyOffset(values[4]);
        checkpoint.flush();
        checkpoint.shutdown();
        Files.copy(path, out.resolve("checkpoint.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("file", "checkpoint.bin");
        result.put("values", Arrays.asList(values[0], values[1], values[2], values[3], values[4]));
        result.put("min_timestamp", checkpoint.getMinTimestamp());
        return result;
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length != 1) {
            System.err.println("usage: GoldenStore OUTDIR");
            System.exit(2);
        }
        Path out = Paths.get(argv[0]);
        Files.createDirectories(out);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("generator", "io.cyrocketmq.interop.storefmt.GoldenStore");
        manifest.put("rocketmq_version", MessageStoreConfig.class.getPackage().getImplementationVersion());
        manifest.putAll(records(out));
        manifest.put("hashes", hashes());
        manifest.put("index_files", indexFiles(out));
        manifest.put("batch", batch(out));
        manifest.put("checkpoint", checkpoint(out));
        StringBuilder text = new StringBuilder("{\n");
        boolean first = true;
        for (Map.Entry<String, Object> e : manifest.entrySet()) {
            if (!first) {
                text.append(",\n");
            }
            first = false;
            text.append(Json.string(e.getKey())).append(": ").append(Json.value(e.getValue()));
        }
        text.append("\n}\n");
        Files.write(out.resolve("manifest.json"), text.toString().getBytes(StandardCharsets.US_ASCII));
        System.out.println("OK " + out);
    }
}
