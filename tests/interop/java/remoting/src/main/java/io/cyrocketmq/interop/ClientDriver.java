package io.cyrocketmq.interop;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.rocketmq.remoting.InvokeCallback;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.netty.ResponseFuture;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.SerializeType;

/**
 * Drives a server that implements the shared interop contract (see {@link Contract})
 * with the official NettyRemotingClient.
 *
 * <pre>
 *   ClientDriver --addr HOST:PORT --serialize JSON|ROCKETMQ
 * </pre>
 *
 * Prints "OK name" per passed scenario on stdout; on the first failure prints
 * "FAIL name: reason" and exits 1. Exits 0 when every scenario passed.
 * Diagnostics (e.g. the serialize type of the server's replies) go to stderr.
 */
public final class ClientDriver {
    private static final long TIMEOUT_MS = 5000;

    private final NettyRemotingClient client;
    private final String addr;
    private final SerializeType serializeType;
    /** (request type -> reply type) pairs already reported on stderr. */
    private final Map<String, Boolean> notedReplyTypes = new ConcurrentHashMap<>();

    private ClientDriver(NettyRemotingClient client, String addr, SerializeType serializeType) {
        this.client = client;
        this.addr = addr;
        this.serializeType = serializeType;
    }

    /** Thrown by a scenario to report a failed check. */
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
        // Must happen before RemotingCommand is loaded: it reads the property in <clinit>.
        Contract.configureJvm(serialize);
        String addr = Contract.required(args, "addr");

        SerializeType type = SerializeType.valueOf(serialize);
        if (RemotingCommand.getSerializeTypeConfigInThisServer() != type) {
            System.out.println("FAIL setup: RemotingCommand JVM serialize type is "
                + RemotingCommand.getSerializeTypeConfigInThisServer() + ", wanted " + type);
            System.exit(1);
        }

