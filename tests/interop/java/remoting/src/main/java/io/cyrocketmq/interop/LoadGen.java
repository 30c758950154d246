package io.cyrocketmq.interop;

import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.rocketmq.remoting.ChannelEventListener;
import org.apache.rocketmq.remoting.InvokeCallback;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.netty.ResponseFuture;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;

/**
 * Closed-loop load generator: NettyRemotingClient#invokeAsync of code 9001 (ECHO)
 * with exactly N requests in flight.
 *
 * <pre>
 *   LoadGen --addr HOST:PORT --serialize JSON|ROCKETMQ --inflight N --seconds S
 *           [--warmup S2 (2)] [--body-size B (0)] [--connections C (1)] [--timeout-ms T (3000)]
 *           [--flush-consolidation true|false (true)]
 * </pre>
 *
 * Each request carries 3 ext fields (topic, queueId, seq) and a B-byte body.
 * Prints one JSON line on stdout:
 * {"inflight":N,"serialize":"JSON","seconds":S,"requests":R,"rps":...,"p50_us":...,
 *  "p99_us":...,"p999_us":...,"max_us":...,"errors":E,"connections":C,"body_size":B,
 *  "flush_consolidation":true}
 * requests counts successful (code 0) responses to requests sent during the measured
 * window; errors counts failures (timeouts, send failures, non-zero codes) of those
 * requests. Latencies are kept in a log-linear histogram (relative error below 0.2%;
 * max is exact).
 */
public final class LoadGen {
    /** Per-thread latency histograms, merged at the end. */
    private static final ConcurrentLinkedQueue<Histogram> HISTOGRAMS = new ConcurrentLinkedQueue<>();
    private static final ThreadLocal<Histogram> LOCAL = ThreadLocal.withInitial(() -> {
        Histogram h = new Histogram();
        HISTOGRAMS.add(h);
        return h;
    });

    private LoadGen() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = Contract.parseArgs(argv);
        String serialize = Contract.serializeName(args.getOrDefault("serialize", "JSON"));
        Contract.configureJvm(serialize);
        String addr = Contract.required(args, "addr");
        int inflight = Integer.parseInt(Contract.required(args, "inflight"));
        double seconds = Double.parseDouble(Contract.required(args, "seconds"));
        double warmup = Double.parseDouble(args.getOrDefault("warmup", "2"));
        int bodySize = Integer.parseInt(args.getOrDefault("body-size", "0"));
        int connections = Integer.parseInt(args.getOrDefault("connections", "1"));
        long timeoutMs = Long.parseLong(args.getOrDefault("timeout-ms", "3000"));
        boolean consolidate = Boolean.parseBoolean(args.getOrDefault("flush-consolidation", "true"));
        if (inflight < 1 || seconds <= 0 || warmup < 0 || bodySize < 0 || connections < 1) {
            throw new IllegalArgumentException("bad arguments");
        }
        SerializeType type = SerializeType.valueOf(serialize);
        if (RemotingCommand.getSerializeTypeConfigInThisServer() != type) {
            throw new IllegalStateException("JVM serialize type is "
                + RemotingCommand.getSerializeTypeConfigInThisServer());
        }

        NettyRemotingClient[] clients = new NettyRemotingClient[connections];
        FlushConsolidator[] consolidators = new FlushConsolidator[connections];
        for (int i = 0; i < connections; i++) {
            NettyClientConfig cfg = new NettyClientConfig();
            // Each NettyRemotingClient holds one connection per address, served by
            // one selector thread. Run the codec and the callbacks on that thread:
            // a completion then sends the next request without any thread hop.
            cfg.setDisableNettyWorkerGroup(true);
            cfg.setDisableCallbackExecutor(true);
            cfg.setClientAsyncSemaphoreValue(Math.max(65535, inflight * 2));
            consolidators[i] = consolidate ? new FlushConsolidator() : null;
            clients[i] = new NettyRemotingClient(cfg, consolidators[i]);
            clients[i].start();
        }

        byte[] body = bodySize > 0 ? new byte[bodySize] : null;
        if (body != null) {
            for (int i = 0; i < body.length; i++) {
                body[i] = (byte) (i % 251);
            }
        }

