package io.cyrocketmq.interop.client4;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageAccessor;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageId;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * DefaultMQProducer (rocketmq-client 4.9.8 or 5.3.x): sync, async, oneway and batch sends.
 *
 * <pre>
 * ProducerDriver --namesrv ADDR --topic T [--group G] [--count N] [--modes sync,async,oneway]
 *                [--tags TagA,TagB] [--run ID] [--prop k=v ...] [--serialize JSON|ROCKETMQ]
 *                [--create-topic QUEUES] [--delay-level L] [--order-keys K] [--body-size B]
 *                [--deliver-after-ms MS] [--keep-going true]
 * </pre>
 *
 * Sends N messages per mode ("batch": all N in one send). Bodies are padded to
 * --body-size bytes. Tags cycle through --tags; every message carries
 * two keys and the user properties u_run, u_mode, u_index, u_text plus every
 * --prop. Prints one JSON line per message ({"event":"sent",...}), then
 * {@code OK producer} or FAIL lines; exit 0 only without failures.
 *
 * <p>--order-keys K (sync sends only): message i gets the sharding key
 * {@code "key-" + (i mod K)}, kept as user property u_shard, and goes through a
 * MessageQueueSelector to queue {@code floorMod(shardingKey.hashCode(), queues)}: the
 * messages of one key land on one queue in send order.
 *
 * <p>--keep-going true (sync sends): a send that throws prints
 * {@code {"event":"send_failed","index":I,"error":...}} and the driver goes on with
 * the next message; such sends are not FAIL lines. For brokers dying mid-run: the
 * 4.x client fails a request in flight on a connection the peer closed only at its
 * timeout, and then has no time left to retry it.
 */
public final class ProducerDriver {
    private static final String NAME = "producer";
    private static final long ASYNC_WAIT_SECONDS = 30;
    private static final long ROUTE_WAIT_MILLIS = 20_000;

    private static int delayLevel;
    private static int bodySize;
    private static long deliverAfterMillis;
    private static int orderKeys;
    private static boolean keepGoing;

    /** The queue of a sharding key (the select argument): hash modulo the queue count. */
    private static final MessageQueueSelector SHARD_SELECTOR =
        (queues, msg, shardingKey) -> queues.get(Math.floorMod(shardingKey.hashCode(), queues.size()));

