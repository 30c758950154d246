package io.cyrocketmq.interop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.protocol.DataVersion;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RemotingSerializable;
import org.apache.rocketmq.remoting.protocol.RequestCode;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.apache.rocketmq.remoting.protocol.SerializeType;
import org.apache.rocketmq.remoting.protocol.body.ClusterInfo;
import org.apache.rocketmq.remoting.protocol.body.KVTable;
import org.apache.rocketmq.remoting.protocol.body.RegisterBrokerBody;
import org.apache.rocketmq.remoting.protocol.body.TopicConfigAndMappingSerializeWrapper;
import org.apache.rocketmq.remoting.protocol.body.TopicList;
import org.apache.rocketmq.remoting.protocol.header.namesrv.AddWritePermOfBrokerRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.AddWritePermOfBrokerResponseHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.GetKVConfigRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.GetKVConfigResponseHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.GetKVListByNamespaceRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.GetRouteInfoRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.PutKVConfigRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.QueryDataVersionRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.QueryDataVersionResponseHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.RegisterBrokerRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.RegisterBrokerResponseHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.UnRegisterBrokerRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.WipeWritePermOfBrokerRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.namesrv.WipeWritePermOfBrokerResponseHeader;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;

/**
 * Plays a broker and an admin tool against a NameServer with the official
 * rocketmq-remoting classes: registers brokers (plain and compressed bodies,
 * CRC as BrokerOuterAPI computes it), reads routes with a new and an old
 * request version, cluster info, topic list, KV config, write permission and
 * unregistration.
 *
 * <pre>
 *   NamesrvDriver --namesrv HOST:PORT [--serialize JSON|ROCKETMQ]
 * </pre>
 *
 * Prints "OK name" per passed scenario; on the first failure "FAIL name: reason"
 * and exit 1. Exits 0 when every scenario passed.
 */
public final class NamesrvDriver {
    private static final long TIMEOUT_MS = 5000;
    /** MQVersion.Version.V4_5_2: before V4_9_4, Java NameServers answer routes in fastjson's own dialect. */
    private static final int OLD_CLIENT_VERSION = 317;

    static final String CLUSTER_J = "JCluster";
    static final String CLUSTER_K = "KCluster";
    static final String BROKER_J = "broker-j";
    static final String BROKER_K = "broker-k";
    static final String J_MASTER = "127.0.0.1:30911";
    static final String J_SLAVE = "127.0.0.1:30921";
    static final String K_MASTER = "127.0.0.1:40911";

    private final NettyRemotingClient client;
    private final String addr;
    private final SerializeType serializeType;
    private final DataVersion jVersion = new DataVersion();
    private TopicRouteData newRoute;

    private NamesrvDriver(NettyRemotingClient client, String addr, SerializeType serializeType) {
        this.client = client;
        this.addr = addr;
        this.serializeType = serializeType;
        this.jVersion.setCounter(new AtomicLong(3));
        this.jVersion.setTimestamp(1700000000000L);
    }

    private static final class CheckFailed extends Exception {
        private static final long serialVersionUID = 1L;

        CheckFailed(String message) {
            super(message);
        }
    }

    @FunctionalInterface
    private interface Scenario {
        void run() throws Exception;
    }

    public static void main(String[] argv) {
        Map<String, String> args = Contract.parseArgs(argv);
        String serialize = Contract.serializeName(args.getOrDefault("serialize", "JSON"));
        // Before anything loads RemotingCommand (it reads the property once).
        Contract.configureJvm(serialize);
        String addr = Contract.required(args, "namesrv");
        NettyRemotingClient client = new NettyRemotingClient(new NettyClientConfig());
        client.start();
        int rc = new NamesrvDriver(client, addr, SerializeType.valueOf(serialize)).runAll();
        System.out.flush();
        System.exit(rc);
    }