        // Connect every client (and check the server answers) before the clock starts.
        for (NettyRemotingClient c : clients) {
            RemotingCommand probe = RemotingCommand.createRequestCommand(Contract.ECHO, null);
            probe.setSerializeTypeCurrentRPC(type);
            try {
                RemotingCommand r = c.invokeSync(addr, probe, Math.max(timeoutMs, 5000));
                if (r == null || r.getCode() != Contract.SUCCESS) {
                    throw new IllegalStateException("probe answered " + r);
                }
            } catch (Exception e) {
                System.err.println("ERROR LoadGen: server " + addr + " is not usable: " + e);
                System.exit(2);
            }
        }

        // The connect event reaches the listener asynchronously; wait for it.
        for (FlushConsolidator fc : consolidators) {
            if (fc != null && !fc.installed.await(5, TimeUnit.SECONDS)) {
                System.err.println("WARN LoadGen: flush consolidation not installed");
            }
        }

        long start = System.nanoTime();
        Runner runner = new Runner(clients, addr, type, body, timeoutMs,
            start + (long) (warmup * 1e9), start + (long) ((warmup + seconds) * 1e9));
        for (int slot = 0; slot < inflight; slot++) {
            runner.send(slot);
        }
        // Each of the N slots releases one permit when it retires (first completion
        // after the end of the measured window); wait for all of them.
        long drainMs = (long) ((warmup + seconds) * 1000) + timeoutMs + 5000;
        boolean drained = runner.retired.tryAcquire(inflight, drainMs, TimeUnit.MILLISECONDS);
        if (!drained) {
            System.err.println("WARN LoadGen: in-flight requests did not drain");
        }
        runner.retry.shutdownNow();
        LongAdder ok = runner.ok;
        LongAdder errors = runner.errors;

