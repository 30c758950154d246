package io.cyrocketmq.interop;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.rocketmq.remoting.netty.NettyEncoder;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RequestCode;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.apache.rocketmq.remoting.protocol.SerializeType;
import org.apache.rocketmq.remoting.protocol.header.PullMessageRequestHeader;
import org.apache.rocketmq.remoting.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.remoting.protocol.header.SendMessageResponseHeader;

/**
 * Writes golden frames encoded by rocketmq-remoting itself.
 *
 * <pre>
 *   GoldenFrames OUTDIR
 * </pre>
 *
 * Every frame is produced by the exact wire path: the command is written through
 * rocketmq-remoting's NettyEncoder (RemotingCommand#fastEncodeHeader + body) in a
 * netty EmbeddedChannel, so OUTDIR/NAME.bin holds the bytes a real Java peer
 * puts on the socket, starting with the 4-byte total-length prefix. Each scenario
 * is written in both serialize types (NAME = scenario + ".json" / ".rocketmq").
 *
 * <p>OUTDIR/manifest.json lists every frame with what Java's own decoder
 * (RemotingCommand#decode) reads back from it. Output is deterministic: opaque and
 * version are fixed and no clock or random value is used.
 */
public final class GoldenFrames {
    /** Message properties as a 5.x producer encodes them (NAME 0x01 VALUE 0x02 ...). */
    private static final String SEND_PROPERTIES =
        "TAGS\u0001TagA\u0002KEYS\u0001key1\u0002UNIQ_KEY\u00017F0000010001000000000000000000AB\u0002";

    private GoldenFrames() {
    }

    private static final class Frame {
        final String scenario;
        final int opaque;
        final Supplier<RemotingCommand> factory;
        final String note;

        Frame(String scenario, int opaque, Supplier<RemotingCommand> factory, String note) {
            this.scenario = scenario;
            this.opaque = opaque;
            this.factory = factory;
            this.note = note;
        }
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length != 1) {
            System.err.println("usage: GoldenFrames OUTDIR");
            System.exit(2);
        }
        Contract.configureJvm("JSON");
        Path outDir = Paths.get(argv[0]);
        Files.createDirectories(outDir);

