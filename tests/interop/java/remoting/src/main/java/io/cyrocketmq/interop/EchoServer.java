package io.cyrocketmq.interop;

import io.netty.channel.ChannelHandlerContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.remoting.netty.NettyRemotingServer;
import org.apache.rocketmq.remoting.netty.NettyRequestProcessor;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * A NettyRemotingServer implementing the shared interop contract (see {@link Contract}).
 *
 * <pre>
 *   EchoServer --port N [--serialize JSON|ROCKETMQ] [--bind 127.0.0.1] [--threads 4]
 * </pre>
 *
 * Prints "READY port" on stdout once listening (port 0 picks a free port) and
 * runs until SIGTERM or until stdin reaches EOF. Codes other than 9001-9003
 * get rocketmq-remoting's own default answer (code 3, " request type N not
 * supported"). --serialize sets the JVM-wide serialize type, which is what
 * rocketmq-remoting uses for every reply, whatever type the request came in.
 * The first request of each (code, serialize type) pair is noted on stderr.
 */
public final class EchoServer {
    private final Object onewayLock = new Object();
    private final List<String> onewaySeqs = new ArrayList<>();
    private final Set<String> seenKinds = ConcurrentHashMap.newKeySet();

    private EchoServer() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = Contract.parseArgs(argv);
        String serialize = Contract.serializeName(args.getOrDefault("serialize", "JSON"));
        Contract.configureJvm(serialize);
        // Plain TCP only. The default "permissive" mode would try to build a
        // self-signed certificate at startup (needs BouncyCastle) and log an error.
        if (System.getProperty("tls.server.mode") == null) {
            System.setProperty("tls.server.mode", "disabled");
        }
        int port = Integer.parseInt(args.getOrDefault("port", "0"));
        String bind = args.getOrDefault("bind", "127.0.0.1");
        int threads = Integer.parseInt(args.getOrDefault("threads", "4"));

        NettyServerConfig config = new NettyServerConfig();
        config.setBindAddress(bind);
        config.setListenPort(port);
        NettyRemotingServer server = new NettyRemotingServer(config);
        new EchoServer().register(server, threads);
        server.start();

        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            server.shutdown();
        }, "echo-server-shutdown"));
        Thread stdinWatcher = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // ignore input; only EOF matters
                }
            } catch (IOException ignored) {
                // treat like EOF
            }
            stop.countDown();
        }, "echo-server-stdin");
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();

        System.out.println("READY " + server.localListenPort());
        System.out.flush();
        System.err.println("INFO EchoServer listening on " + bind + ":" + server.localListenPort()
            + ", replies serialized as " + RemotingCommand.getSerializeTypeConfigInThisServer());
        stop.await();
        System.exit(0); // runs the shutdown hook
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private void register(NettyRemotingServer server, int threads) {
        ExecutorService echoPool = Executors.newFixedThreadPool(Math.max(1, threads), named("echo-"));
        // 9002 and 9003 share one single thread so 9002 requests are recorded in
        // arrival order and a later 9003 sees every 9002 that arrived before it.
        ExecutorService onewayPool = Executors.newSingleThreadExecutor(named("oneway-"));
        server.registerProcessor(Contract.ECHO, processor(this::echo), echoPool);
        server.registerProcessor(Contract.ONEWAY_RECORD, processor(this::onewayRecord), onewayPool);
        server.registerProcessor(Contract.ONEWAY_STATS, processor(this::onewayStats), onewayPool);
        // No default processor: rocketmq-remoting answers other codes with
        // REQUEST_CODE_NOT_SUPPORTED by itself.
    }

    @FunctionalInterface
    private interface Handler {
        RemotingCommand handle(RemotingCommand request) throws Exception;
    }

    private NettyRequestProcessor processor(Handler handler) {
        return new NettyRequestProcessor() {
            @Override
            public RemotingCommand processRequest(ChannelHandlerContext ctx, RemotingCommand request)
                throws Exception {
                String kind = request.getCode() + "/" + request.getSerializeTypeCurrentRPC();
                if (seenKinds.add(kind)) {
                    System.err.println("INFO first request code " + request.getCode() + " serialize "
                        + request.getSerializeTypeCurrentRPC() + " language " + request.getLanguage()
                        + " version " + request.getVersion());
                }
                return handler.handle(request);
            }

            @Override
            public boolean rejectRequest() {
                return false;
            }
        };
    }

    private RemotingCommand echo(RemotingCommand request) {
        RemotingCommand response = RemotingCommand.createResponseCommand(Contract.SUCCESS, request.getRemark());
        if (request.getExtFields() != null) {
            response.setExtFields(new HashMap<>(request.getExtFields()));
        }
        response.setBody(request.getBody());
        return response;
    }

    private RemotingCommand onewayRecord(RemotingCommand request) {
        String seq = request.getExtFields() == null ? null : request.getExtFields().get("seq");
        synchronized (onewayLock) {
            onewaySeqs.add(seq == null ? "" : seq);
        }
        // Ignored by rocketmq-remoting for oneway requests; null would do as well.
        return null;
    }

    private RemotingCommand onewayStats(RemotingCommand request) {
        RemotingCommand response = RemotingCommand.createResponseCommand(Contract.SUCCESS, null);
        synchronized (onewayLock) {
            response.addExtField("onewayCount", Integer.toString(onewaySeqs.size()));
            response.addExtField("onewaySeqs", String.join(",", onewaySeqs));
        }
        return response;
    }
}