        Histogram total = new Histogram();
        for (Histogram h : HISTOGRAMS) {
            total.add(h);
        }
        long requests = ok.sum();
        StringBuilder out = new StringBuilder();
        out.append('{')
            .append("\"inflight\":").append(inflight)
            .append(",\"serialize\":\"").append(serialize).append('"')
            .append(",\"seconds\":").append(num(seconds))
            .append(",\"requests\":").append(requests)
            .append(",\"rps\":").append(fmt(requests / seconds))
            .append(",\"p50_us\":").append(fmt(total.percentile(50.0) / 1e3))
            .append(",\"p99_us\":").append(fmt(total.percentile(99.0) / 1e3))
            .append(",\"p999_us\":").append(fmt(total.percentile(99.9) / 1e3))
            .append(",\"max_us\":").append(fmt(total.max / 1e3))
            .append(",\"errors\":").append(errors.sum())
            .append(",\"connections\":").append(connections)
            .append(",\"body_size\":").append(bodySize)
            .append(",\"flush_consolidation\":").append(consolidate)
            .append('}');
        System.out.println(out);
        System.out.flush();
        // NettyRemotingClient#shutdown can take seconds (service thread joins);
        // exiting closes the sockets just as well.
        System.exit(0);
    }

    /**
     * Adds netty's FlushConsolidationHandler in front of the stock client pipeline
     * (--flush-consolidation, default true): the requests sent from the callbacks of
     * one read batch leave in one write syscall instead of one each. The stock
     * NettyRemotingClient flushes every request, which caps a single connection at
     * roughly 40k req/s on a 2-core machine even against a trivial server; pass
     * --flush-consolidation false to measure with the stock behaviour.
     */
    static final class FlushConsolidator implements ChannelEventListener {
        final CountDownLatch installed = new CountDownLatch(1);

        @Override
        public void onChannelConnect(String remoteAddr, Channel channel) {
            channel.pipeline().addFirst("flushConsolidation", new FlushConsolidationHandler(256, true));
            installed.countDown();
        }

        @Override
        public void onChannelClose(String remoteAddr, Channel channel) {
        }

        @Override
        public void onChannelException(String remoteAddr, Channel channel) {
        }

        @Override
        public void onChannelIdle(String remoteAddr, Channel channel) {
        }

        @Override
        public void onChannelActive(String remoteAddr, Channel channel) {
        }
    }

    /**
     * Keeps exactly N requests in flight: slot i sends a request, and its completion
     * (on the connection's I/O thread) sends the slot's next request, until the end
     * of the measured window; then the slot retires. Failures are retried after
     * 10 ms from a separate thread, so a dead server cannot cause a hot loop.
     */
    static final class Runner {
        final NettyRemotingClient[] clients;
        final String addr;
        final SerializeType type;
        final byte[] body;
        final long timeoutMs;
        final long measureStart;
        final long measureEnd;
        final Semaphore retired = new Semaphore(0);
        final LongAdder ok = new LongAdder();
        final LongAdder errors = new LongAdder();
        final AtomicLong seq = new AtomicLong();
        final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "loadgen-retry");
            t.setDaemon(true);
            return t;
        });

        Runner(NettyRemotingClient[] clients, String addr, SerializeType type, byte[] body, long timeoutMs,
            long measureStart, long measureEnd) {
            this.clients = clients;
            this.addr = addr;
            this.type = type;
            this.body = body;
            this.timeoutMs = timeoutMs;
            this.measureStart = measureStart;
            this.measureEnd = measureEnd;
        }

        void send(final int slot) {
            final long sentAt = System.nanoTime();
            if (sentAt >= measureEnd) {
                retired.release();
                return;
            }
            final boolean measured = sentAt >= measureStart;
            RemotingCommand req = RemotingCommand.createRequestCommand(Contract.ECHO, null);
            req.setSerializeTypeCurrentRPC(type);
            HashMap<String, String> ext = new HashMap<>(8);
            ext.put("topic", "TopicTest");
            ext.put("queueId", "1");
            ext.put("seq", Long.toString(seq.getAndIncrement()));
            req.setExtFields(ext);
            req.setBody(body);
            final AtomicBoolean once = new AtomicBoolean();
            InvokeCallback cb = new InvokeCallback() {
                @Override
                public void operationComplete(ResponseFuture responseFuture) {
                }

                @Override
                public void operationSucceed(RemotingCommand response) {
                    if (!once.compareAndSet(false, true)) {
                        return;
                    }
                    long latency = System.nanoTime() - sentAt;
                    boolean good = response != null && response.getCode() == Contract.SUCCESS;
                    if (measured) {
                        if (good) {
                            LOCAL.get().record(latency);
                            ok.increment();
                        } else {
                            errors.increment();
                        }
                    }
                    if (good) {
                        send(slot);
                    } else {
                        later(slot);
                    }
                }

                @Override
                public void operationFail(Throwable throwable) {
                    if (!once.compareAndSet(false, true)) {
                        return;
                    }
                    if (measured) {
                        errors.increment();
                    }
                    later(slot);
                }
            };
            try {
                clients[slot % clients.length].invokeAsync(addr, req, timeoutMs, cb);
            } catch (Exception e) {
                cb.operationFail(e);
            }
        }

        private void later(int slot) {
            try {
                retry.schedule(() -> send(slot), 10, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                retired.release();
            }
        }
    }

    private static String fmt(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "0";
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /**
     * A small log-linear histogram of non-negative longs (nanoseconds): values below
     * 1024 are exact; above, each power of two is split into 512 sub-buckets. Not
     * thread-safe; one per recording thread.
     */
    static final class Histogram {
        private static final int SUB = 512;
        private static final int BUCKETS = 1024 + 54 * SUB;
        final long[] counts = new long[BUCKETS];
        long total;
        long max;

        void record(long v) {
            if (v < 0) {
                v = 0;
            }
            counts[index(v)]++;
            total++;
            if (v > max) {
                max = v;
            }
        }

        void add(Histogram o) {
            for (int i = 0; i < BUCKETS; i++) {
                counts[i] += o.counts[i];
            }
            total += o.total;
            max = Math.max(max, o.max);
        }

        static int index(long v) {
            if (v < 1024) {
                return (int) v;
            }
            int msb = 63 - Long.numberOfLeadingZeros(v);
            int shift = msb - 9;
            return 1024 + (shift - 1) * SUB + (int) ((v >>> shift) - SUB);
        }

        /** Highest value that maps to bucket {@code i}. */
        static long highest(int i) {
            if (i < 1024) {
                return i;
            }
            int shift = (i - 1024) / SUB + 1;
            long m = (i - 1024) % SUB + SUB;
            return ((m + 1) << shift) - 1;
        }

        /** The value at percentile p (0..100), capped at the exact max. */
        double percentile(double p) {
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(p / 100.0 * total);
            if (rank < 1) {
                rank = 1;
            }
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return Math.min(highest(i), max);
                }
            }
            return max;
        }
    }
}