        List<Frame> frames = new ArrayList<>();
        frames.add(new Frame("request_custom_header", 1001, () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(Contract.ECHO, AllTypesHeader.sample());
            cmd.setRemark("remark-\u00fc");
            cmd.setBody("small body \u00e9".getBytes(StandardCharsets.UTF_8));
            return cmd;
        }, "AllTypesHeader (reflective codec, value.toString()) + remark + body"));
        frames.add(new Frame("request_empty", 1002,
            () -> RemotingCommand.createRequestCommand(Contract.ECHO, null),
            "no custom header, no remark, no body"));
        frames.add(new Frame("response_remark", 1003,
            () -> RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, "success"),
            "RemotingCommand.createResponseCommand(SUCCESS, remark)"));
        frames.add(new Frame("request_oneway", 1004, () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(Contract.ONEWAY_RECORD, null);
            cmd.addExtField("seq", "1");
            cmd.markOnewayRPC();
            return cmd;
        }, "oneway request (flag bit 1)"));
        frames.add(new Frame("send_message_v2", 1005, () -> {
            SendMessageRequestHeaderV2 h = new SendMessageRequestHeaderV2();
            h.setA("PG");
            h.setB("TopicTest");
            h.setC("TBW102");
            h.setD(4);
            h.setE(1);
            h.setF(0);
            h.setG(1700000000000L);
            h.setH(0);
            h.setI(SEND_PROPERTIES);
            h.setJ(0);
            h.setK(false);
            h.setL(16);
            h.setM(false);
            RemotingCommand cmd = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, h);
            cmd.setBody("Hello RocketMQ".getBytes(StandardCharsets.UTF_8));
            return cmd;
        }, "SendMessageRequestHeaderV2 (FastCodesHeader: single-letter keys a..m)"));
        frames.add(new Frame("pull_message", 1006, () -> {
            PullMessageRequestHeader h = new PullMessageRequestHeader();
            h.setConsumerGroup("CG");
            h.setTopic("TopicTest");
            h.setQueueId(2);
            h.setQueueOffset(12345L);
            h.setMaxMsgNums(32);
            h.setSysFlag(7);
            h.setCommitOffset(12000L);
            h.setSuspendTimeoutMillis(15000L);
            h.setSubscription("TagA || TagB");
            h.setSubVersion(1700000000000L);
            h.setExpressionType("TAG");
            return RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, h);
        }, "PullMessageRequestHeader (FastCodesHeader)"));
        frames.add(new Frame("send_message_response", 1007, () -> {
            // What the broker does: createResponseCommand(Class), then fill the header.
            RemotingCommand cmd = RemotingCommand.createResponseCommand(SendMessageResponseHeader.class);
            SendMessageResponseHeader h = (SendMessageResponseHeader) cmd.readCustomHeader();
            cmd.setCode(ResponseCode.SUCCESS);
            cmd.setRemark(null);
            h.setMsgId("7F00000100002A9F0000000000000000");
            h.setQueueId(1);
            h.setQueueOffset(7L);
            h.setTransactionId("7F0000010001000000000000000000AB");
            cmd.addExtField("MSG_REGION", "DefaultRegion");
            cmd.addExtField("TRACE_ON", "true");
            return cmd;
        }, "SendMessageResponseHeader (FastCodesHeader) + MSG_REGION/TRACE_ON ext fields, null remark"));
        frames.add(new Frame("request_empty_strings", 1008, () -> {
            RemotingCommand cmd = RemotingCommand.createRequestCommand(Contract.ECHO, null);
            cmd.setRemark("");
            cmd.addExtField("empty", "");
            cmd.addExtField("k", "v");
            return cmd;
        }, "empty remark and an empty ext value: ROCKETMQ writes length 0, which Java decodes as null"));

        StringBuilder manifest = new StringBuilder("[\n");
        boolean first = true;
        for (Frame f : frames) {
            for (SerializeType type : new SerializeType[] {SerializeType.JSON, SerializeType.ROCKETMQ}) {
                String name = f.scenario + "." + type.name().toLowerCase(java.util.Locale.ROOT);
                RemotingCommand cmd = f.factory.get();
                cmd.setOpaque(f.opaque);
                cmd.setSerializeTypeCurrentRPC(type);
                byte[] wire = wireBytes(cmd);
                Files.write(outDir.resolve(name + ".bin"), wire);
                compareLegacyEncode(name, f, type, wire);

                RemotingCommand decoded = decodeFrame(wire);
                if (!first) {
                    manifest.append(",\n");
                }
                first = false;
                manifest.append(entry(name, f, type, wire, decoded));
            }
        }
        manifest.append("\n]\n");
        Files.write(outDir.resolve("manifest.json"), manifest.toString().getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + (frames.size() * 2) + " frames to " + outDir);
    }

    /** The bytes NettyEncoder writes for {@code cmd} (length prefix included). */
    static byte[] wireBytes(RemotingCommand cmd) {
        EmbeddedChannel ch = new EmbeddedChannel(new NettyEncoder());
        try {
            if (!ch.writeOutbound(cmd)) {
                throw new IllegalStateException("encoder produced nothing");
            }
            ByteBuf out = ch.readOutbound();
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            out.release();
            if (ch.readOutbound() != null) {
                throw new IllegalStateException("encoder produced more than one buffer");
            }
            return bytes;
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** Decodes a full frame (as NettyDecoder does: strip the 4-byte length first). */
    static RemotingCommand decodeFrame(byte[] wire) throws Exception {
        ByteBuffer buf = ByteBuffer.wrap(wire);
        int total = buf.getInt();
        if (total != wire.length - 4) {
            throw new IllegalStateException("length prefix " + total + " != " + (wire.length - 4));
        }
        return RemotingCommand.decode(buf.slice());
    }

    /** Notes on stderr whether the legacy RemotingCommand#encode() gives the same bytes. */
    private static void compareLegacyEncode(String name, Frame f, SerializeType type, byte[] wire) {
        RemotingCommand cmd = f.factory.get();
        cmd.setOpaque(f.opaque);
        cmd.setSerializeTypeCurrentRPC(type);
        ByteBuffer legacy = cmd.encode();
        byte[] bytes = new byte[legacy.remaining()];
        legacy.get(bytes);
        if (!Arrays.equals(bytes, wire)) {
            System.err.println("NOTE " + name + ": RemotingCommand#encode() differs from the NettyEncoder bytes ("
                + bytes.length + " vs " + wire.length + " bytes)");
        }
    }

    private static String entry(String name, Frame f, SerializeType type, byte[] wire, RemotingCommand d) {
        Map<String, String> ext = d.getExtFields();
        if (ext != null) {
            // ROCKETMQ decoding maps a zero-length value to null; the frame carried "".
            Map<String, String> copy = new HashMap<>();
            ext.forEach((k, v) -> copy.put(k, v == null ? "" : v));
            ext = copy;
        }
        String remark = d.getRemark();
        int headerField = ByteBuffer.wrap(wire, 4, 4).getInt();
        StringBuilder b = new StringBuilder("  {");
        b.append("\"name\": ").append(Util.jsonString(name))
            .append(", \"file\": ").append(Util.jsonString(name + ".bin"))
            .append(", \"serialize\": ").append(Util.jsonString(type.name()))
            .append(", \"code\": ").append(d.getCode())
            .append(", \"flag\": ").append(d.getFlag())
            .append(", \"opaque\": ").append(d.getOpaque())
            .append(", \"version\": ").append(d.getVersion())
            .append(", \"language\": ").append(Util.jsonString(d.getLanguage().name()))
            .append(", \"remark\": ").append(Util.jsonString(remark))
            .append(", \"extFields\": ").append(Util.jsonStringMap(ext))
            .append(", \"body_hex\": ").append(Util.jsonString(Util.hex(d.getBody())))
            .append(", \"frame_length\": ").append(wire.length)
            .append(", \"header_length\": ").append(headerField & 0xFFFFFF)
            .append(", \"note\": ").append(Util.jsonString(f.note))
            .append('}');
        if (d.getOpaque() != f.opaque) {
            throw new IllegalStateException(name + ": opaque did not round-trip");
        }
        if (((headerField >>> 24) & 0xFF) != type.getCode()) {
            throw new IllegalStateException(name + ": wrong serialize type byte");
        }
        return b.toString();
    }
}
