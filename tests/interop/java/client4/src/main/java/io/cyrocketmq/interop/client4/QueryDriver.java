package io.cyrocketmq.interop.client4;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * Message queries through the client's MQAdmin methods (rocketmq-client 4.9.8 or 5.3.x).
 *
 * <pre>
 * QueryDriver --namesrv ADDR --topic T [--by key:K ...] [--by uniq:MSGID ...]
 *             [--by offset:OFFSETMSGID ...] [--begin MS] [--end MS] [--max N]
 * </pre>
 *
 * key: queryMessage(topic, key, max, begin, end) (QUERY_MESSAGE on the index);
 * uniq and offset: viewMessage(topic, id), which tries the id as an offsetMsgId
 * (VIEW_MESSAGE_BY_ID by commit-log offset), then as a unique key (QUERY_MESSAGE).
 * Prints one {"event":"query","by":...,"arg":...,"found":[recv-like objects]}
 * line per query ("error" instead of "found" when the client threw), then OK.
 */
public final class QueryDriver {
    private static final String NAME = "query";

    private QueryDriver() {
    }

    public static void main(String[] args) throws Exception {
        Driver driver = new Driver("QueryDriver", args);
        String namesrv = driver.require("namesrv");
        String topic = driver.require("topic");
        long begin = Long.parseLong(driver.get("begin", "0"));
        long end = Long.parseLong(driver.get("end", Long.toString(Long.MAX_VALUE)));
        int max = driver.getInt("max", 32);

        DefaultMQProducer admin = new DefaultMQProducer(driver.get("group", "cy_interop_query"));
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("query-" + ProcessHandle.current().pid());
        admin.start();
        try {
            for (String query : driver.getAll("by")) {
                int colon = query.indexOf(':');
                String by = query.substring(0, colon);
                String arg = query.substring(colon + 1);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("event", "query");
                line.put("by", by);
                line.put("arg", arg);
                try {
                    List<MessageExt> found = new ArrayList<>();
                    switch (by) {
                        case "key": {
                            QueryResult result = admin.queryMessage(topic, arg, max, begin, end);
                            found.addAll(result.getMessageList());
                            break;
                        }
                        // viewMessage(topic, id) tries id as an offsetMsgId (VIEW_MESSAGE_BY_ID)
                        // first, then as a unique key (QUERY_MESSAGE); 5.x has no other overload.
                        case "uniq":
                        case "offset": found.add(admin.viewMessage(topic, arg)); break;
                        default: driver.fail(NAME, "unknown query kind " + by); continue;
                    }
                    List<Map<String, Object>> items = new ArrayList<>();
                    for (MessageExt msg : found) {
                        items.add(Received.describe(msg));
                    }
                    line.put("found", items);
                } catch (Exception e) {
                    line.put("error", e.toString());
                }
                Driver.emitJson(line);
            }
        } finally {
            admin.shutdown();
        }
        if (driver.failures() == 0) {
            driver.ok(NAME);
        }
        driver.exit();
    }
}
