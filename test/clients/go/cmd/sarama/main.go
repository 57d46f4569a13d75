// Sarama client session for the client matrix: admin create/list, produce N keyed records, consume them in a
// group, commit, read the committed offsets back; prints one JSON object.
// Usage: sarama BOOTSTRAP TOPIC GROUP N
package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"streamlab.dev/test/clients/internal/session"

	"github.com/IBM/sarama"
)

type handler struct {
	mu       sync.Mutex
	seen     map[string]bool
	consumed int
	n        int
	done     chan struct{}
	once     sync.Once
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		h.consumed++
		if "v"+string(m.Key[1:]) != string(m.Value) {
			session.Fail("record", fmt.Errorf("key/value mismatch %s=%s", m.Key, m.Value))
		}
		h.seen[string(m.Value)] = true
		s.MarkMessage(m, "")
		if len(h.seen) >= h.n {
			s.Commit()
			h.once.Do(func() { close(h.done) })
		}
		h.mu.Unlock()
	}
	return nil
}

func main() {
	args := session.ParseArgs("sarama")
	bootstrap, topic, group, n := args.Bootstrap, args.Topic, args.Group, args.N
	brokers := []string{bootstrap}
	cfg := sarama.NewConfig()
	cfg.ClientID = "sarama-check"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	out := map[string]any{"client": "sarama", "version": session.Version("github.com/IBM/sarama"), "protocolVersion": cfg.Version.String()}

	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		session.Fail("admin", err)
	}
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false); err != nil {
		session.Fail("create topic", err)
	}
	var topics map[string]sarama.TopicDetail
	for i := 0; i < 50; i++ {
		topics, err = admin.ListTopics()
		if err != nil {
			session.Fail("list topics", err)
		}
		if _, ok := topics[topic]; ok {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, listed := topics[topic]
	out["admin"] = map[string]any{"created": true, "listed": listed, "partitions": int(topics[topic].NumPartitions)}

	producer, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		session.Fail("producer", err)
	}
	msgs := make([]*sarama.ProducerMessage, n)
	for i := 0; i < n; i++ {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("v%d", i))}
	}
	if err := producer.SendMessages(msgs); err != nil {
		session.Fail("produce", err)
	}
	produced := map[string]int{}
	for _, m := range msgs {
		produced[strconv.Itoa(int(m.Partition))]++
	}
	out["produced"] = produced
	producer.Close()

	cg, err := sarama.NewConsumerGroup(brokers, group, cfg)
	if err != nil {
		session.Fail("consumer group", err)
	}
	h := &handler{seen: map[string]bool{}, n: n, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	go func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
				session.Fail("consume", err)
			}
		}
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
	}
	cancel()
	cg.Close()
	out["consumed"] = h.consumed
	out["distinct"] = len(h.seen)

	res, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	if err != nil {
		session.Fail("list offsets", err)
	}
	committed := map[string]int64{}
	total := int64(0)
	for p, b := range res.Blocks[topic] {
		committed[strconv.Itoa(int(p))] = b.Offset
		if b.Offset > 0 {
			total += b.Offset
		}
	}
	out["committed"] = committed
	groups, err := admin.ListConsumerGroups()
	if err != nil {
		session.Fail("list groups", err)
	}
	_, gl := groups[group]
	out["groupListed"] = gl
	out["groupOffsetsTotal"] = total
	admin.Close()
	session.Print(out)
}
