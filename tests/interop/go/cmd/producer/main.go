// Command producer sends messages with the official Go client
// (rocketmq-client-go/v2, DefaultProducer, synchronous sends).
//
//	producer -namesrv ADDR -topic T [-count N] [-tags TagA,TagB] [-run ID]
//	         [-group G] [-loglevel error]
//
// Message i carries tag tags[i % len(tags)], the keys "key-<run>-<i>" and
// "alt-<i>", the user properties u_run, u_index and u_text (non-ASCII), and a
// body unique per (run, i) that is not valid UTF-8. One JSON line per message
// ({"event":"sent",...}) goes to stdout, then "OK producer" or "FAIL producer:
// <reason>"; the exit status is 1 on failure.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/cyrocketmq/interop/internal/report"
)

const name = "producer"

// Text is a user property value beyond ASCII; it avoids the property
// separators \001 and \002 but keeps '=' and ';'.
const Text = "h\u00e9llo \u4e2d\u6587 a=b;c"

func main() {
	namesrv := flag.String("namesrv", "", "NameServer address HOST:PORT (required)")
	topic := flag.String("topic", "", "topic (required)")
	count := flag.Int("count", 10, "number of messages")
	tagList := flag.String("tags", "TagA", "comma-separated tags, cycled")
	run := flag.String("run", strconv.FormatInt(time.Now().UnixNano(), 10), "run id in keys, props and bodies")
	group := flag.String("group", "cy_go_producer", "producer group")
	logLevel := flag.String("loglevel", "error", "client log level (to stderr)")
	flag.Parse()
	if *namesrv == "" || *topic == "" || *count < 0 {
		fmt.Fprintln(os.Stderr, "producer: -namesrv and -topic are required, -count >= 0")
		os.Exit(2)
	}
	report.QuietClientLog(*logLevel)
	if err := send(*namesrv, *topic, *group, *run, *count, strings.Split(*tagList, ",")); err != nil {
		report.Fail(name, err.Error())
		os.Exit(1)
	}
	report.OK(name)
}

func send(namesrv, topic, group, run string, count int, tags []string) (err error) {
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{namesrv})),
		producer.WithGroupName(group),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10*time.Second),
	)
	if err != nil {
		return fmt.Errorf("new producer: %w", err)
	}
	if err = p.Start(); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer func() {
		if shutdownErr := p.Shutdown(); shutdownErr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", shutdownErr)
		}
	}()
	for i := 0; i < count; i++ {
		userProps := map[string]string{
			"u_run":   run,
			"u_index": strconv.Itoa(i),
			"u_text":  Text,
		}
		keys := []string{fmt.Sprintf("key-%s-%d", run, i), fmt.Sprintf("alt-%d", i)}
		tag := tags[i%len(tags)]
		msg := primitive.NewMessage(topic, body(run, i))
		msg.WithTag(tag)
		msg.WithKeys(keys)
		for k, v := range userProps {
			msg.WithProperty(k, v)
		}
		result, sendErr := p.SendSync(context.Background(), msg)
		if sendErr != nil {
			return fmt.Errorf("message %d: send: %w", i, sendErr)
		}
		if err := check(result, topic); err != nil {
			return fmt.Errorf("message %d: %w (%s)", i, err, result.String())
		}
		report.Event("sent").
			Set("msgId", result.MsgID).
			Set("topic", topic).
			Set("body", hex.EncodeToString(msg.Body)).
			Set("tags", msg.GetTags()).
			Set("keys", msg.GetKeys()).
			Set("props", userProps).
			Set("brokerName", result.MessageQueue.BrokerName).
			Set("queueId", result.MessageQueue.QueueId).
			Set("queueOffset", result.QueueOffset).
			Set("offsetMsgId", result.OffsetMsgID).
			Emit()
	}
	return nil
}

// check verifies what the client made of the broker's SEND_MESSAGE response.
func check(result *primitive.SendResult, topic string) error {
	if result == nil {
		return fmt.Errorf("no SendResult")
	}
	if result.Status != primitive.SendOK {
		return fmt.Errorf("status %d, want SEND_OK", result.Status)
	}
	if result.MsgID == "" {
		return fmt.Errorf("empty msgId")
	}
	if result.MessageQueue == nil || result.MessageQueue.Topic != topic || result.MessageQueue.QueueId < 0 {
		return fmt.Errorf("bad message queue")
	}
	if result.QueueOffset < 0 {
		return fmt.Errorf("queueOffset %d", result.QueueOffset)
	}
	id, err := primitive.UnmarshalMsgID([]byte(result.OffsetMsgID))
	if err != nil || len(result.OffsetMsgID) != 32 {
		return fmt.Errorf("offsetMsgId %q does not decode: %v", result.OffsetMsgID, err)
	}
	if id.Port <= 0 || id.Offset < 0 {
		return fmt.Errorf("offsetMsgId %q decodes to %s:%d@%d", result.OffsetMsgID, id.Addr, id.Port, id.Offset)
	}
	return nil
}

// body is unique per (run, index) and is not valid UTF-8 text.
func body(run string, index int) []byte {
	text := []byte(fmt.Sprintf("%s/go/%d/h\u00e9llo", run, index))
	return append(text, 0x00, 0xff, 0x80, byte(index))
}