    private int runAll() {
        Map<String, Scenario> scenarios = new LinkedHashMap<>();
        scenarios.put("register_master", this::registerMaster);
        scenarios.put("register_slave", this::registerSlave);
        scenarios.put("register_compressed", this::registerCompressed);
        scenarios.put("route_new_version", this::routeNewVersion);
        scenarios.put("route_old_version", this::routeOldVersion);
        scenarios.put("route_missing", this::routeMissing);
        scenarios.put("query_data_version", this::queryDataVersion);
        scenarios.put("cluster_info", this::clusterInfo);
        scenarios.put("topic_list", this::topicList);
        scenarios.put("kv_config", this::kvConfig);
        scenarios.put("write_perm", this::writePerm);
        scenarios.put("unregister", this::unregister);
        for (Map.Entry<String, Scenario> s : scenarios.entrySet()) {
            try {
                s.getValue().run();
            } catch (CheckFailed e) {
                return fail(s.getKey(), e.getMessage());
            } catch (Throwable e) {
                return fail(s.getKey(), e.toString().replace('\n', ' '));
            }
            System.out.println("OK " + s.getKey());
            System.out.flush();
        }
        return 0;
    }

    private static int fail(String name, String reason) {
        System.out.println("FAIL " + name + ": " + reason);
        System.out.flush();
        return 1;
    }

    // ------------------------------------------------------------------ helpers

    private RemotingCommand sync(int code, CommandCustomHeader header, byte[] body) throws Exception {
        RemotingCommand request = RemotingCommand.createRequestCommand(code, header);
        request.setSerializeTypeCurrentRPC(serializeType);
        request.setBody(body);
        return sync(request);
    }

    private RemotingCommand sync(RemotingCommand request) throws Exception {
        RemotingCommand response = client.invokeSync(addr, request, TIMEOUT_MS);
        expect(response != null, "no response");
        return response;
    }

    private static void expect(boolean cond, String message) throws CheckFailed {
        if (!cond) {
            throw new CheckFailed(message);
        }
    }

    private static void expectEqual(Object expected, Object got, String what) throws CheckFailed {
        expect(expected == null ? got == null : expected.equals(got),
            what + ": expected " + expected + " got " + got);
    }

    private static void expectCode(RemotingCommand response, int code) throws CheckFailed {
        expect(response.getCode() == code, "expected response code " + code + ", got "
            + response.getCode() + " (remark " + Util.javaLiteral(response.getRemark()) + ")");
    }

    private static RegisterBrokerBody body(DataVersion version, TopicConfig... topics) {
        ConcurrentMap<String, TopicConfig> table = new ConcurrentHashMap<>();
        for (TopicConfig topic : topics) {
            table.put(topic.getTopicName(), topic);
        }
        TopicConfigAndMappingSerializeWrapper wrapper = new TopicConfigAndMappingSerializeWrapper();
        wrapper.setTopicConfigTable(table);
        wrapper.setDataVersion(version);
        RegisterBrokerBody body = new RegisterBrokerBody();
        body.setTopicConfigSerializeWrapper(wrapper);
        body.setFilterServerList(new ArrayList<>());
        return body;
    }

    /** REGISTER_BROKER the way BrokerOuterAPI#registerBrokerAll builds it. */
    private RegisterBrokerResponseHeader register(String cluster, String brokerName, long brokerId,
        String brokerAddr, String haAddr, RegisterBrokerBody body, boolean compressed) throws Exception {
        RegisterBrokerRequestHeader header = new RegisterBrokerRequestHeader();
        header.setBrokerAddr(brokerAddr);
        header.setBrokerId(brokerId);
        header.setBrokerName(brokerName);
        header.setClusterName(cluster);
        header.setHaServerAddr(haAddr);
        header.setEnableActingMaster(false);
        header.setCompressed(compressed);
        header.setHeartbeatTimeoutMillis(60_000L);
        byte[] encoded = body.encode(compressed);
        header.setBodyCrc32(UtilAll.crc32(encoded));
        RemotingCommand response = sync(RequestCode.REGISTER_BROKER, header, encoded);
        expectCode(response, ResponseCode.SUCCESS);
        return response.decodeCommandCustomHeader(RegisterBrokerResponseHeader.class);
    }

    private RemotingCommand route(String topic, Integer version) throws Exception {
        GetRouteInfoRequestHeader header = new GetRouteInfoRequestHeader();
        header.setTopic(topic);
        RemotingCommand request = RemotingCommand.createRequestCommand(
            RequestCode.GET_ROUTEINFO_BY_TOPIC, header);
        request.setSerializeTypeCurrentRPC(serializeType);
        if (version != null) {
            request.setVersion(version);
        }
        return sync(request);
    }

