package io.cyrocketmq.interop.client4;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.rocketmq.common.message.MessageExt;

/** Counts received messages (by msgId) and prints one JSON line for each delivery. */
final class Received {
    private final Set<String> seen = new HashSet<>();
    private int deliveries;
    private int duplicates;

    /** Print {@code msg}; return the number of distinct msgIds seen so far. */
    synchronized int record(MessageExt msg) {
        deliveries++;
        if (!seen.add(msg.getMsgId())) {
            duplicates++;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "recv");
        line.putAll(describe(msg));
        line.put("receivedAt", System.currentTimeMillis());
        Driver.emitJson(line);
        return seen.size();
    }

    /** What the tests compare of a message, as a JSON object. */
    static Map<String, Object> describe(MessageExt msg) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("msgId", msg.getMsgId());
        line.put("topic", msg.getTopic());
        line.put("body", Driver.hex(msg.getBody()));
        line.put("tags", msg.getTags());
        line.put("keys", msg.getKeys());
        line.put("props", new TreeMap<>(msg.getProperties()));
        line.put("queueId", msg.getQueueId());
        line.put("queueOffset", msg.getQueueOffset());
        line.put("commitLogOffset", msg.getCommitLogOffset());
        line.put("reconsumeTimes", msg.getReconsumeTimes());
        line.put("bornTimestamp", msg.getBornTimestamp());
        line.put("storeTimestamp", msg.getStoreTimestamp());
        line.put("bornHost", String.valueOf(msg.getBornHost()));
        line.put("storeHost", String.valueOf(msg.getStoreHost()));
        return line;
    }

    synchronized Map<String, Object> summary() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "summary");
        line.put("distinct", seen.size());
        line.put("deliveries", deliveries);
        line.put("duplicates", duplicates);
        return line;
    }

    synchronized int distinct() {
        return seen.size();
    }
}
