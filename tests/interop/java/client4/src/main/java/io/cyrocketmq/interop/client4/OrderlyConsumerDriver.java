package io.cyrocketmq.interop.client4;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.impl.consumer.ProcessQueue;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * DefaultMQPushConsumer with a MessageListenerOrderly (rocketmq-client 4.9.8 or 5.3.x),
 * clustering, CONSUME_FROM_FIRST_OFFSET: the client locks each queue it is given on
 * the broker (LOCK_BATCH_MQ) and consumes a queue only while it holds the lock.
 *
 * <pre>
 * OrderlyConsumerDriver --namesrv ADDR --topic T [--group G] [--instance NAME] [--subscribe EXPR]
 *                       [--expect N] [--timeout-ms MS] [--consume-delay-ms MS]
 *                       [--rebalance-interval-ms MS] [--serialize JSON|ROCKETMQ]
 * </pre>
 *
 * Prints {"event":"started","clientId":...} once running, {"event":"assigned","queues":[...]}
 * whenever the set of queues this instance holds (pulls, and holds the lock of)
 * changes, one {"event":"recv",...} line per delivery (Received) and a
 * {"event":"summary",...} line at the end. Each delivery is one message
 * (consumeMessageBatchMaxSize 1); --consume-delay-ms makes each take that long.
 * --rebalance-interval-ms sets rocketmq.client.rebalance.waitInterval (20 s
 * upstream): a queue whose lock another member still held is retried that much
 * later. Stops when N distinct messages arrived (--expect N, N > 0), when stdin
 * reaches EOF, or at the timeout (a FAIL only when --expect was not reached).
 */
public final class OrderlyConsumerDriver {
    private static final String NAME = "orderlyconsumer";
    private static final long ASSIGNMENT_POLL_MILLIS = 50;

    private OrderlyConsumerDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("OrderlyConsumerDriver", args);
        String rebalanceInterval = driver.get("rebalance-interval-ms", null);
        if (rebalanceInterval != null) {
            // Read once by RebalanceService's static initialiser: set it before start().
            System.setProperty("rocketmq.client.rebalance.waitInterval", rebalanceInterval);
        }
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        String group = driver.get("group", "cy_interop_orderly");
        String expression = driver.get("subscribe", "*");
        int expect = driver.getInt("expect", 0);
        long timeoutMillis = Long.parseLong(driver.get("timeout-ms", "60000"));
        long consumeDelayMillis = Long.parseLong(driver.get("consume-delay-ms", "0"));

        Received received = new Received();
        CountDownLatch stop = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName(driver.get("instance", "orderly-" + ProcessHandle.current().pid()));
        // CLUSTERING (the default; MessageModel moved package in 5.x) is what makes
        // an orderly consumer lock its queues on the broker.
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setConsumeMessageBatchMaxSize(1);
        consumer.setPersistConsumerOffsetInterval(1000);
        consumer.subscribe(topic, expression);
        consumer.registerMessageListener((MessageListenerOrderly) (msgs, context) -> {
            for (MessageExt msg : msgs) {
                if (received.record(msg) >= expect && expect > 0) {
                    stop.countDown();
                }
            }
            if (consumeDelayMillis > 0) {
                try {
                    Thread.sleep(consumeDelayMillis);
                } catch (InterruptedException e) {
                    // Shutdown interrupts the consume threads. The message was consumed; the
                    // flag is not restored so that, like a real listener, the next one (if the
                    // queue is still locked) also takes its time: a restored flag would let
                    // the thread race through the cached messages before the unlock.
                }
            }
            return ConsumeOrderlyStatus.SUCCESS;
        });
        consumer.start();
        Map<String, Object> started = new LinkedHashMap<>();
        started.put("event", "started");
        started.put("clientId", consumer.buildMQClientId());
        Driver.emitJson(started);
        Driver.onStdinEof(stop::countDown);

        long deadline = System.currentTimeMillis() + timeoutMillis;
        List<Integer> assigned = null;
        while (!stop.await(ASSIGNMENT_POLL_MILLIS, TimeUnit.MILLISECONDS)
            && System.currentTimeMillis() < deadline) {
            List<Integer> now = lockedQueues(consumer, topic);
            if (!now.equals(assigned)) {
                assigned = now;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("event", "assigned");
                line.put("queues", now);
                line.put("at", System.currentTimeMillis());
                Driver.emitJson(line);
            }
        }
        // Unlocks every queue on the broker (ConsumeMessageOrderlyService#shutdown).
        consumer.shutdown();
        Driver.emitJson(received.summary());
        if (expect > 0 && received.distinct() < expect) {
            driver.fail(NAME, "received " + received.distinct() + " of " + expect + " messages");
        } else {
            driver.ok(NAME);
        }
        driver.exit();
    }

    /** Queue ids of {@code topic} this instance pulls and holds the broker lock of, sorted. */
    private static List<Integer> lockedQueues(DefaultMQPushConsumer consumer, String topic) {
        List<Integer> ids = new ArrayList<>();
        Map<MessageQueue, ProcessQueue> table =
            consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable();
        for (Map.Entry<MessageQueue, ProcessQueue> entry : table.entrySet()) {
            ProcessQueue queue = entry.getValue();
            if (entry.getKey().getTopic().equals(topic) && !queue.isDropped() && queue.isLocked()) {
                ids.add(entry.getKey().getQueueId());
            }
        }
        ids.sort(null);
        return ids;
    }
}