    private static BrokerData brokerData(TopicRouteData route, String name) throws CheckFailed {
        for (BrokerData data : route.getBrokerDatas()) {
            if (name.equals(data.getBrokerName())) {
                return data;
            }
        }
        throw new CheckFailed("no BrokerData for " + name + " in " + route);
    }

    private static QueueData queueData(TopicRouteData route, String name) throws CheckFailed {
        for (QueueData data : route.getQueueDatas()) {
            if (name.equals(data.getBrokerName())) {
                return data;
            }
        }
        throw new CheckFailed("no QueueData for " + name + " in " + route);
    }

    private static void expectQueue(QueueData queue, int read, int write, int perm, int sysFlag)
        throws CheckFailed {
        expectEqual(read, queue.getReadQueueNums(), queue.getBrokerName() + " readQueueNums");
        expectEqual(write, queue.getWriteQueueNums(), queue.getBrokerName() + " writeQueueNums");
        expectEqual(perm, queue.getPerm(), queue.getBrokerName() + " perm");
        expectEqual(sysFlag, queue.getTopicSysFlag(), queue.getBrokerName() + " topicSysFlag");
    }

    private void checkRoute(TopicRouteData route) throws CheckFailed {
        expectEqual(2, route.getBrokerDatas().size(), "brokerDatas size");
        expectEqual(2, route.getQueueDatas().size(), "queueDatas size");
        BrokerData j = brokerData(route, BROKER_J);
        expectEqual(CLUSTER_J, j.getCluster(), "broker-j cluster");
        Map<Long, String> jAddrs = new HashMap<>();
        jAddrs.put(0L, J_MASTER);
        jAddrs.put(1L, J_SLAVE);
        expectEqual(jAddrs, j.getBrokerAddrs(), "broker-j brokerAddrs");
        expect(!j.isEnableActingMaster(), "broker-j enableActingMaster");
        BrokerData k = brokerData(route, BROKER_K);
        expectEqual(CLUSTER_K, k.getCluster(), "broker-k cluster");
        expectEqual(Collections.singletonMap(0L, K_MASTER), k.getBrokerAddrs(), "broker-k brokerAddrs");
        expectQueue(queueData(route, BROKER_J), 8, 6, 6, 0);
        expectQueue(queueData(route, BROKER_K), 4, 4, 6, 0);
        expect(route.getFilterServerTable() != null && route.getFilterServerTable().isEmpty(),
            "filterServerTable: " + route.getFilterServerTable());
        expectEqual(null, route.getOrderTopicConf(), "orderTopicConf");
    }

    // ---------------------------------------------------------------- scenarios

    private void registerMaster() throws Exception {
        RegisterBrokerResponseHeader result = register(CLUSTER_J, BROKER_J, 0, J_MASTER,
            "127.0.0.1:30912", body(jVersion, new TopicConfig("JTopic", 8, 6, 6),
                new TopicConfig("JOrder", 4, 4, 6)), false);
        expectEqual(null, result.getMasterAddr(), "master's masterAddr");
        expectEqual(null, result.getHaServerAddr(), "master's haServerAddr");
    }

    private void registerSlave() throws Exception {
        // A slave's topics are ignored; send a different table to prove it.
        RegisterBrokerResponseHeader result = register(CLUSTER_J, BROKER_J, 1, J_SLAVE,
            "127.0.0.1:30922", body(jVersion, new TopicConfig("JTopic", 1, 1, 2),
                new TopicConfig("SlaveOnly", 1, 1, 6)), false);
        expectEqual(J_MASTER, result.getMasterAddr(), "slave's masterAddr");
        expectEqual("127.0.0.1:30912", result.getHaServerAddr(), "slave's haServerAddr");
    }

    private void registerCompressed() throws Exception {
        DataVersion version = new DataVersion();
        version.nextVersion();
        RegisterBrokerResponseHeader result = register(CLUSTER_K, BROKER_K, 0, K_MASTER,
            "127.0.0.1:40912", body(version, new TopicConfig("KTopic", 2, 2, 6),
                new TopicConfig("JTopic", 4, 4, 6)), true);
        expectEqual(null, result.getMasterAddr(), "compressed master's masterAddr");
    }

    private void routeNewVersion() throws Exception {
        RemotingCommand response = route("JTopic", null);
        expectCode(response, ResponseCode.SUCCESS);
        expect(response.getBody() != null, "no route body");
        newRoute = TopicRouteData.decode(response.getBody(), TopicRouteData.class);
        checkRoute(newRoute);
    }