        NettyRemotingClient client = new NettyRemotingClient(new NettyClientConfig());
        client.start();
        ClientDriver driver = new ClientDriver(client, addr, type);
        int rc = driver.runAll();
        System.out.flush();
        // No client.shutdown(): it spends ~2 s joining service threads; exiting
        // closes the connection just as well.
        System.exit(rc);
    }

    private int runAll() {
        Map<String, Scenario> scenarios = new LinkedHashMap<>();
        scenarios.put("sync_header", this::syncHeader);
        scenarios.put("sync_empty", this::syncEmpty);
        scenarios.put("oneway", this::oneway);
        scenarios.put("big_body", this::bigBody);
        scenarios.put("unsupported", this::unsupported);
        scenarios.put("concurrent", this::concurrent);
        for (Map.Entry<String, Scenario> s : scenarios.entrySet()) {
            String name = s.getKey();
            try {
                s.getValue().run();
            } catch (CheckFailed e) {
                return fail(name, e.getMessage());
            } catch (Throwable e) {
                return fail(name, e.toString().replace('\n', ' '));
            }
            System.out.println("OK " + name);
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

    /** A request whose wire serialize type is the one chosen on the command line. */
    private RemotingCommand request(int code, AllTypesHeader header) throws CheckFailed {
        RemotingCommand req = RemotingCommand.createRequestCommand(code, header);
        // NettyEncoder -> RemotingCommand#fastEncodeHeader encodes with the command's
        // serializeTypeCurrentRPC, which a new command copies from the JVM-wide
        // config (set in main). Set it explicitly too and verify.
        req.setSerializeTypeCurrentRPC(serializeType);
        if (req.getSerializeTypeCurrentRPC() != serializeType) {
            throw new CheckFailed("request serialize type is " + req.getSerializeTypeCurrentRPC());
        }
        return req;
    }

    private RemotingCommand sync(RemotingCommand req) throws Exception {
        RemotingCommand resp = client.invokeSync(addr, req, TIMEOUT_MS);
        if (resp == null) {
            throw new CheckFailed("no response");
        }
        noteReplyType(req, resp);
        return resp;
    }

    private void noteReplyType(RemotingCommand req, RemotingCommand resp) {
        String key = req.getSerializeTypeCurrentRPC() + "->" + resp.getSerializeTypeCurrentRPC();
        if (notedReplyTypes.putIfAbsent(key, Boolean.TRUE) == null) {
            System.err.println("INFO request serialize " + req.getSerializeTypeCurrentRPC()
                + " answered with serialize " + resp.getSerializeTypeCurrentRPC()
                + " (code " + req.getCode() + ", language " + resp.getLanguage()
                + ", version " + resp.getVersion() + ")");
        }
    }

    private static void expect(boolean cond, String message) throws CheckFailed {
        if (!cond) {
            throw new CheckFailed(message);
        }
    }

    private static void expectCode(RemotingCommand resp, int code) throws CheckFailed {
        expect(resp.getCode() == code, "expected response code " + code + ", got " + resp.getCode()
            + " (remark " + Util.javaLiteral(resp.getRemark()) + ")");
    }

    private static void expectResponseType(RemotingCommand resp) throws CheckFailed {
        expect(resp.isResponseType(), "response flag bit 0 not set (flag=" + resp.getFlag() + ")");
    }

    private static int bodyLength(RemotingCommand cmd) {
        return cmd.getBody() == null ? 0 : cmd.getBody().length;
    }

    private static Map<String, String> ext(RemotingCommand cmd) {
        return cmd.getExtFields() == null ? new HashMap<>() : cmd.getExtFields();
    }

    // ---------------------------------------------------------------- scenarios

    private void syncHeader() throws Exception {
        AllTypesHeader sent = AllTypesHeader.sample();
        RemotingCommand req = request(Contract.ECHO, sent);
        String remark = "remark-\u00fc";
        req.setRemark(remark);
        RemotingCommand resp = sync(req);
        expectCode(resp, Contract.SUCCESS);
        expectResponseType(resp);
        expect(resp.getOpaque() == req.getOpaque(), "opaque mismatch");
        expect(remark.equals(resp.getRemark()),
            "remark: expected " + Util.javaLiteral(remark) + " got " + Util.javaLiteral(resp.getRemark()));
        // The request's extFields were filled from the header by makeCustomHeaderToNet()
        // while encoding; the echo must carry exactly those strings.
        Map<String, String> expectedExt = new HashMap<>();
        expectedExt.put("stringField", AllTypesHeader.STRING_VALUE);
        expectedExt.put("propertiesField", AllTypesHeader.PROPERTIES_VALUE);
        expectedExt.put("intField", "-42");
        expectedExt.put("integerField", "2147483647");
        expectedExt.put("longField", "-9223372036854775808");
        expectedExt.put("longObjField", "1700000000000");
        expectedExt.put("boolField", "true");
        expectedExt.put("boolObjField", "false");
        expectedExt.put("doubleField", "3.5");
        expect(expectedExt.equals(ext(resp)), "response extFields: expected "
            + Util.jsonStringMap(expectedExt) + " got " + Util.jsonStringMap(resp.getExtFields()));
        AllTypesHeader got = resp.decodeCommandCustomHeader(AllTypesHeader.class);
        List<String> diff = sent.diff(got);
        expect(diff.isEmpty(), "decoded header differs: " + String.join("; ", diff));
        expect(bodyLength(resp) == 0, "expected no body, got " + bodyLength(resp) + " bytes");
    }

    private void syncEmpty() throws Exception {
        RemotingCommand req = request(Contract.ECHO, null);
        RemotingCommand resp = sync(req);
        expectCode(resp, Contract.SUCCESS);
        expectResponseType(resp);
        expect(bodyLength(resp) == 0, "expected empty body, got " + bodyLength(resp) + " bytes");
        expect(ext(resp).isEmpty(), "expected no extFields, got " + Util.jsonStringMap(resp.getExtFields()));
    }

    private String[] onewayStats() throws Exception {
        RemotingCommand resp = sync(request(Contract.ONEWAY_STATS, null));
        expectCode(resp, Contract.SUCCESS);
        String count = ext(resp).get("onewayCount");
        String seqs = ext(resp).get("onewaySeqs");
        expect(count != null, "ONEWAY_STATS response has no onewayCount: " + Util.jsonStringMap(resp.getExtFields()));
        // ROCKETMQ decoding turns an empty string into null, so a missing onewaySeqs means "".
        return new String[] {count, seqs == null ? "" : seqs};
    }

    private void oneway() throws Exception {
        // Baseline, so the scenario also passes against a server that already saw
        // oneway requests (e.g. a second driver run); on a fresh server this is 0 / "".
        String[] before = onewayStats();
        int baseCount = Integer.parseInt(before[0]);
        for (int seq = 1; seq <= 3; seq++) {
            RemotingCommand req = request(Contract.ONEWAY_RECORD, null);
            req.addExtField("seq", Integer.toString(seq));
            // invokeOneway marks the request oneway (flag bit 1) itself, on the I/O thread.
            client.invokeOneway(addr, req, TIMEOUT_MS);
        }
        Thread.sleep(300);
        String[] after = onewayStats();
        String expectedSeqs = before[1].isEmpty() ? "1,2,3" : before[1] + ",1,2,3";
        expect(Integer.parseInt(after[0]) == baseCount + 3,
            "onewayCount: expected " + (baseCount + 3) + " got " + after[0]);
        expect(expectedSeqs.equals(after[1]),
            "onewaySeqs: expected " + Util.javaLiteral(expectedSeqs) + " got " + Util.javaLiteral(after[1]));
    }

    private void bigBody() throws Exception {
        byte[] body = new byte[4 * 1024 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i % 251);
        }
        RemotingCommand req = request(Contract.ECHO, null);
        req.setBody(body);
        RemotingCommand resp = sync(req);
        expectCode(resp, Contract.SUCCESS);
        byte[] got = resp.getBody();
        expect(got != null, "no body echoed");
        expect(got.length == body.length, "body length: expected " + body.length + " got " + got.length);
        expect(Arrays.equals(body, got), "echoed body differs");
    }

    private void unsupported() throws Exception {
        RemotingCommand resp = sync(request(Contract.UNSUPPORTED, null));
        expectCode(resp, Contract.REQUEST_CODE_NOT_SUPPORTED);
        expectResponseType(resp);
        String remark = resp.getRemark();
        expect(remark != null && remark.contains(Integer.toString(Contract.UNSUPPORTED)),
            "remark should contain " + Contract.UNSUPPORTED + ", got " + Util.javaLiteral(remark));
    }

    private void concurrent() throws Exception {
        final int n = 200;
        RemotingCommand[] requests = new RemotingCommand[n];
        RemotingCommand[] responses = new RemotingCommand[n];
        String[] errors = new String[n];
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            RemotingCommand req = request(Contract.ECHO, null);
            req.addExtField("n", Integer.toString(i));
            req.setBody(("body-" + i).getBytes(StandardCharsets.UTF_8));
            requests[i] = req;
        }
        for (int i = 0; i < n; i++) {
            final int idx = i;
            final AtomicBoolean once = new AtomicBoolean();
            client.invokeAsync(addr, requests[i], TIMEOUT_MS, new InvokeCallback() {
                @Override
                public void operationComplete(ResponseFuture responseFuture) {
                }

                @Override
                public void operationSucceed(RemotingCommand response) {
                    if (once.compareAndSet(false, true)) {
                        responses[idx] = response;
                        done.countDown();
                    }
                }

                @Override
                public void operationFail(Throwable throwable) {
                    if (once.compareAndSet(false, true)) {
                        errors[idx] = String.valueOf(throwable);
                        done.countDown();
                    }
                }
            });
        }
        expect(done.await(TIMEOUT_MS + 2000, TimeUnit.MILLISECONDS),
            "only " + (n - done.getCount()) + " of " + n + " responses arrived");
        for (int i = 0; i < n; i++) {
            expect(errors[i] == null, "request " + i + " failed: " + errors[i]);
            RemotingCommand resp = responses[i];
            expect(resp != null, "request " + i + ": no response");
            noteReplyType(requests[i], resp);
            expectCode(resp, Contract.SUCCESS);
            expect(resp.getOpaque() == requests[i].getOpaque(), "request " + i + ": opaque "
                + requests[i].getOpaque() + " answered with opaque " + resp.getOpaque());
            String gotN = ext(resp).get("n");
            expect(Integer.toString(i).equals(gotN), "request " + i + ": extField n = " + Util.javaLiteral(gotN));
            String gotBody = resp.getBody() == null ? null : new String(resp.getBody(), StandardCharsets.UTF_8);
            expect(Objects.equals("body-" + i, gotBody), "request " + i + ": body = " + Util.javaLiteral(gotBody));
        }
    }
}
