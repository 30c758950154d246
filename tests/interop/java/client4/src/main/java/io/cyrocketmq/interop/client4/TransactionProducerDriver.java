package io.cyrocketmq.interop.client4;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * TransactionMQProducer (rocketmq-client 4.9.8 or 5.3.x): half messages, local
 * transactions and the broker's check-back.
 *
 * <pre>
 * TransactionProducerDriver --namesrv ADDR --topic T [--group G] [--run ID] [--tags TagA,TagB]
 *                           [--commit N] [--rollback N] [--unknown N]
 *                           [--check-answer even-commit|commit|rollback|unknown]
 *                           [--check-unknown-first K] [--client-poll-ms MS]
 *                           [--instance NAME] [--serialize JSON|ROCKETMQ]
 * </pre>
 *
 * Sends --commit + --rollback + --unknown messages (user properties u_run,
 * u_mode=transaction, u_index, u_text). The local transaction of message i
 * answers COMMIT_MESSAGE for the first --commit indexes, ROLLBACK_MESSAGE for
 * the next --rollback, UNKNOW for the rest. A check of a message is answered
 * UNKNOW for its first --check-unknown-first checks; after that a committed or
 * rolled-back message gets its local state again, and an UNKNOW one the
 * --check-answer: even-commit (default) commits even indexes and rolls odd ones
 * back; commit, rollback and unknown answer that for every index.
 *
 * <p>Prints one {"event":"sent",...} line per message (with "localState" and
 * the half's queue offset "halfQueueOffset"), then
 * {"event":"sent_all"}; one {"event":"check",...} line per check (its "answer",
 * the message's TRANSACTION_CHECK_TIMES as "checkTimes", this driver's count
 * as "checkNo"). Stays alive for the broker's checks until stdin reaches EOF,
 * then prints {@code OK txproducer}. --client-poll-ms shortens the route poll
 * and heartbeat intervals (a restarted broker learns of the producer sooner).
 */
public final class TransactionProducerDriver {
    private static final String NAME = "txproducer";
    private static final String MODE = "transaction";

    private TransactionProducerDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("TransactionProducerDriver", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        String group = driver.get("group", "cy_interop_tx_producer");
        String run = driver.get("run", Long.toString(System.currentTimeMillis()));
        String[] tags = driver.get("tags", "TagA").split(",");
        int commits = driver.getInt("commit", 0);
        int rollbacks = driver.getInt("rollback", 0);
        int unknowns = driver.getInt("unknown", 0);
        String checkAnswer = driver.get("check-answer", "even-commit");
        int unknownFirst = driver.getInt("check-unknown-first", 0);
        int pollMillis = driver.getInt("client-poll-ms", 0);
        if (!Arrays.asList("even-commit", "commit", "rollback", "unknown").contains(checkAnswer)) {
            driver.fail(NAME, "unknown --check-answer " + checkAnswer);
            driver.exit();
        }

        Listener listener = new Listener(commits, rollbacks, checkAnswer, unknownFirst);
        TransactionMQProducer producer = new TransactionMQProducer(group);
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName(driver.get("instance", "txproducer-" + ProcessHandle.current().pid()));
        producer.setSendMsgTimeout(10_000);
        if (pollMillis > 0) {
            producer.setPollNameServerInterval(pollMillis);
            producer.setHeartbeatBrokerInterval(pollMillis);
        }
        producer.setTransactionListener(listener);
        CountDownLatch eof = new CountDownLatch(1);
        Driver.onStdinEof(eof::countDown);
        producer.start();
        try {
            int total = commits + rollbacks + unknowns;
            for (int i = 0; i < total; i++) {
                Message msg = message(topic, run, i, tags[i % tags.length]);
                TransactionSendResult result = producer.sendMessageInTransaction(msg, null);
                report(driver, msg, i, result);
            }
            Map<String, Object> done = new LinkedHashMap<>();
            done.put("event", "sent_all");
            done.put("count", total);
            Driver.emitJson(done);
            eof.await();
        } catch (Exception e) {
            synchronized (driver) {
                driver.fail(NAME, e.toString());
            }
        } finally {
            producer.shutdown();
        }
        synchronized (driver) {
            if (driver.failures() == 0) {
                driver.ok(NAME);
            }
        }
        driver.exit();
    }

    private static Message message(String topic, String run, int index, String tag) {
        Message msg = new Message(topic, tag, Driver.body(run, MODE, index));
        msg.setKeys(Arrays.asList("key-" + run + "-" + MODE + "-" + index, "alt-" + index));
        msg.putUserProperty("u_run", run);
        msg.putUserProperty("u_mode", MODE);
        msg.putUserProperty("u_index", Integer.toString(index));
        msg.putUserProperty("u_text", "h\u00e9llo \u4e2d\u6587 a=b;c");
        return msg;
    }

    private static void report(Driver driver, Message msg, int index, TransactionSendResult result) {
        synchronized (driver) {
            driver.check(result.getSendStatus() == SendStatus.SEND_OK, NAME,
                "index " + index + ": status " + result.getSendStatus());
            driver.check(result.getMsgId() != null && result.getMsgId().equals(msg.getTransactionId()), NAME,
                "index " + index + ": msgId " + result.getMsgId() + " != transactionId " + msg.getTransactionId());
        }
        Map<String, Object> line = describe(msg, result.getMsgId());
        line.put("event", "sent");
        line.put("mode", MODE);
        line.put("index", index);
        line.put("localState", String.valueOf(result.getLocalTransactionState()));
        line.put("transactionId", result.getTransactionId());
        line.put("halfQueueOffset", result.getQueueOffset());
        Driver.emitJson(line);
    }

    /** The fields ProducerDriver prints of a sent message: only user properties in "props". */
    static Map<String, Object> describe(Message msg, String msgId) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", null);
        line.put("msgId", msgId);
        line.put("topic", msg.getTopic());
        line.put("body", Driver.hex(msg.getBody()));
        line.put("tags", msg.getTags());
        line.put("keys", msg.getKeys());
        Map<String, String> user = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : msg.getProperties().entrySet()) {
            String key = entry.getKey();
            // __transactionId__ is the client's own note, added after the send.
            if (!MessageConst.STRING_HASH_SET.contains(key) && !key.equals("__transactionId__")) {
                user.put(key, entry.getValue());
            }
        }
        line.put("props", user);
        return line;
    }

    /** Local transactions decided by index; checks answered as the class comment says. */
    private static final class Listener implements TransactionListener {
        private final int commits;
        private final int rollbacks;
        private final String checkAnswer;
        private final int unknownFirst;
        private final Map<String, Integer> checks = new ConcurrentHashMap<>();

        Listener(int commits, int rollbacks, String checkAnswer, int unknownFirst) {
            this.commits = commits;
            this.rollbacks = rollbacks;
            this.checkAnswer = checkAnswer;
            this.unknownFirst = unknownFirst;
        }

        private LocalTransactionState local(int index) {
            if (index < commits) {
                return LocalTransactionState.COMMIT_MESSAGE;
            }
            if (index < commits + rollbacks) {
                return LocalTransactionState.ROLLBACK_MESSAGE;
            }
            return LocalTransactionState.UNKNOW;
        }

        private static int indexOf(Message msg) {
            String index = msg.getUserProperty("u_index");
            return index == null ? -1 : Integer.parseInt(index);
        }

        @Override
        public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
            return local(indexOf(msg));
        }

        @Override
        public LocalTransactionState checkLocalTransaction(MessageExt msg) {
            int index = indexOf(msg);
            String msgId = msg.getTransactionId() != null ? msg.getTransactionId()
                : msg.getProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
            int checkNo = checks.merge(String.valueOf(msgId), 1, Integer::sum);
            LocalTransactionState local = local(index);
            LocalTransactionState answer;
            if (checkNo <= unknownFirst) {
                answer = LocalTransactionState.UNKNOW;
            } else if (local != LocalTransactionState.UNKNOW) {
                answer = local;
            } else if (checkAnswer.equals("commit")) {
                answer = LocalTransactionState.COMMIT_MESSAGE;
            } else if (checkAnswer.equals("rollback")) {
                answer = LocalTransactionState.ROLLBACK_MESSAGE;
            } else if (checkAnswer.equals("unknown")) {
                answer = LocalTransactionState.UNKNOW;
            } else {
                answer = index % 2 == 0 ? LocalTransactionState.COMMIT_MESSAGE
                    : LocalTransactionState.ROLLBACK_MESSAGE;
            }
            Map<String, Object> line = describe(msg, msgId);
            line.put("event", "check");
            line.put("index", index);
            line.put("local", String.valueOf(local));
            line.put("answer", String.valueOf(answer));
            line.put("checkNo", checkNo);
            line.put("checkTimes", msg.getProperty("TRANSACTION_CHECK_TIMES"));
            line.put("queueId", msg.getQueueId());
            line.put("queueOffset", msg.getQueueOffset());
            line.put("commitLogOffset", msg.getCommitLogOffset());
            line.put("offsetMsgId", msg.getMsgId());
            line.put("producerGroup", msg.getProperty(MessageConst.PROPERTY_PRODUCER_GROUP));
            Driver.emitJson(line);
            return answer;
        }
    }
}
