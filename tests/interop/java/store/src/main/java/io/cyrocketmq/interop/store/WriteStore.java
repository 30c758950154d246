package io.cyrocketmq.interop.store;

import com.alibaba.fastjson.JSONObject;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.zip.Deflater;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageExtBatch;
import org.apache.rocketmq.common.message.MessageExtBrokerInner;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;
import org.apache.rocketmq.store.AppendMessageResult;
import org.apache.rocketmq.store.DefaultMessageStore;
import org.apache.rocketmq.store.PutMessageResult;
import org.apache.rocketmq.store.StoreCheckpoint;

/**
 * Writes messages with the official DefaultMessageStore and records what was
 * stored, for the Python store to recover and read.
 *
 * <pre>
 *   WriteStore --store DIR --commitlog-size N --cq-units N --count M --out FILE.json
 *              [--index-slots N --index-entries N] [--pause-ms MS] [--no-shutdown]
 * </pre>
 *
 * The M messages (deterministic) spread over three topics and seven queues:
 * tags (one non-BMP), keys, UNIQ_KEY and user properties, some with no
 * properties at all, unicode and binary bodies, one empty body, bodies of
 * 20-35 KB so several CommitLog files roll over, a 150-char topic (stored
 * as MESSAGE_VERSION_V2), an IPv6 born host, a
 * zlib-compressed body with the COMPRESSED flag, a PREPARED transaction
 * record (CommitLog only) and its COMMIT, and a five-message batch
 * (putMessages). Offsets, store timestamps and msgIds come from the
 * PutMessageResult. The expectation file (see StoreSupport) is written
 * before the store is closed.
 *
 * <p>{@code --pause-ms} sleeps after the first half, and for a moment
 * before the last TAIL puts, so the checkpoint's timestamps end up more than
 * the 3 s recovery margin past the first half: abnormal recovery then starts
 * in a later CommitLog file, not at the first. {@code --no-shutdown} ends the
 * process with Runtime.halt right after the last put and the expectation
 * file: the abort file stays, and the last TAIL records were never
 * dispatched (see holdDispatch), so the next opener must run abnormal
 * recovery and rebuild their ConsumeQueue units and index entries.
 */
public final class WriteStore {
    static final String[][] TOPICS = {{"JavaTopicA", "4"}, {"JavaTopicB", "2"}, {"JavaTopicC", "1"}};
    static final String[] TAGS = {"TagA", "TagB", "\u6807\u7b7e\ud83d\ude80", "tag.with-dots", "TagA"};
    static final InetSocketAddress BORN_HOST = StoreSupport.socketAddress(new byte[] {10, 0, 0, 9}, 52000);
    static final long BORN_BASE = 1_700_000_000_000L;
    static final int EMPTY_BODY = 3;
    static final int BORN_V6 = 10;
    static final int COMPRESSED = 17;
    static final int PREPARED = 19;
    static final int COMMITTED = 21;
    static final int LONG_TOPIC_MESSAGE = 23;
    static final int BATCH_SIZE = 5;
    /** Messages put last, right before the expectation file (and the halt). */
    static final int TAIL = 3;
    static final long CHECKPOINT_WAIT_MS = 10_000;
    static final long DISPATCH_WAIT_MS = 10_000;

    private final List<JSONObject> stored = new ArrayList<>();
    private final Random random = new Random(20250601L);
    private long preparedOffset = -1;

    private WriteStore() {
    }

    public static void main(String[] argv) {
        int code;
        try {
            code = new WriteStore().run(argv);
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("FAIL exception: " + t);
            code = 1;
        }
        System.out.flush();
        System.exit(code);
    }

    private int run(String[] argv) throws Exception {
        Set<String> valueNames = new TreeSet<>(StoreSupport.STORE_OPTIONS);
        valueNames.addAll(List.of("--count", "--out", "--pause-ms"));
        StoreSupport.Options options = new StoreSupport.Options(argv, valueNames, Set.of("--no-shutdown"));
        int count = Integer.parseInt(options.required("--count"));
        if (count <= COMMITTED + TAIL) {
            throw new IllegalArgumentException("--count must be above " + (COMMITTED + TAIL));
        }
        DefaultMessageStore store = StoreSupport.openStore(options);
        if (!store.load()) {
            System.out.println("FAIL load() returned false");
            return 1;
        }
        store.start();
        System.out.println("OK start");

        int half = count / 2;
        for (int n = 0; n < half; n++) {
            put(store, message(n));
        }
        putBatch(store, half);
        int pauseMs = options.intValue("--pause-ms", 0);
        if (pauseMs > 0) {
            Thread.sleep(pauseMs);
        }
        int tail = count - TAIL;
        int secondHalf = stored.size();
        for (int n = half; n < tail; n++) {
            put(store, message(n));
        }
        if (pauseMs > 0) {
            // The checkpoint records the second half before the last few puts.
            awaitCheckpoint(store, stored.get(secondHalf).getLongValue("storeTimestamp"));
        }
        if (options.flag("--no-shutdown")) {
            holdDispatch(store);
        }
        for (int n = tail; n < count; n++) {
            put(store, message(n));
        }
        StoreSupport.writeMessages(options.required("--out"), stored);
        System.out.println("OK put " + stored.size() + " messages, max physical offset " + store.getMaxPhyOffset());

        if (options.flag("--no-shutdown")) {
            System.out.println("OK halt without shutdown");
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }
        store.shutdown();
        System.out.println("OK shutdown");
        return 0;
    }