    private void routeOldVersion() throws Exception {
        RemotingCommand response = route("JTopic", OLD_CLIENT_VERSION);
        expectCode(response, ResponseCode.SUCCESS);
        TopicRouteData old = RemotingSerializable.decode(response.getBody(), TopicRouteData.class);
        checkRoute(old);
        expectEqual(newRoute, old, "route for version " + OLD_CLIENT_VERSION);
        TopicRouteData k = TopicRouteData.decode(route("KTopic", OLD_CLIENT_VERSION).getBody(),
            TopicRouteData.class);
        expectEqual(1, k.getBrokerDatas().size(), "KTopic brokerDatas size");
        expectQueue(queueData(k, BROKER_K), 2, 2, 6, 0);
    }

    private void routeMissing() throws Exception {
        for (String topic : Arrays.asList("SlaveOnly", "NoSuchTopic")) {
            RemotingCommand response = route(topic, null);
            expectCode(response, ResponseCode.TOPIC_NOT_EXIST);
            expect(response.getRemark() != null && response.getRemark().contains(topic),
                "remark: " + response.getRemark());
        }
    }

    private void queryDataVersion() throws Exception {
        QueryDataVersionRequestHeader header = new QueryDataVersionRequestHeader();
        header.setBrokerName(BROKER_J);
        header.setBrokerAddr(J_MASTER);
        header.setClusterName(CLUSTER_J);
        header.setBrokerId(0L);
        RemotingCommand same = sync(RequestCode.QUERY_DATA_VERSION, header, jVersion.encode());
        expectCode(same, ResponseCode.SUCCESS);
        QueryDataVersionResponseHeader result =
            same.decodeCommandCustomHeader(QueryDataVersionResponseHeader.class);
        expectEqual(Boolean.FALSE, result.getChanged(), "changed for the registered version");
        expectEqual(jVersion, DataVersion.decode(same.getBody(), DataVersion.class), "returned version");
        DataVersion newer = new DataVersion();
        newer.assignNewOne(jVersion);
        newer.nextVersion();
        RemotingCommand changed = sync(RequestCode.QUERY_DATA_VERSION, header, newer.encode());
        expectEqual(Boolean.TRUE, changed.decodeCommandCustomHeader(
            QueryDataVersionResponseHeader.class).getChanged(), "changed for a newer version");
    }

    private void clusterInfo() throws Exception {
        RemotingCommand response = sync(RequestCode.GET_BROKER_CLUSTER_INFO, null, null);
        expectCode(response, ResponseCode.SUCCESS);
        ClusterInfo info = ClusterInfo.decode(response.getBody(), ClusterInfo.class);
        expectEqual(new HashSet<>(Arrays.asList(BROKER_J, BROKER_K)),
            info.getBrokerAddrTable().keySet(), "brokerAddrTable keys");
        expectEqual(J_SLAVE, info.getBrokerAddrTable().get(BROKER_J).getBrokerAddrs().get(1L),
            "broker-j slave address");
        expectEqual(CLUSTER_K, info.getBrokerAddrTable().get(BROKER_K).getCluster(), "broker-k cluster");
        expectEqual(Collections.singleton(BROKER_J), info.getClusterAddrTable().get(CLUSTER_J),
            "JCluster members");
        expectEqual(Collections.singleton(BROKER_K), info.getClusterAddrTable().get(CLUSTER_K),
            "KCluster members");
        expectEqual(new HashSet<>(Arrays.asList(CLUSTER_J, CLUSTER_K)), new HashSet<>(
            Arrays.asList(info.retrieveAllClusterNames())), "cluster names");
    }

    private void topicList() throws Exception {
        RemotingCommand response = sync(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, null, null);
        expectCode(response, ResponseCode.SUCCESS);
        TopicList list = TopicList.decode(response.getBody(), TopicList.class);
        expectEqual(new HashSet<>(Arrays.asList("JTopic", "JOrder", "KTopic")),
            new HashSet<>(list.getTopicList()), "topic list");
    }

