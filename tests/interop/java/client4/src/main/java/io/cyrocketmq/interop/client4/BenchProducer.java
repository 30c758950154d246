package io.cyrocketmq.interop.client4;

import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

/**
 * Produce load with DefaultMQProducer: N threads sending synchronously.
 *
 * <pre>
 * BenchProducer --namesrv ADDR --topic T [--threads 64] [--size 1024] [--seconds 20]
 *               [--warmup-seconds 3] [--count N] [--serialize JSON|ROCKETMQ]
 * </pre>
 *
 * With --count the threads share N messages and there is no warm-up; otherwise
 * they send for warm-up + seconds and only the last --seconds count. Prints a
 * progress line per second (like RocketMQ's benchmark Producer) and finally
 * {"event":"summary","tps":...,"p50_ms":...,"p99_ms":...,...}.
 */
public final class BenchProducer {
    private static final String NAME = "benchproducer";

    private static final AtomicReference<String> FIRST_ERROR = new AtomicReference<>("");

    private BenchProducer() {
    }

    /** Latencies (microseconds) of one thread's measured sends. */
    private static final class Recorder {
        private long[] micros = new long[1 << 14];
        private int size;

        void add(long value) {
            if (size == micros.length) {
                micros = Arrays.copyOf(micros, size * 2);
            }
            micros[size++] = value;
        }
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("BenchProducer", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        int threads = driver.getInt("threads", 64);
        int size = driver.getInt("size", 1024);
        long count = Long.parseLong(driver.get("count", "0"));
        int seconds = driver.getInt("seconds", 20);
        int warmup = count > 0 ? 0 : driver.getInt("warmup-seconds", 3);

        DefaultMQProducer producer = new DefaultMQProducer(driver.get("group", "cy_bench_producer"));
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("bench-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        producer.start();

        byte[] body = new byte[size];
        new Random(42).nextBytes(body);
        AtomicLong sent = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong rtTotalMicros = new AtomicLong();
        AtomicLong rtMaxMicros = new AtomicLong();
        AtomicLong remaining = new AtomicLong(count);
        AtomicBoolean measuring = new AtomicBoolean(warmup == 0);
        AtomicBoolean stop = new AtomicBoolean();
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        CountDownLatch finished = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Recorder recorder = new Recorder();
            recorders.add(recorder);
            Thread worker = new Thread(() -> {
                try {
                    sendLoop(producer, topic, body, count, remaining, stop, measuring, recorder,
                        sent, failed, rtTotalMicros, rtMaxMicros);
                } finally {
                    finished.countDown();
                }
            }, "bench-sender-" + t);
            workers.add(worker);
        }


        long begin = System.nanoTime();
        for (Thread worker : workers) {
            worker.start();
        }
        long measureStart = begin;
        long measuredAtStart = 0;
        SimpleDateFormat clock = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss,SSS");
        long lastSent = 0;
        long lastRt = 0;
        int tick = 0;
        long measureEnd = 0;
        long measuredAtEnd = 0;
        while (!finished.await(1, TimeUnit.SECONDS)) {
            tick++;
            long nowSent = sent.get();
            long nowRt = rtTotalMicros.get();
            long delta = nowSent - lastSent;
            Driver.emit(String.format(
                "Current Time: %s | Send TPS: %d | Max RT(ms): %.3f | Average RT(ms): %7.3f | Send Failed: %d",
                clock.format(new Date()), delta, rtMaxMicros.getAndSet(0) / 1000.0,
                delta == 0 ? 0.0 : (nowRt - lastRt) / 1000.0 / delta, failed.get()));
            lastSent = nowSent;
            lastRt = nowRt;
            if (count == 0 && tick == warmup && !measuring.get()) {
                measuring.set(true);
                measureStart = System.nanoTime();
                measuredAtStart = sent.get();
            }
            if (count == 0 && tick >= warmup + seconds) {
                measureEnd = System.nanoTime();
                measuredAtEnd = sent.get();
                stop.set(true);
                break;
            }
        }
        if (measureEnd == 0) {
            measureEnd = System.nanoTime();
            measuredAtEnd = sent.get();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        producer.shutdown();

        int total = 0;
        for (Recorder recorder : recorders) {
            total += recorder.size;
        }
        long[] all = new long[total];
        int at = 0;
        for (Recorder recorder : recorders) {
            System.arraycopy(recorder.micros, 0, all, at, recorder.size);
            at += recorder.size;
        }
        Arrays.sort(all);
        double elapsed = (measureEnd - measureStart) / 1e9;
        long measured = measuredAtEnd - measuredAtStart;
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("event", "summary");
        summary.put("threads", threads);
        summary.put("size", size);
        summary.put("sent", measured);
        summary.put("sent_total", sent.get());
        summary.put("failed", failed.get());
        summary.put("seconds", Math.round(elapsed * 1000) / 1000.0);
        summary.put("tps", Math.round(measured / elapsed));
        summary.put("avg_ms", total == 0 ? 0 : Math.round(Arrays.stream(all).average().orElse(0)) / 1000.0);
        summary.put("p50_ms", percentile(all, 0.50));
        summary.put("p99_ms", percentile(all, 0.99));
        summary.put("p999_ms", percentile(all, 0.999));
        summary.put("max_ms", total == 0 ? 0 : all[total - 1] / 1000.0);
        Driver.emitJson(summary);
        driver.check(failed.get() == 0, NAME, failed.get() + " sends failed, first: " + FIRST_ERROR.get());
        if (driver.failures() == 0) {
            driver.ok(NAME);
        }
        driver.exit();
    }

    private static void sendLoop(DefaultMQProducer producer, String topic, byte[] body, long count,
                                 AtomicLong remaining, AtomicBoolean stop, AtomicBoolean measuring,
                                 Recorder recorder, AtomicLong sent, AtomicLong failed,
                                 AtomicLong rtTotalMicros, AtomicLong rtMaxMicros) {
        while (!stop.get() && (count == 0 || remaining.getAndDecrement() > 0)) {
            Message msg = new Message(topic, "TagA", body);
            long start = System.nanoTime();
            try {
                SendResult result = producer.send(msg);
                long micros = (System.nanoTime() - start) / 1000;
                if (result.getSendStatus() != SendStatus.SEND_OK) {
                    failed.incrementAndGet();
                    continue;
                }
                sent.incrementAndGet();
                rtTotalMicros.addAndGet(micros);
                rtMaxMicros.accumulateAndGet(micros, Math::max);
                if (measuring.get()) {
                    recorder.add(micros);
                }
            } catch (Exception e) {
                if (failed.incrementAndGet() == 1) {
                    FIRST_ERROR.set(e.toString());
                }
            }
        }
    }

    private static double percentile(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }
}