    /**
     * Park the dispatcher before the last puts: wait until everything so far
     * is in the ConsumeQueues and the index, then put a dispatcher in front
     * of the others that never returns. The tail records are then in the
     * CommitLog only, as after a crash between append and dispatch, and
     * recovery has to rebuild their units and index entries.
     */
    private static void holdDispatch(DefaultMessageStore store) throws InterruptedException {
        long deadline = System.currentTimeMillis() + DISPATCH_WAIT_MS;
        while (store.dispatchBehindBytes() > 0) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("dispatch still " + store.dispatchBehindBytes() + " bytes behind");
            }
            Thread.sleep(5);
        }
        CountDownLatch never = new CountDownLatch(1);
        store.getDispatcherList().addFirst(request -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private byte[] randomBytes(int size) {
        byte[] data = new byte[size];
        random.nextBytes(data);
        return data;
    }

    private static byte[] zlib(byte[] data) {
        Deflater deflater = new Deflater(5);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        while (!deflater.finished()) {
            out.write(chunk, 0, deflater.deflate(chunk));
        }
        deflater.end();
        return out.toByteArray();
    }

    private byte[] body(int n) {
        if (n == EMPTY_BODY) {
            return new byte[0];
        }
        if (n == COMPRESSED) {
            return zlib("compressed \u00e9\u00e8 ".repeat(400).getBytes(StandardCharsets.UTF_8));
        }
        if (n % 25 == 7) {
            return randomBytes(20_000 + random.nextInt(15_000));
        }
        if (n % 4 == 0) {
            return ("\u6d88\u606f #" + n + " \ud83d\ude80 h\u00e9llo ").repeat(1 + n % 9).getBytes(StandardCharsets.UTF_8);
        }
        return randomBytes(random.nextInt(1500));
    }

    private static void userProperties(Message msg, int n) {
        msg.setTags(TAGS[n % TAGS.length]);
        msg.setKeys("jk-" + n + " jgroup-" + n % 9);
        MessageAccessor.putProperty(msg, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
            String.format("%032X", 0xABCDEF000L + n));
        msg.putUserProperty("seq", Integer.toString(n));
        if (n % 3 == 0) {
            msg.putUserProperty("note", "\u00fcn\u00efc\u00f6d\u00e9 \u2713 " + n);
        }
    }

    private MessageExtBrokerInner message(int n) {
        String[] topic = TOPICS[n % TOPICS.length];
        MessageExtBrokerInner msg = new MessageExtBrokerInner();
        msg.setTopic(n == LONG_TOPIC_MESSAGE ? longTopic() : topic[0]);
        msg.setQueueId((n / TOPICS.length) % Integer.parseInt(topic[1]));
        msg.setBody(body(n));
        if (n % 13 != 5) {
            userProperties(msg, n);
        }
        msg.setFlag(n % 7);
        msg.setReconsumeTimes(n % 11 == 0 ? 3 : 0);
        msg.setBornTimestamp(BORN_BASE + n);
        msg.setBornHost(BORN_HOST);
        if (n == BORN_V6) {
            msg.setBornHost(StoreSupport.socketAddress(
                new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, 52000));
        }
        msg.setStoreHost(StoreSupport.STORE_HOST);
        if (n == COMPRESSED) {
            msg.setSysFlag(MessageSysFlag.COMPRESSED_FLAG);
        }
        if (n == PREPARED || n == COMMITTED) {
            MessageAccessor.putProperty(msg, MessageConst.PROPERTY_TRANSACTION_PREPARED, "true");
            MessageAccessor.putProperty(msg, MessageConst.PROPERTY_PRODUCER_GROUP, "JavaTxGroup");
            msg.setSysFlag(n == PREPARED
                ? MessageSysFlag.TRANSACTION_PREPARED_TYPE : MessageSysFlag.TRANSACTION_COMMIT_TYPE);
            if (n == COMMITTED && preparedOffset >= 0) {
                msg.setPreparedTransactionOffset(preparedOffset);
            }
        }
        msg.setPropertiesString(MessageDecoder.messageProperties2String(msg.getProperties()));
        msg.setTagsCode(MessageExtBrokerInner.tagsString2tagsCode(msg.getTags()));
        return msg;
    }

    /** A 150-char retry topic: over 127 bytes, so stored as MESSAGE_VERSION_V2. */
    static String longTopic() {
        StringBuilder topic = new StringBuilder("%RETRY%");
        for (int i = 0; topic.length() < 150; i++) {
            topic.append((char) ('a' + i % 26));
        }
        return topic.toString();
    }

    /**
     * Wait until the flush services put store times of at least {@code storeTimestamp}
     * in the checkpoint (CommitLog and ConsumeQueue alike), then write it to its file.
     * A loaded machine may take a while; a fixed sleep was not always enough.
     */
    private static void awaitCheckpoint(DefaultMessageStore store, long storeTimestamp) throws Exception {
        StoreCheckpoint checkpoint = store.getStoreCheckpoint();
        long deadline = System.currentTimeMillis() + CHECKPOINT_WAIT_MS;
        while (checkpoint.getPhysicMsgTimestamp() < storeTimestamp
            || checkpoint.getLogicsMsgTimestamp() < storeTimestamp) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("checkpoint did not reach store time " + storeTimestamp
                    + " within " + CHECKPOINT_WAIT_MS + " ms");
            }
            Thread.sleep(20);
        }
        checkpoint.flush();
    }

    private static void check(PutMessageResult put, String what) {
        if (put == null || !put.isOk()) {
            throw new IllegalStateException(what + ": " + (put == null ? "null" : put.getPutMessageStatus()));
        }
    }

    private void put(DefaultMessageStore store, MessageExtBrokerInner msg) {
        PutMessageResult put = store.putMessage(msg);
        check(put, "putMessage " + msg.getTopic());
        AppendMessageResult append = put.getAppendMessageResult();
        msg.setQueueOffset(append.getLogicsOffset());
        msg.setCommitLogOffset(append.getWroteOffset());
        msg.setStoreSize(append.getWroteBytes());
        msg.setStoreTimestamp(append.getStoreTimestamp());
        msg.setMsgId(append.getMsgId());
        if (MessageSysFlag.getTransactionValue(msg.getSysFlag()) == MessageSysFlag.TRANSACTION_PREPARED_TYPE) {
            preparedOffset = append.getWroteOffset();
        }
        stored.add(StoreSupport.describe(msg, msg.getPropertiesString(), msg.getProperties()));
    }

    /** A batch of BATCH_SIZE messages into JavaTopicB queue 1, as SEND_BATCH_MESSAGE stores it. */
    private void putBatch(DefaultMessageStore store, int base) throws Exception {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < BATCH_SIZE; i++) {
            int n = 10_000 + base + i;
            byte[] body = ("batch " + i + " \u00e9 ").repeat(1 + i * 7).getBytes(StandardCharsets.UTF_8);
            Message msg = new Message("JavaTopicB", body);
            userProperties(msg, n);
            msg.setFlag(i);
            messages.add(msg);
        }
        MessageExtBatch batch = new MessageExtBatch();
        batch.setTopic("JavaTopicB");
        batch.setQueueId(1);
        batch.setBody(MessageDecoder.encodeMessages(messages));
        batch.setBornTimestamp(BORN_BASE + 10_000);
        batch.setBornHost(BORN_HOST);
        batch.setStoreHost(StoreSupport.STORE_HOST);
        PutMessageResult put = store.putMessages(batch);
        check(put, "putMessages");
        AppendMessageResult append = put.getAppendMessageResult();
        String[] ids = append.getMsgId().split(",");
        if (ids.length != BATCH_SIZE || append.getMsgNum() != BATCH_SIZE) {
            throw new IllegalStateException("batch stored " + append.getMsgNum() + " messages: " + Arrays.toString(ids));
        }
        long end = append.getWroteOffset() + append.getWroteBytes();
        for (int i = 0; i < BATCH_SIZE; i++) {
            Message source = messages.get(i);
            long offset = MessageDecoder.decodeMessageId(ids[i]).getOffset();
            long next = i + 1 < BATCH_SIZE ? MessageDecoder.decodeMessageId(ids[i + 1]).getOffset() : end;
            MessageExt m = new MessageExt();
            m.setTopic(batch.getTopic());
            m.setQueueId(batch.getQueueId());
            m.setQueueOffset(append.getLogicsOffset() + i);
            m.setCommitLogOffset(offset);
            m.setStoreSize((int) (next - offset));
            m.setSysFlag(batch.getSysFlag());
            m.setFlag(source.getFlag());
            m.setBornTimestamp(batch.getBornTimestamp());
            m.setStoreTimestamp(append.getStoreTimestamp());
            m.setBornHost(batch.getBornHost());
            m.setStoreHost(batch.getStoreHost());
            m.setBody(source.getBody());
            m.setBodyCRC(crc(source.getBody()));
            m.setMsgId(ids[i]);
            stored.add(StoreSupport.describe(m, MessageDecoder.messageProperties2String(source.getProperties()),
                source.getProperties()));
        }
    }

    private static int crc(byte[] body) {
        return UtilAll.crc32(body);
    }
}
