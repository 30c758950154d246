package io.cyrocketmq.interop.client4;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * DefaultMQPushConsumer (rocketmq-client 4.9.8 or 5.3.x), clustering, CONSUME_FROM_FIRST_OFFSET.
 *
 * <pre>
 * PushConsumerDriver --namesrv ADDR --topic T [--group G] [--instance NAME]
 *                    [--subscribe TAGEXPR | --sql SQL92EXPR]
 *                    [--expect N] [--timeout-ms MS] [--serialize JSON|ROCKETMQ]
 *                    [--fail-index I ...] [--max-reconsume N]
 * </pre>
 *
 * Prints {"event":"started"} once running, {"event":"assigned","queues":[...]}
 * whenever the set of queues this instance holds changes, one {"event":"recv",...}
 * line per delivery, and a {"event":"summary",...} line at the end. Stops when N
 * distinct messages arrived (--expect N, N > 0), when stdin reaches EOF, or at
 * the timeout (a FAIL only when --expect was not reached). Messages whose user
 * property u_index is a --fail-index are answered RECONSUME_LATER every time.
 */
public final class PushConsumerDriver {
    private static final String NAME = "pushconsumer";
    private static final long ASSIGNMENT_POLL_MILLIS = 100;

    private PushConsumerDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("PushConsumerDriver", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        String group = driver.get("group", "cy_interop_push");
        String expression = driver.get("subscribe", "*");
        int expect = driver.getInt("expect", 0);
        long timeoutMillis = Long.parseLong(driver.get("timeout-ms", "60000"));

        Received received = new Received();
        CountDownLatch stop = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName(driver.get("instance", "push-" + ProcessHandle.current().pid()));
        // CLUSTERING is the default message model. Not naming MessageModel keeps this
        // source compiling against 4.x and 5.x, where the class moved package.
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPersistConsumerOffsetInterval(1000);
        String sql = driver.get("sql", null);
        if (sql != null) {
            consumer.subscribe(topic, MessageSelector.bySql(sql));
        } else {
            consumer.subscribe(topic, expression);
        }
        Set<String> failIndexes = new HashSet<>(driver.getAll("fail-index"));
        int maxReconsume = driver.getInt("max-reconsume", -1);
        if (maxReconsume >= 0) {
            consumer.setMaxReconsumeTimes(maxReconsume);
        }
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
            boolean fail = false;
            for (MessageExt msg : msgs) {
                if (received.record(msg) >= expect && expect > 0) {
                    stop.countDown();
                }
                fail |= failIndexes.contains(msg.getUserProperty("u_index"));
            }
            // --fail-index: those messages always fail, so they go retry, then DLQ.
            return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        try {
            consumer.start();
        } catch (MQClientException e) {
            // For example a SQL92 subscription the broker refuses (CHECK_CLIENT_CONFIG).
            driver.startFailed(NAME, e.getResponseCode(), e.getErrorMessage());
        }
        Map<String, Object> started = new LinkedHashMap<>();
        started.put("event", "started");
        started.put("clientId", consumer.buildMQClientId());
        Driver.emitJson(started);
        Driver.onStdinEof(stop::countDown);

        long deadline = System.currentTimeMillis() + timeoutMillis;
        List<Integer> assigned = null;
        while (!stop.await(ASSIGNMENT_POLL_MILLIS, TimeUnit.MILLISECONDS)
            && System.currentTimeMillis() < deadline) {
            List<Integer> now = assignment(consumer, topic);
            if (!now.equals(assigned)) {
                assigned = now;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("event", "assigned");
                line.put("queues", now);
                Driver.emitJson(line);
            }
        }
        consumer.shutdown();
        Driver.emitJson(received.summary());
        if (expect > 0 && received.distinct() < expect) {
            driver.fail(NAME, "received " + received.distinct() + " of " + expect + " messages");
        } else {
            driver.ok(NAME);
        }
        driver.exit();
    }

    /** Queue ids of {@code topic} this instance currently pulls, sorted. */
    private static List<Integer> assignment(DefaultMQPushConsumer consumer, String topic) {
        List<Integer> ids = new ArrayList<>();
        Map<MessageQueue, ProcessQueue> table =
            consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable();
        for (Map.Entry<MessageQueue, ProcessQueue> entry : table.entrySet()) {
            if (entry.getKey().getTopic().equals(topic) && !entry.getValue().isDropped()) {
                ids.add(entry.getKey().getQueueId());
            }
        }
        ids.sort(null);
        return ids;
    }
}
