package io.cyrocketmq.interop.client4;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMachineRoomNearby;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragelyByCircle;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueByConfig;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueByMachineRoom;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueConsistentHash;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Runs the client's queue allocation strategies on given inputs (rocketmq-client 4.9.8 or 5.3.x).
 *
 * <pre>
 * AllocateDriver [--cases FILE]      (without --cases: the cases are read from stdin)
 * </pre>
 *
 * One case per line, a JSON object:
 * <pre>
 * {"id":N, "group":G, "queues":[[topic,brokerName,queueId],...], "cids":[cid,...],
 *  "currents":[cid,...], "strategies":[spec,...]}
 * spec: {"kind":"AVG"} | {"kind":"AVG_BY_CIRCLE"}
 *     | {"kind":"CONSISTENT_HASH"[, "virtualNodes":N]}
 *     | {"kind":"CONFIG", "queues":[[topic,brokerName,queueId],...]}
 *     | {"kind":"MACHINE_ROOM", "idcs":[room,...]}
 *     | {"kind":"MACHINE_ROOM_NEARBY", "inner":spec,
 *        "brokerRooms":{brokerName:room,...}, "consumerRooms":{cid:room,...}}
 * </pre>
 * A room missing from brokerRooms/consumerRooms resolves to null. For each
 * case, strategy (index k) and current id, prints
 * {"case":N,"strategy":k,"name":getName(),"cid":cid,"queues":[[t,b,q],...]},
 * or "error":"SimpleExceptionName: message" instead of "queues" when allocate
 * threw; then {@code OK allocate}.
 */
public final class AllocateDriver {
    private static final String NAME = "allocate";

