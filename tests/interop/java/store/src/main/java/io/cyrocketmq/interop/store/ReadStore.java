package io.cyrocketmq.interop.store;

import com.alibaba.fastjson.JSONArray;
import com.alibaba.fastjson.JSONObject;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageExtBrokerInner;
import org.apache.rocketmq.store.DefaultMessageStore;
import org.apache.rocketmq.store.GetMessageResult;
import org.apache.rocketmq.store.GetMessageStatus;
import org.apache.rocketmq.store.PutMessageResult;
import org.apache.rocketmq.store.QueryMessageResult;
import org.apache.rocketmq.store.config.StorePathConfigHelper;
import org.apache.rocketmq.store.queue.ConsumeQueueInterface;
import org.apache.rocketmq.store.queue.CqUnit;

/**
 * Opens a store directory with the official DefaultMessageStore and checks
 * every record of an expectation file, then appends with Java.
 *
 * <pre>
 *   ReadStore --store DIR --commitlog-size N --cq-units N --expect FILE.json
 *             [--index-slots N --index-entries N] [--appended OUT.json]
 * </pre>
 *
 * Checks: load() and start() succeed; per (topic, queueId) the min/max
 * offsets, every message through getMessage (decoded with the body CRC
 * checked) and its ConsumeQueue unit (position, size, tags hash); every
 * record through lookMessageByOffset; queryMessage for every key and
 * UNIQ_KEY; then putMessage of two new messages (one into an existing queue,
 * one into a new topic) that are read back. The new messages go to
 * {@code --appended} in the expectation format. The store is shut down
 * cleanly (the abort file must be gone), so another implementation can
 * reopen it. Prints {@code OK <what>} lines; {@code FAIL <what>} lines and
 * exit code 1 on any mismatch.
 */
public final class ReadStore {
    private static final int FAIL_LINES_MAX = 40;
    private static final long DISPATCH_WAIT_MS = 10_000;

    private final List<String> failures = new ArrayList<>();

    private ReadStore() {
    }

