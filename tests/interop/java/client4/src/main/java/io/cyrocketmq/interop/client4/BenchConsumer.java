package io.cyrocketmq.interop.client4;

import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Catch-up consume of a backlog with DefaultMQPushConsumer (client defaults,
 * CONSUME_FROM_FIRST_OFFSET, a fresh group).
 *
 * <pre>
 * BenchConsumer --namesrv ADDR --topic T --group G --expect N [--timeout-ms MS]
 * </pre>
 *
 * Prints a progress line per second and finally
 * {"event":"summary","received":...,"seconds":...,"tps":...,"mb_per_s":...},
 * timed from consumer start to the N-th message.
 */
public final class BenchConsumer {
    private static final String NAME = "benchconsumer";

    private BenchConsumer() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("BenchConsumer", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        String group = driver.require("group");
        long expect = Long.parseLong(driver.require("expect"));
        long timeoutMillis = Long.parseLong(driver.get("timeout-ms", "600000"));

        AtomicLong received = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong doneAt = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName("benchconsumer-" + ProcessHandle.current().pid());
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
            long size = 0;
            for (MessageExt msg : msgs) {
                size += msg.getBody().length;
            }
            bytes.addAndGet(size);
            if (received.addAndGet(msgs.size()) >= expect && doneAt.compareAndSet(0, System.nanoTime())) {
                done.countDown();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        long begin = System.nanoTime();
        consumer.start();
        SimpleDateFormat clock = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss,SSS");
        long deadline = System.currentTimeMillis() + timeoutMillis;
        long last = 0;
        while (!done.await(1, TimeUnit.SECONDS) && System.currentTimeMillis() < deadline) {
            long now = received.get();
            Driver.emit(String.format("Current Time: %s | Consume TPS: %d | Received: %d of %d",
                clock.format(new Date()), now - last, now, expect));
            last = now;
        }
        long end = doneAt.get() != 0 ? doneAt.get() : System.nanoTime();
        consumer.shutdown();
        double elapsed = (end - begin) / 1e9;
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("event", "summary");
        summary.put("received", received.get());
        summary.put("seconds", Math.round(elapsed * 1000) / 1000.0);
        summary.put("tps", Math.round(received.get() / elapsed));
        summary.put("mb_per_s", Math.round(bytes.get() / elapsed / 1e4) / 100.0);
        Driver.emitJson(summary);
        driver.check(received.get() >= expect, NAME, "received " + received.get() + " of " + expect);
        if (driver.failures() == 0) {
            driver.ok(NAME);
        }
        driver.exit();
    }
}
