package io.cyrocketmq.interop.apache;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.rocketmq.broker.BrokerController;
import org.apache.rocketmq.broker.BrokerPathConfigHelper;
import org.apache.rocketmq.common.BrokerConfig;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.namesrv.NamesrvConfig;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.common.topic.TopicValidator;
import org.apache.rocketmq.namesrv.NamesrvController;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.store.config.MessageStoreConfig;

/**
 * Apache RocketMQ's own NameServer and broker (the Maven Central jars) in one JVM.
 *
 * <pre>
 * ApacheCluster --namesrv-port N --broker-port M --store DIR [--ha-port H] [--broker-conf k=v ...]
 * ApacheCluster --namesrv HOST:PORT --broker-port M --store DIR [--ha-port H] [--broker-conf k=v ...]
 * </pre>
 *
 * Prints {@code READY namesrv=127.0.0.1:N broker=127.0.0.1:M} on stdout once the
 * NameServer serves a route that names this broker, or {@code FAIL start: <exception>}
 * and exit code 1 when it cannot start (a port taken, say). With {@code --namesrv} no
 * NameServer starts here: the broker registers with the given one (a slave, say,
 * with {@code --broker-conf brokerId=1 --broker-conf brokerRole=SLAVE}) and is
 * READY once that registration returned. Exits when stdin reaches
 * EOF or on SIGTERM. The broker also listens on M-2 (the 4.x "VIP channel",
 * fastListenPort) and on the HA port (default M+1); the caller must keep those
 * free. Everything else goes to stderr (rmq.logback.xml / logback.xml).
 *
 * <p>On JDK 9+ the store unmaps its files through reflection into java.base, so
 * run the JVM with {@code --add-opens java.base/java.nio=ALL-UNNAMED
 * --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
 * --add-opens java.base/sun.nio.ch=ALL-UNNAMED}. Without them the cluster
 * still serves, but the store's shutdown is cut short (logged on stderr).
 */
public final class ApacheCluster {
    private static final long READY_TIMEOUT_MS = 60_000;