    public static void main(String[] argv) {
        int code;
        try {
            code = new ReadStore().run(argv);
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("FAIL exception: " + t);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    private void fail(String what) {
        if (failures.size() < FAIL_LINES_MAX) {
            System.out.println("FAIL " + what);
        }
        failures.add(what);
    }

    private int run(String[] argv) throws Exception {
        Set<String> valueNames = new TreeSet<>(StoreSupport.STORE_OPTIONS);
        valueNames.add("--expect");
        valueNames.add("--appended");
        StoreSupport.Options options = new StoreSupport.Options(argv, valueNames, Set.of());
        JSONArray messages = StoreSupport.readMessages(options.required("--expect"));

        DefaultMessageStore store = StoreSupport.openStore(options);
        if (!store.load()) {
            System.out.println("FAIL load() returned false");
            return 1;
        }
        System.out.println("OK load");
        store.start();
        System.out.println("OK start");
        try {
            checkQueues(store, messages);
            checkLookups(store, messages);
            checkQueries(store, messages);
            List<JSONObject> appended = append(store, messages);
            String appendedPath = options.optional("--appended");
            if (appendedPath != null) {
                StoreSupport.writeMessages(appendedPath, appended);
            }
        } finally {
            store.shutdown();
        }
        String root = options.required("--store");
        if (new File(StorePathConfigHelper.getAbortFile(new File(root).getAbsolutePath())).exists()) {
            fail("shutdown: abort file still present (Java saw an unclean store)");
        } else {
            System.out.println("OK shutdown");
        }
        if (!failures.isEmpty()) {
            System.out.println("FAIL " + failures.size() + " mismatches");
            return 1;
        }
        return 0;
    }

    /** Queue key "topic/queueId" to its messages, ordered by queue offset. */
    private static Map<String, TreeMap<Long, JSONObject>> byQueue(JSONArray messages) {
        Map<String, TreeMap<Long, JSONObject>> queues = new LinkedHashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            JSONObject m = messages.getJSONObject(i);
            if (!StoreSupport.inConsumeQueue(m.getIntValue("sysFlag"))) {
                continue;
            }
            String key = m.getString("topic") + "/" + m.getIntValue("queueId");
            queues.computeIfAbsent(key, k -> new TreeMap<>()).put(m.getLongValue("queueOffset"), m);
        }
        return queues;
    }

    /** Decode one record as a server does, with the body CRC verified. */
    private static JSONObject decode(ByteBuffer buffer) {
        MessageExt m = MessageDecoder.decode(buffer, true, false, false, true, true);
        if (m == null) {
            return null;
        }
        // A record without properties decodes to a null map.
        Map<String, String> properties = m.getProperties() == null ? new HashMap<>() : new HashMap<>(m.getProperties());
        String text = properties.remove("propertiesString");
        return StoreSupport.describe(m, text, properties);
    }

    private void compare(String what, JSONObject expected, JSONObject actual) {
        if (actual == null) {
            fail(what + ": record did not decode (bad layout or body CRC)");
            return;
        }
        for (String diff : StoreSupport.differences(expected, actual)) {
            fail(what + ": " + diff);
        }
    }

    private void checkQueues(DefaultMessageStore store, JSONArray messages) throws Exception {
        int total = 0;
        for (Map.Entry<String, TreeMap<Long, JSONObject>> entry : byQueue(messages).entrySet()) {
            TreeMap<Long, JSONObject> expected = entry.getValue();
            JSONObject first = expected.firstEntry().getValue();
            String topic = first.getString("topic");
            int queueId = first.getIntValue("queueId");
            String name = entry.getKey();
            long min = store.getMinOffsetInQueue(topic, queueId);
            long max = store.getMaxOffsetInQueue(topic, queueId);
            if (min != expected.firstKey() || max != expected.lastKey() + 1) {
                fail(name + ": offsets [" + min + ", " + max + "), expected [" + expected.firstKey()
                    + ", " + (expected.lastKey() + 1) + ")");
            }
            if (expected.size() != expected.lastKey() - expected.firstKey() + 1) {
                fail(name + ": expectation has gaps in queue offsets");
            }
            int seen = 0;
            long offset = min;
            while (offset < max) {
                GetMessageResult result = store.getMessage(StoreSupport.GROUP, topic, queueId, offset, 32, null);
                try {
                    if (result.getStatus() != GetMessageStatus.FOUND) {
                        fail(name + ": getMessage at " + offset + " gave " + result.getStatus());
                        break;
                    }
                    List<ByteBuffer> buffers = result.getMessageBufferList();
                    List<Long> queueOffsets = result.getMessageQueueOffset();
                    for (int i = 0; i < buffers.size(); i++) {
                        long queueOffset = queueOffsets.get(i);
                        JSONObject want = expected.get(queueOffset);
                        String what = name + "@" + queueOffset;
                        if (want == null) {
                            fail(what + ": unexpected message");
                            continue;
                        }
                        compare(what, want, decode(buffers.get(i)));
                        checkUnit(store, what, topic, queueId, queueOffset, want);
                        seen++;
                    }
                    if (result.getNextBeginOffset() <= offset) {
                        fail(name + ": getMessage at " + offset + " did not advance");
                        break;
                    }
                    offset = result.getNextBeginOffset();
                } finally {
                    result.release();
                }
            }
            if (seen != expected.size()) {
                fail(name + ": read " + seen + " messages, expected " + expected.size());
            }
            total += seen;
        }
        System.out.println("OK getMessage " + total + " messages in " + byQueue(messages).size() + " queues");
    }

    /** The ConsumeQueue unit of a message: its position, size and tags hash. */
    private void checkUnit(DefaultMessageStore store, String what, String topic, int queueId, long queueOffset,
        JSONObject want) {
        ConsumeQueueInterface queue = store.getConsumeQueue(topic, queueId);
        CqUnit unit = queue == null ? null : queue.get(queueOffset);
        if (unit == null) {
            fail(what + ": no ConsumeQueue unit");
            return;
        }
        String tags = want.getJSONObject("properties").getString(MessageConst.PROPERTY_TAGS);
        long tagsCode = tags == null || tags.isEmpty() ? 0 : MessageExtBrokerInner.tagsString2tagsCode(tags);
        if (unit.getPos() != want.getLongValue("commitLogOffset") || unit.getSize() != want.getIntValue("storeSize")
            || unit.getTagsCode() != tagsCode) {
            fail(what + ": unit (" + unit.getPos() + ", " + unit.getSize() + ", " + unit.getTagsCode()
                + ") expected (" + want.getLongValue("commitLogOffset") + ", " + want.getIntValue("storeSize")
                + ", " + tagsCode + ")");
        }
    }

    private void checkLookups(DefaultMessageStore store, JSONArray messages) {
        for (int i = 0; i < messages.size(); i++) {
            JSONObject want = messages.getJSONObject(i);
            long offset = want.getLongValue("commitLogOffset");
            MessageExt m = store.lookMessageByOffset(offset);
            String what = "lookMessageByOffset(" + offset + ")";
            if (m == null) {
                fail(what + ": null");
                continue;
            }
            // lookMessageByOffset decodes without the properties text; compare the rest.
            JSONObject actual = StoreSupport.describe(m, want.getString("propertiesString"), m.getProperties());
            compare(what, want, actual);
        }
        System.out.println("OK lookMessageByOffset " + messages.size() + " records");
    }

    private static List<String> keysOf(JSONObject m) {
        List<String> keys = new ArrayList<>();
        JSONObject properties = m.getJSONObject("properties");
        String text = properties.getString(MessageConst.PROPERTY_KEYS);
        if (text != null) {
            for (String key : text.split(MessageConst.KEY_SEPARATOR)) {
                if (!key.isEmpty()) {
                    keys.add(key);
                }
            }
        }
        String uniq = properties.getString(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
        if (uniq != null && !uniq.isEmpty()) {
            keys.add(uniq);
        }
        return keys;
    }

    private void checkQueries(DefaultMessageStore store, JSONArray messages) {
        // (topic, key) -> commit-log offsets of the records indexed under it.
        Map<List<String>, Set<Long>> expected = new LinkedHashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            JSONObject m = messages.getJSONObject(i);
            if (!StoreSupport.indexed(m.getIntValue("sysFlag"))) {
                continue;
            }
            for (String key : keysOf(m)) {
                expected.computeIfAbsent(List.of(m.getString("topic"), key), k -> new TreeSet<>())
                    .add(m.getLongValue("commitLogOffset"));
            }
        }
        for (Map.Entry<List<String>, Set<Long>> entry : expected.entrySet()) {
            String topic = entry.getKey().get(0);
            String key = entry.getKey().get(1);
            Set<Long> found = query(store, topic, key);
            if (!found.equals(entry.getValue())) {
                fail("queryMessage(" + topic + ", " + key + "): " + found + ", expected " + entry.getValue());
            }
        }
        System.out.println("OK queryMessage " + expected.size() + " keys");
    }

    /** Offsets of records queryMessage returns that really carry the key (the index is a hash). */
    private Set<Long> query(DefaultMessageStore store, String topic, String key) {
        Set<Long> found = new TreeSet<>();
        QueryMessageResult result = store.queryMessage(topic, key, StoreSupport.QUERY_MAX, 0, Long.MAX_VALUE);
        try {
            for (ByteBuffer buffer : result.getMessageBufferList()) {
                JSONObject m = decode(buffer.slice());
                if (m == null) {
                    fail("queryMessage(" + topic + ", " + key + "): a record did not decode");
                    continue;
                }
                if (m.getString("topic").equals(topic) && keysOf(m).contains(key)) {
                    found.add(m.getLongValue("commitLogOffset"));
                }
            }
        } finally {
            result.release();
        }
        return found;
    }

    private static MessageExtBrokerInner newMessage(String topic, int queueId, String body, int n) {
        MessageExtBrokerInner msg = new MessageExtBrokerInner();
        msg.setTopic(topic);
        msg.setQueueId(queueId);
        msg.setBody(body.getBytes(StandardCharsets.UTF_8));
        msg.setFlag(n);
        msg.setTags("JavaTag\u00e9");
        msg.setKeys("java-appended-" + n + " java-appended");
        msg.putUserProperty("appendedBy", "ReadStore \u2713");
        MessageAccessor.putProperty(
            msg, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, String.format("JAVA%028d", n));
        msg.setPropertiesString(MessageDecoder.messageProperties2String(msg.getProperties()));
        msg.setTagsCode(MessageExtBrokerInner.tagsString2tagsCode(msg.getTags()));
        msg.setBornTimestamp(1_700_000_900_000L + n);
        msg.setBornHost(StoreSupport.socketAddress(new byte[] {10, 0, 0, 42}, 40000 + n));
        msg.setStoreHost(StoreSupport.STORE_HOST);
        return msg;
    }

    /** Append into the first expected queue and into a new topic; read both back. */
    private List<JSONObject> append(DefaultMessageStore store, JSONArray messages) throws Exception {
        List<JSONObject> appended = new ArrayList<>();
        Map.Entry<String, TreeMap<Long, JSONObject>> firstQueue = byQueue(messages).entrySet().iterator().next();
        JSONObject sample = firstQueue.getValue().firstEntry().getValue();
        MessageExtBrokerInner[] batch = {
            newMessage(sample.getString("topic"), sample.getIntValue("queueId"), "appended by Java \u4f60\u597d", 1),
            newMessage("JavaAppendedTopic", 1, "a new topic from Java", 2),
        };
        for (MessageExtBrokerInner msg : batch) {
            long before = store.getMaxOffsetInQueue(msg.getTopic(), msg.getQueueId());
            PutMessageResult put = store.putMessage(msg);
            if (put == null || !put.isOk()) {
                fail("putMessage(" + msg.getTopic() + "): " + (put == null ? "null" : put.getPutMessageStatus()));
                continue;
            }
            msg.setQueueOffset(put.getAppendMessageResult().getLogicsOffset());
            msg.setCommitLogOffset(put.getAppendMessageResult().getWroteOffset());
            msg.setStoreSize(put.getAppendMessageResult().getWroteBytes());
            msg.setStoreTimestamp(put.getAppendMessageResult().getStoreTimestamp());
            msg.setMsgId(put.getAppendMessageResult().getMsgId());
            if (msg.getQueueOffset() != before) {
                fail("putMessage(" + msg.getTopic() + "): queue offset " + msg.getQueueOffset() + ", expected "
                    + before);
            }
            JSONObject want = StoreSupport.describe(msg, msg.getPropertiesString(), msg.getProperties());
            long deadline = System.currentTimeMillis() + DISPATCH_WAIT_MS;
            while (store.getMaxOffsetInQueue(msg.getTopic(), msg.getQueueId()) <= before
                && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            GetMessageResult result = store.getMessage(StoreSupport.GROUP, msg.getTopic(), msg.getQueueId(), before,
                1, null);
            try {
                if (result.getStatus() != GetMessageStatus.FOUND || result.getMessageBufferList().size() != 1) {
                    fail("appended message not readable: " + result.getStatus());
                } else {
                    compare("appended " + msg.getTopic(), want, decode(result.getMessageBufferList().get(0)));
                }
            } finally {
                result.release();
            }
            appended.add(want);
        }
        for (JSONObject want : appended) {
            Set<Long> found = query(store, want.getString("topic"), "java-appended-" + want.getIntValue("flag"));
            if (!found.equals(Set.of(want.getLongValue("commitLogOffset")))) {
                fail("queryMessage of an appended key: " + found);
            }
        }
        System.out.println("OK putMessage " + appended.size() + " messages appended and read back");
        return appended;
    }
}