    private void kvConfig() throws Exception {
        PutKVConfigRequestHeader put = new PutKVConfigRequestHeader();
        put.setNamespace("ORDER_TOPIC_CONFIG");
        put.setKey("JOrder");
        put.setValue("broker-j:4");
        expectCode(sync(RequestCode.PUT_KV_CONFIG, put, null), ResponseCode.SUCCESS);

        GetKVConfigRequestHeader get = new GetKVConfigRequestHeader();
        get.setNamespace("ORDER_TOPIC_CONFIG");
        get.setKey("JOrder");
        RemotingCommand got = sync(RequestCode.GET_KV_CONFIG, get, null);
        expectCode(got, ResponseCode.SUCCESS);
        expectEqual("broker-j:4",
            got.decodeCommandCustomHeader(GetKVConfigResponseHeader.class).getValue(), "KV value");

        get.setKey("Missing");
        expectCode(sync(RequestCode.GET_KV_CONFIG, get, null), ResponseCode.QUERY_NOT_FOUND);

        GetKVListByNamespaceRequestHeader list = new GetKVListByNamespaceRequestHeader();
        list.setNamespace("ORDER_TOPIC_CONFIG");
        RemotingCommand listed = sync(RequestCode.GET_KVLIST_BY_NAMESPACE, list, null);
        expectCode(listed, ResponseCode.SUCCESS);
        KVTable table = KVTable.decode(listed.getBody(), KVTable.class);
        expectEqual(Collections.singletonMap("JOrder", "broker-j:4"), table.getTable(), "KV table");
    }

    private void writePerm() throws Exception {
        WipeWritePermOfBrokerRequestHeader wipe = new WipeWritePermOfBrokerRequestHeader();
        wipe.setBrokerName(BROKER_K);
        RemotingCommand wiped = sync(RequestCode.WIPE_WRITE_PERM_OF_BROKER, wipe, null);
        expectCode(wiped, ResponseCode.SUCCESS);
        expectEqual(2, wiped.decodeCommandCustomHeader(WipeWritePermOfBrokerResponseHeader.class)
            .getWipeTopicCount(), "wipeTopicCount");
        TopicRouteData k = TopicRouteData.decode(route("KTopic", null).getBody(), TopicRouteData.class);
        expectQueue(queueData(k, BROKER_K), 2, 2, 4, 0);

        AddWritePermOfBrokerRequestHeader add = new AddWritePermOfBrokerRequestHeader();
        add.setBrokerName(BROKER_K);
        RemotingCommand added = sync(RequestCode.ADD_WRITE_PERM_OF_BROKER, add, null);
        expectCode(added, ResponseCode.SUCCESS);
        expectEqual(2, added.decodeCommandCustomHeader(AddWritePermOfBrokerResponseHeader.class)
            .getAddTopicCount(), "addTopicCount");
        k = TopicRouteData.decode(route("KTopic", null).getBody(), TopicRouteData.class);
        expectQueue(queueData(k, BROKER_K), 2, 2, 6, 0);
    }

    private void unregister() throws Exception {
        List<String[]> brokers = Arrays.asList(
            new String[] {CLUSTER_J, BROKER_J, J_SLAVE, "1"},
            new String[] {CLUSTER_J, BROKER_J, J_MASTER, "0"},
            new String[] {CLUSTER_K, BROKER_K, K_MASTER, "0"});
        for (String[] broker : brokers) {
            UnRegisterBrokerRequestHeader header = new UnRegisterBrokerRequestHeader();
            header.setClusterName(broker[0]);
            header.setBrokerName(broker[1]);
            header.setBrokerAddr(broker[2]);
            header.setBrokerId(Long.parseLong(broker[3]));
            expectCode(sync(RequestCode.UNREGISTER_BROKER, header, null), ResponseCode.SUCCESS);
            if (broker[3].equals("1")) {
                TopicRouteData j = TopicRouteData.decode(route("JOrder", null).getBody(),
                    TopicRouteData.class);
                expectEqual(Collections.singletonMap(0L, J_MASTER),
                    brokerData(j, BROKER_J).getBrokerAddrs(), "broker-j after the slave left");
            }
        }
        for (String topic : Arrays.asList("JTopic", "JOrder", "KTopic")) {
            expectCode(route(topic, null), ResponseCode.TOPIC_NOT_EXIST);
        }
        ClusterInfo info = ClusterInfo.decode(
            sync(RequestCode.GET_BROKER_CLUSTER_INFO, null, null).getBody(), ClusterInfo.class);
        expect(info.getBrokerAddrTable().isEmpty(), "brokerAddrTable not empty: " + info.getBrokerAddrTable());
    }
}