    private ProducerDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("ProducerDriver", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        String group = driver.get("group", "cy_interop_producer");
        int count = driver.getInt("count", 10);
        delayLevel = driver.getInt("delay-level", 0);
        bodySize = driver.getInt("body-size", 0);
        deliverAfterMillis = Long.parseLong(driver.get("deliver-after-ms", "0"));
        List<String> modes = Arrays.asList(driver.get("modes", "sync,async,oneway").split(","));
        orderKeys = driver.getInt("order-keys", 0);
        keepGoing = Boolean.parseBoolean(driver.get("keep-going", "false"));
        if (orderKeys > 0 && !modes.equals(List.of("sync"))) {
            driver.fail(NAME, "--order-keys keeps the order of sync sends only: use --modes sync");
            driver.exit();
        }
        String[] tags = driver.get("tags", "TagA").split(",");
        String run = driver.get("run", Long.toString(System.currentTimeMillis()));
        Map<String, String> extraProps = driver.props();

        DefaultMQProducer producer = new DefaultMQProducer(group);
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName(driver.get("instance", "producer-" + ProcessHandle.current().pid()));
        producer.setSendMsgTimeout(10_000);
        producer.start();
        try {
            int createQueues = driver.getInt("create-topic", 0);
            if (createQueues > 0) {
                createTopic(driver, producer, topic, createQueues);
            }
            for (String mode : modes) {
                List<Message> messages = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    messages.add(message(topic, run, mode, i, tags[i % tags.length], extraProps));
                }
                switch (mode) {
                    case "sync": sendSync(driver, producer, messages); break;
                    case "async": sendAsync(driver, producer, messages); break;
                    case "oneway": sendOneway(driver, producer, messages); break;
                    case "batch": sendBatch(driver, producer, messages); break;
                    default: driver.fail(NAME, "unknown mode " + mode);
                }
            }
        } catch (Exception e) {
            driver.fail(NAME, e.toString());
        } finally {
            producer.shutdown();
        }
        if (driver.failures() == 0) {
            driver.ok(NAME);
        }
        driver.exit();
    }

    private static Message message(String topic, String run, String mode, int index, String tag,
                                   Map<String, String> extraProps) {
        byte[] body = Driver.body(run, mode, index);
        if (bodySize > body.length) {
            // Larger than compressMsgBodyOverHowmuch (4 KiB): the client compresses it.
            byte[] padded = Arrays.copyOf(body, bodySize);
            for (int i = body.length; i < bodySize; i++) {
                padded[i] = (byte) ('a' + (i + index) % 26);
            }
            body = padded;
        }
        Message msg = new Message(topic, tag, body);
        if (delayLevel > 0) {
            msg.setDelayTimeLevel(delayLevel);
        }
        msg.setKeys(Arrays.asList("key-" + run + "-" + mode + "-" + index, "alt-" + index));
        msg.putUserProperty("u_run", run);
        msg.putUserProperty("u_mode", mode);
        msg.putUserProperty("u_index", Integer.toString(index));
        msg.putUserProperty("u_text", "h\u00e9llo \u4e2d\u6587 a=b;c");
        if (orderKeys > 0) {
            msg.putUserProperty("u_shard", "key-" + (index % orderKeys));
        }
        for (Map.Entry<String, String> entry : extraProps.entrySet()) {
            msg.putUserProperty(entry.getKey(), entry.getValue());
        }
        return msg;
    }

    /** MQAdmin createTopic through TBW102's route, then wait until the topic is routable. */
    private static void createTopic(Driver driver, DefaultMQProducer producer, String topic, int queues)
        throws Exception {
        createTopicAnyVersion(producer, "TBW102", topic, queues);
        long deadline = System.currentTimeMillis() + ROUTE_WAIT_MILLIS;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                List<MessageQueue> routed = producer.fetchPublishMessageQueues(topic);
                if (routed.size() >= queues) {
                    driver.ok("create_topic");
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("topic " + topic + " not routable after createTopic: " + last);
    }

    /** 4.x has createTopic(key, topic, queueNum); 5.x only the overload with an attributes map. */
    private static void createTopicAnyVersion(DefaultMQProducer producer, String key, String topic, int queues)
        throws Exception {
        for (Method method : DefaultMQProducer.class.getMethods()) {
            Class<?>[] types = method.getParameterTypes();
            if (!method.getName().equals("createTopic")) {
                continue;
            }
            if (types.length == 3 && types[2] == int.class) {
                method.invoke(producer, key, topic, queues);
                return;
            }
            if (types.length == 4 && types[2] == int.class && types[3] == Map.class) {
                method.invoke(producer, key, topic, queues, new HashMap<String, String>());
                return;
            }
        }
        throw new IllegalStateException("no createTopic(key, topic, queueNum[, attributes]) in this client");
    }

    /**
     * A 5.x timer message (Message#setDeliverTimeMs exists in 5.x only), due
     * --deliver-after-ms from now: stamped just before its send, not when built,
     * so slow earlier sends do not eat into a later message's delay (a first
     * send's own route lookup and connect still do).
     */
    private static void stampDeliverTime(Message msg) {
        if (deliverAfterMillis > 0) {
            MessageAccessor.putProperty(msg, "TIMER_DELIVER_MS",
                Long.toString(System.currentTimeMillis() + deliverAfterMillis));
        }
    }

    private static void sendSync(Driver driver, DefaultMQProducer producer, List<Message> messages)
        throws Exception {
        for (Message msg : messages) {
            stampDeliverTime(msg);
            SendResult result;
            try {
                result = orderKeys > 0
                    ? producer.send(msg, SHARD_SELECTOR, msg.getUserProperty("u_shard"))
                    : producer.send(msg);
            } catch (Exception e) {
                if (!keepGoing) {
                    throw e;
                }
                Map<String, Object> line = new TreeMap<>();
                line.put("event", "send_failed");
                line.put("index", Integer.parseInt(msg.getUserProperty("u_index")));
                line.put("error", e.toString());
                Driver.emitJson(line);
                continue;
            }
            report(driver, producer, "sync", msg, result);
        }
    }

    /** One send of every message; the result names each message's id, comma-separated. */
    private static void sendBatch(Driver driver, DefaultMQProducer producer, List<Message> messages)
        throws Exception {
        messages.forEach(ProducerDriver::stampDeliverTime);
        SendResult result = producer.send(messages);
        String what = NAME + " batch";
        driver.check(result.getSendStatus() == SendStatus.SEND_OK, what, "status " + result.getSendStatus());
        String[] ids = result.getMsgId().split(",");
        driver.check(ids.length == messages.size(), what, ids.length + " ids for " + messages.size());
        MessageQueue queue = result.getMessageQueue();
        for (int i = 0; i < messages.size() && i < ids.length; i++) {
            Message msg = messages.get(i);
            String uniq = MessageClientIDSetter.getUniqID(msg);
            driver.check(ids[i].equals(uniq), what, "id " + ids[i] + " != UNIQ_KEY " + uniq);
            Map<String, Object> line = sent("batch", msg, uniq);
            line.put("brokerName", queue.getBrokerName());
            line.put("queueId", queue.getQueueId());
            line.put("queueOffset", result.getQueueOffset() + i);
            Driver.emitJson(line);
        }
    }

    private static void sendAsync(Driver driver, DefaultMQProducer producer, List<Message> messages)
        throws Exception {
        CountDownLatch done = new CountDownLatch(messages.size());
        for (Message msg : messages) {
            stampDeliverTime(msg);
            producer.send(msg, new SendCallback() {
                @Override
                public void onSuccess(SendResult result) {
                    try {
                        report(driver, producer, "async", msg, result);
                    } finally {
                        done.countDown();
                    }
                }

                @Override
                public void onException(Throwable e) {
                    synchronized (driver) {
                        driver.fail(NAME, "async send: " + e);
                    }
                    done.countDown();
                }
            });
        }
        if (!done.await(ASYNC_WAIT_SECONDS, TimeUnit.SECONDS)) {
            driver.fail(NAME, "async sends not all completed within " + ASYNC_WAIT_SECONDS + " s");
        }
    }

    private static void sendOneway(Driver driver, DefaultMQProducer producer, List<Message> messages)
        throws Exception {
        for (Message msg : messages) {
            stampDeliverTime(msg);
            producer.sendOneway(msg);
            Driver.emitJson(sent("oneway", msg, MessageClientIDSetter.getUniqID(msg)));
        }
    }

    private static void report(Driver driver, DefaultMQProducer producer, String mode, Message msg,
                               SendResult result) {
        String what = NAME + " " + mode;
        synchronized (driver) {
            driver.check(result.getSendStatus() == SendStatus.SEND_OK, what,
                "status " + result.getSendStatus());
            String uniq = MessageClientIDSetter.getUniqID(msg);
            driver.check(uniq != null && uniq.equals(result.getMsgId()), what,
                "msgId " + result.getMsgId() + " != UNIQ_KEY " + uniq);
            MessageQueue queue = result.getMessageQueue();
            driver.check(queue != null && queue.getTopic().equals(msg.getTopic()) && queue.getQueueId() >= 0,
                what, "bad queue " + queue);
            driver.check(result.getQueueOffset() >= 0, what, "queueOffset " + result.getQueueOffset());
            checkOffsetMsgId(driver, producer, what, result);
        }
        Map<String, Object> line = sent(mode, msg, result.getMsgId());
        line.put("offsetMsgId", result.getOffsetMsgId());
        line.put("brokerName", result.getMessageQueue().getBrokerName());
        line.put("queueId", result.getMessageQueue().getQueueId());
        line.put("queueOffset", result.getQueueOffset());
        Driver.emitJson(line);
    }

    /** offsetMsgId must decode to the broker's store address and a commit log offset. */
    private static void checkOffsetMsgId(Driver driver, DefaultMQProducer producer, String what,
                                         SendResult result) {
        String offsetMsgId = result.getOffsetMsgId();
        if (!driver.check(offsetMsgId != null && !offsetMsgId.isEmpty(), what, "no offsetMsgId")) {
            return;
        }
        try {
            MessageId id = MessageDecoder.decodeMessageId(offsetMsgId);
            String brokerAddr = producer.getDefaultMQProducerImpl().getmQClientFactory()
                .findBrokerAddressInPublish(result.getMessageQueue().getBrokerName());
            String stored = id.getAddress().toString();
            String port = ":" + brokerAddr.substring(brokerAddr.lastIndexOf(':') + 1);
            driver.check(id.getOffset() >= 0 && stored.endsWith(port), what,
                "offsetMsgId " + offsetMsgId + " decodes to " + stored + "@" + id.getOffset()
                    + ", broker is " + brokerAddr);
        } catch (Exception e) {
            driver.fail(what, "offsetMsgId " + offsetMsgId + " does not decode: " + e);
        }
    }

    private static Map<String, Object> sent(String mode, Message msg, String msgId) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "sent");
        line.put("mode", mode);
        line.put("msgId", msgId);
        line.put("topic", msg.getTopic());
        line.put("body", Driver.hex(msg.getBody()));
        line.put("tags", msg.getTags());
        line.put("keys", msg.getKeys());
        Map<String, String> user = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : msg.getProperties().entrySet()) {
            if (!isSystem(entry.getKey())) {
                user.put(entry.getKey(), entry.getValue());
            }
        }
        line.put("props", user);
        return line;
    }

    private static boolean isSystem(String key) {
        return MessageConst.STRING_HASH_SET.contains(key);
    }
}