    private ApacheCluster() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable e) {
            // The Netty and store threads are not daemons: without this a failed start
            // (a port taken, say) would leave a JVM that never prints READY nor exits.
            // On stdout too, so callers can tell a taken port (and retry) from other failures.
            System.out.println("FAIL start: " + e);
            System.out.flush();
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        int namesrvPort = -1;
        String externalNamesrv = null;
        int brokerPort = -1;
        int haPort = -1;
        String store = null;
        Properties brokerConf = new Properties();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (i + 1 >= args.length) {
                usage("missing value for " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--namesrv-port": namesrvPort = Integer.parseInt(value); break;
                case "--namesrv": externalNamesrv = value; break;
                case "--broker-port": brokerPort = Integer.parseInt(value); break;
                case "--ha-port": haPort = Integer.parseInt(value); break;
                case "--store": store = value; break;
                case "--broker-conf": {
                    int eq = value.indexOf('=');
                    if (eq <= 0) {
                        usage("--broker-conf wants key=value, got " + value);
                    }
                    brokerConf.setProperty(value.substring(0, eq), value.substring(eq + 1));
                    break;
                }
                default: usage("unknown option " + arg);
            }
        }
        if ((namesrvPort <= 0) == (externalNamesrv == null) || brokerPort <= 2 || store == null) {
            usage("one of --namesrv-port and --namesrv, --broker-port and --store are required");
        }
        if (haPort <= 0) {
            haPort = brokerPort + 1;
        }
        // NamesrvStartup and BrokerStartup both do this before anything else. Every
        // RemotingCommand carries this version (read once, on first use; 0 if unset).
        // The NameServer handles a REGISTER_BROKER of version < V3_0_11 the legacy way,
        // reading the body as a bare TopicConfigSerializeWrapper: the broker's
        // RegisterBrokerBody then yields no topics, so no topic (not even TBW102) gets
        // a route and clients fail with "No route info of this topic".
        System.setProperty(RemotingCommand.REMOTING_VERSION_KEY, Integer.toString(MQVersion.CURRENT_VERSION));
        File root = new File(store).getAbsoluteFile();
        if (!root.isDirectory() && !root.mkdirs()) {
            throw new IOException("cannot create " + root);
        }
        System.setProperty(MixAll.ROCKETMQ_HOME_PROPERTY, root.getPath());

        NamesrvController namesrv = null;
        String namesrvAddr = externalNamesrv;
        if (externalNamesrv == null) {
            NamesrvConfig namesrvConfig = new NamesrvConfig();
            namesrvConfig.setRocketmqHome(root.getPath());
            namesrvConfig.setKvConfigPath(new File(root, "namesrv/kvConfig.json").getPath());
            namesrvConfig.setConfigStorePath(new File(root, "namesrv/namesrv.properties").getPath());
            NettyServerConfig namesrvNetty = new NettyServerConfig();
            namesrvNetty.setListenPort(namesrvPort);
            namesrv = new NamesrvController(namesrvConfig, namesrvNetty);
            if (!namesrv.initialize()) {
                throw new IllegalStateException("NamesrvController.initialize() failed");
            }
            namesrvAddr = "127.0.0.1:" + namesrvPort;
        }
        BrokerConfig brokerConfig = new BrokerConfig();
        brokerConfig.setRocketmqHome(root.getPath());
        brokerConfig.setNamesrvAddr(namesrvAddr);
        brokerConfig.setBrokerIP1("127.0.0.1");
        brokerConfig.setBrokerIP2("127.0.0.1");
        brokerConfig.setBrokerClusterName("DefaultCluster");
        brokerConfig.setBrokerName("broker-a");
        brokerConfig.setBrokerId(MixAll.MASTER_ID);
        brokerConfig.setAutoCreateTopicEnable(true);
        brokerConfig.setAutoCreateSubscriptionGroup(true);
        NettyServerConfig brokerNetty = new NettyServerConfig();
        brokerNetty.setListenPort(brokerPort);
        NettyClientConfig brokerClient = new NettyClientConfig();
        MessageStoreConfig storeConfig = new MessageStoreConfig();
        File storeRoot = new File(root, "store");
        storeConfig.setStorePathRootDir(storeRoot.getPath());
        storeConfig.setStorePathCommitLog(new File(storeRoot, "commitlog").getPath());
        storeConfig.setHaListenPort(haPort);
        storeConfig.setMappedFileSizeCommitLog(64 * 1024 * 1024);
        storeConfig.setMappedFileSizeConsumeQueue(30_000 * 20);
        storeConfig.setMaxHashSlotNum(50_000);
        storeConfig.setMaxIndexNum(200_000);
        // Applied last so that the caller can override any of the above.
        MixAll.properties2Object(brokerConf, brokerConfig);
        MixAll.properties2Object(brokerConf, brokerNetty);
        MixAll.properties2Object(brokerConf, brokerClient);
        MixAll.properties2Object(brokerConf, storeConfig);
        BrokerPathConfigHelper.setBrokerConfigPath(new File(root, "broker.properties").getPath());

        BrokerController broker = new BrokerController(brokerConfig, brokerNetty, brokerClient, storeConfig);
        if (!broker.initialize()) {
            if (namesrv != null) {
                namesrv.shutdown();
            }
            throw new IllegalStateException("BrokerController.initialize() failed");
        }

        AtomicBoolean stopped = new AtomicBoolean();
        NamesrvController ownNamesrv = namesrv;
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                try {
                    broker.shutdown();
                } catch (Throwable e) {
                    // Typically InaccessibleObjectException from MappedFile.clean when
                    // the JVM lacks --add-opens java.base/java.nio (see class comment).
                    System.err.println("ApacheCluster: broker shutdown failed: " + e);
                }
                try {
                    if (ownNamesrv != null) {
                        ownNamesrv.shutdown();
                    }
                } catch (Throwable e) {
                    System.err.println("ApacheCluster: namesrv shutdown failed: " + e);
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "ApacheClusterShutdown"));

        if (namesrv != null) {
            namesrv.start();
        }
        // BrokerController.start() registers with every NameServer before it returns.
        broker.start();
        String brokerAddr = brokerConfig.getBrokerIP1() + ":" + brokerNetty.getListenPort();
        if (namesrv != null) {
            waitRegistered(namesrv, brokerConfig, brokerAddr);
        }
        System.out.println("READY namesrv=" + namesrvAddr + " broker=" + brokerAddr);
        System.out.flush();

        // Run until stdin closes (the parent went away or asked us to stop).
        InputStream in = System.in;
        byte[] sink = new byte[256];
        try {
            while (in.read(sink) >= 0) {
                // Input is ignored; only EOF matters.
            }
        } catch (IOException ignored) {
            // Treated like EOF.
        }
        stop.run();
        System.exit(0);
    }

    /**
     * Wait until the NameServer lists this broker as the master of its broker name
     * and serves a route for the broker's topics: TBW102 when auto-creation is on
     * (clients need it to send to a new topic), else the broker-name topic, which
     * every broker registers.
     */
    private static void waitRegistered(NamesrvController namesrv, BrokerConfig config, String brokerAddr)
        throws InterruptedException {
        String topic = config.isAutoCreateTopicEnable()
            ? TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC : config.getBrokerName();
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            ClusterInfo info = namesrv.getRouteInfoManager().getAllClusterInfo();
            BrokerData data = info.getBrokerAddrTable().get(config.getBrokerName());
            if (data != null && brokerAddr.equals(data.getBrokerAddrs().get(MixAll.MASTER_ID))) {
                TopicRouteData route = namesrv.getRouteInfoManager().pickupTopicRouteData(topic);
                if (route != null && !route.getQueueDatas().isEmpty()) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("broker " + brokerAddr + " did not register (with a route for "
            + topic + ") within "
            + READY_TIMEOUT_MS + " ms");
    }

    private static void usage(String why) {
        System.err.println("ApacheCluster: " + why);
        System.err.println("usage: ApacheCluster (--namesrv-port N | --namesrv HOST:PORT) --broker-port M"
            + " --store DIR [--ha-port H] [--broker-conf key=value ...]");
        System.exit(2);
    }
}
