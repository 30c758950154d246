// Command pushconsumer receives messages with the official Go client
// (rocketmq-client-go/v2 push consumer, clustering, CONSUME_FROM_FIRST_OFFSET).
//
//	pushconsumer -namesrv ADDR -topic T [-group G] [-subscribe EXPR] [-expect N]
//	             [-timeout 60s] [-loglevel error]
//
// Prints {"event":"started"} once the consumer runs, one {"event":"recv",...}
// line per delivery, and {"event":"summary",...} at the end. Stops when N
// distinct msgIds arrived (-expect N, N > 0), at the timeout, or on SIGTERM /
// SIGINT; then prints "OK pushconsumer", or "FAIL pushconsumer: <reason>" (and
// exits 1) when fewer than N arrived.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/cyrocketmq/interop/internal/report"
)

const (
	name            = "pushconsumer"
	shutdownTimeout = 15 * time.Second
)

// received counts deliveries by msgId and closes done at the expected count.
type received struct {
	mu         sync.Mutex
	seen       map[string]bool
	deliveries int
	duplicates int
	expect     int
	done       chan struct{}
	closed     bool
}

func (r *received) record(msg *primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries++
	if r.seen[msg.MsgId] {
		r.duplicates++
	}
	r.seen[msg.MsgId] = true
	queueID := -1
	if msg.Queue != nil {
		queueID = msg.Queue.QueueId
	}
	report.Event("recv").
		Set("msgId", msg.MsgId).
		Set("topic", msg.Topic).
		Set("body", hex.EncodeToString(msg.Body)).
		Set("tags", msg.GetTags()).
		Set("keys", msg.GetKeys()).
		Set("props", msg.GetProperties()).
		Set("queueId", queueID).
		Set("queueOffset", msg.QueueOffset).
		Set("offsetMsgId", msg.OffsetMsgId).
		Set("commitLogOffset", msg.CommitLogOffset).
		Set("reconsumeTimes", msg.ReconsumeTimes).
		Set("bornHost", msg.BornHost).
		Set("storeHost", msg.StoreHost).
		Emit()
	if r.expect > 0 && len(r.seen) >= r.expect && !r.closed {
		r.closed = true
		close(r.done)
	}
}

func (r *received) summary() (distinct int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	report.Event("summary").
		Set("distinct", len(r.seen)).
		Set("deliveries", r.deliveries).
		Set("duplicates", r.duplicates).
		Emit()
	return len(r.seen)
}

func main() {
	namesrv := flag.String("namesrv", "", "NameServer address HOST:PORT (required)")
	topic := flag.String("topic", "", "topic (required)")
	group := flag.String("group", "cy_go_push", "consumer group")
	expression := flag.String("subscribe", "*", "tag expression")
	expect := flag.Int("expect", 0, "stop after this many distinct msgIds (0: run until timeout or signal)")
	timeout := flag.Duration("timeout", 60*time.Second, "stop after this long")
	logLevel := flag.String("loglevel", "error", "client log level (to stderr)")
	flag.Parse()
	if *namesrv == "" || *topic == "" {
		fmt.Fprintln(os.Stderr, "pushconsumer: -namesrv and -topic are required")
		os.Exit(2)
	}
	report.QuietClientLog(*logLevel)

	got := &received{seen: map[string]bool{}, expect: *expect, done: make(chan struct{})}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{*namesrv})),
		consumer.WithGroupName(*group),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	if err != nil {
		report.Fail(name, "new push consumer: "+err.Error())
		os.Exit(1)
	}
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: *expression}
	err = c.Subscribe(*topic, selector, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, msg := range msgs {
			got.record(msg)
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		report.Fail(name, "subscribe: "+err.Error())
		os.Exit(1)
	}
	if err = c.Start(); err != nil {
		report.Fail(name, "start: "+err.Error())
		os.Exit(1)
	}
	report.Event("started").Set("group", *group).Set("topic", *topic).Emit()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	timer := time.NewTimer(*timeout)
	select {
	case <-got.done:
	case <-timer.C:
	case <-signals:
	}
	timer.Stop()

	failures := 0
	if err := shutdown(c); err != nil {
		report.Fail(name, err.Error())
		failures++
	}
	distinct := got.summary()
	if *expect > 0 && distinct < *expect {
		report.Fail(name, fmt.Sprintf("received %d of %d messages", distinct, *expect))
		failures++
	}
	if failures > 0 {
		os.Exit(1)
	}
	report.OK(name)
}

// shutdown stops the consumer (persisting offsets) within shutdownTimeout.
func shutdown(c rocketmq.PushConsumer) error {
	done := make(chan error, 1)
	go func() { done <- c.Shutdown() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	case <-time.After(shutdownTimeout):
		return fmt.Errorf("shutdown did not finish within %s", shutdownTimeout)
	}
}
