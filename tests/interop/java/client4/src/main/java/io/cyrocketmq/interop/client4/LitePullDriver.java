package io.cyrocketmq.interop.client4;

import java.util.List;

import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * DefaultLitePullConsumer (rocketmq-client 4.9.8): subscribe, then poll until
 * --expect distinct messages arrived or --timeout-ms passed.
 *
 * <pre>
 * LitePullDriver --namesrv ADDR --topic T --expect N [--group G]
 *                [--subscribe TAGEXPR | --sql SQL92EXPR]
 *                [--timeout-ms MS] [--serialize JSON|ROCKETMQ]
 * </pre>
 *
 * Prints one {"event":"recv",...} line per message, a summary line, then
 * {@code OK litepull} or a FAIL line.
 */
public final class LitePullDriver {
    private static final String NAME = "litepull";
    private static final long POLL_MILLIS = 500;

    private LitePullDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("LitePullDriver", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        String group = driver.get("group", "cy_interop_litepull");
        int expect = Integer.parseInt(driver.require("expect"));
        long timeoutMillis = Long.parseLong(driver.get("timeout-ms", "60000"));

        DefaultLitePullConsumer consumer = new DefaultLitePullConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName(driver.get("instance", "litepull-" + ProcessHandle.current().pid()));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setAutoCommit(true);
        String sql = driver.get("sql", null);
        if (sql != null) {
            consumer.subscribe(topic, MessageSelector.bySql(sql));
        } else {
            consumer.subscribe(topic, driver.get("subscribe", "*"));
        }
        try {
            consumer.start();
        } catch (MQClientException e) {
            driver.startFailed(NAME, e.getResponseCode(), e.getErrorMessage());
        }
        Received received = new Received();
        try {
            long deadline = System.currentTimeMillis() + timeoutMillis;
            while (received.distinct() < expect && System.currentTimeMillis() < deadline) {
                List<MessageExt> batch = consumer.poll(POLL_MILLIS);
                for (MessageExt msg : batch) {
                    received.record(msg);
                }
            }
            consumer.commitSync();
        } catch (Exception e) {
            driver.fail(NAME, e.toString());
        } finally {
            consumer.shutdown();
        }
        Driver.emitJson(received.summary());
        if (received.distinct() < expect) {
            driver.fail(NAME, "received " + received.distinct() + " of " + expect + " messages");
        } else if (driver.failures() == 0) {
            driver.ok(NAME);
        }
        driver.exit();
    }
}