    private AllocateDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("AllocateDriver", args);
        String file = driver.get("cases", null);
        byte[] input = file == null ? System.in.readAllBytes() : Files.readAllBytes(Paths.get(file));
        int cases = 0;
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n")) {
            if (line.trim().isEmpty()) {
                continue;
            }
            runCase(asMap(new JsonReader(line).readValue()));
            cases++;
        }
        driver.check(cases > 0, NAME, "no cases");
        if (driver.failures() == 0) {
            driver.ok(NAME);
        }
        driver.exit();
    }

    private static void runCase(Map<String, Object> spec) {
        Object id = spec.get("id");
        String group = (String) spec.get("group");
        List<MessageQueue> queues = queues(spec.get("queues"));
        List<String> cids = strings(spec.get("cids"));
        List<Object> strategies = asList(spec.get("strategies"));
        for (int k = 0; k < strategies.size(); k++) {
            AllocateMessageQueueStrategy strategy = strategy(asMap(strategies.get(k)));
            for (String current : strings(spec.get("currents"))) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("case", id);
                line.put("strategy", k);
                line.put("name", strategy.getName());
                line.put("cid", current);
                try {
                    // Copies: a strategy must not depend on (or change) the caller's lists.
                    List<MessageQueue> result =
                        strategy.allocate(group, current, new ArrayList<>(queues), new ArrayList<>(cids));
                    List<Object> out = new ArrayList<>();
                    for (MessageQueue mq : result) {
                        List<Object> triple = new ArrayList<>();
                        triple.add(mq.getTopic());
                        triple.add(mq.getBrokerName());
                        triple.add(mq.getQueueId());
                        out.add(triple);
                    }
                    line.put("queues", out);
                } catch (RuntimeException e) {
                    line.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                Driver.emitJson(line);
            }
        }
    }

    private static AllocateMessageQueueStrategy strategy(Map<String, Object> spec) {
        String kind = (String) spec.get("kind");
        switch (kind) {
            case "AVG":
                return new AllocateMessageQueueAveragely();
            case "AVG_BY_CIRCLE":
                return new AllocateMessageQueueAveragelyByCircle();
            case "CONSISTENT_HASH":
                if (spec.containsKey("virtualNodes")) {
                    return new AllocateMessageQueueConsistentHash(((Long) spec.get("virtualNodes")).intValue());
                }
                return new AllocateMessageQueueConsistentHash();
            case "CONFIG": {
                AllocateMessageQueueByConfig config = new AllocateMessageQueueByConfig();
                config.setMessageQueueList(queues(spec.get("queues")));
                return config;
            }
            case "MACHINE_ROOM": {
                AllocateMessageQueueByMachineRoom byRoom = new AllocateMessageQueueByMachineRoom();
                byRoom.setConsumeridcs(new HashSet<>(strings(spec.get("idcs"))));
                return byRoom;
            }
            case "MACHINE_ROOM_NEARBY": {
                Map<String, Object> brokerRooms = asMap(spec.get("brokerRooms"));
                Map<String, Object> consumerRooms = asMap(spec.get("consumerRooms"));
                AllocateMachineRoomNearby.MachineRoomResolver resolver =
                    new AllocateMachineRoomNearby.MachineRoomResolver() {
                        @Override
                        public String brokerDeployIn(MessageQueue messageQueue) {
                            return (String) brokerRooms.get(messageQueue.getBrokerName());
                        }

                        @Override
                        public String consumerDeployIn(String clientID) {
                            return (String) consumerRooms.get(clientID);
                        }
                    };
                return new AllocateMachineRoomNearby(strategy(asMap(spec.get("inner"))), resolver);
            }
            default:
                throw new IllegalArgumentException("unknown strategy kind " + kind);
        }
    }

    private static List<MessageQueue> queues(Object value) {
        List<MessageQueue> out = new ArrayList<>();
        for (Object item : asList(value)) {
            List<Object> triple = asList(item);
            out.add(new MessageQueue((String) triple.get(0), (String) triple.get(1),
                ((Long) triple.get(2)).intValue()));
        }
        return out;
    }

    private static List<String> strings(Object value) {
        List<String> out = new ArrayList<>();
        for (Object item : asList(value)) {
            out.add((String) item);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return value == null ? new LinkedHashMap<>() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object value) {
        return value == null ? new ArrayList<>() : (List<Object>) value;
    }

    /** Just enough JSON for the case lines: objects, arrays, strings, integers, booleans, null. */
    private static final class JsonReader {
        private final String text;
        private int pos;

        JsonReader(String text) {
            this.text = text;
        }

        Object readValue() {
            skipSpace();
            char c = peek();
            switch (c) {
                case '{': return readObject();
                case '[': return readArray();
                case '"': return readString();
                case 't': expect("true"); return Boolean.TRUE;
                case 'f': expect("false"); return Boolean.FALSE;
                case 'n': expect("null"); return null;
                default: return readInteger();
            }
        }

        private Map<String, Object> readObject() {
            Map<String, Object> out = new LinkedHashMap<>();
            pos++;
            skipSpace();
            if (peek() == '}') {
                pos++;
                return out;
            }
            while (true) {
                skipSpace();
                String key = readString();
                skipSpace();
                expect(":");
                out.put(key, readValue());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect("}");
                    return out;
                }
            }
        }

        private List<Object> readArray() {
            List<Object> out = new ArrayList<>();
            pos++;
            skipSpace();
            if (peek() == ']') {
                pos++;
                return out;
            }
            while (true) {
                out.add(readValue());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect("]");
                    return out;
                }
            }
        }

        private String readString() {
            expect("\"");
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(pos++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'u':
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                        break;
                    default: out.append(e);
                }
            }
        }

        private Long readInteger() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            if (start == pos) {
                throw new IllegalArgumentException("bad JSON at " + pos + ": " + text);
            }
            return Long.parseLong(text.substring(start, pos));
        }

        private void expect(String word) {
            if (!text.startsWith(word, pos)) {
                throw new IllegalArgumentException("expected " + word + " at " + pos + ": " + text);
            }
            pos += word.length();
        }

        private char peek() {
            if (pos >= text.length()) {
                throw new IllegalArgumentException("JSON ends early: " + text);
            }
            return text.charAt(pos);
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }
    }
}
