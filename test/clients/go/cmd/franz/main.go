// franz-go client session for the client matrix: admin create/list, produce N keyed records, consume them in
// a group, commit, read the committed offsets back; prints one JSON object.
// Usage: franz BOOTSTRAP TOPIC GROUP N
package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"streamlab.dev/test/clients/internal/session"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	args := session.ParseArgs("franz")
	bootstrap, topic, group, n := args.Bootstrap, args.Topic, args.Group, args.N
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	out := map[string]any{"client": "franz-go", "version": session.Version("github.com/twmb/franz-go")}

	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		session.Fail("client", err)
	}
	adm := kadm.NewClient(cl)
	created, err := adm.CreateTopics(ctx, 3, 1, nil, topic)
	if err == nil {
		err = created.Error()
	}
	if err != nil {
		session.Fail("create topic", err)
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		session.Fail("list topics", err)
	}
	out["admin"] = map[string]any{"created": true, "listed": topics.Has(topic), "partitions": len(topics[topic].Partitions)}

	records := make([]*kgo.Record, n)
	for i := 0; i < n; i++ {
		records[i] = &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	produced := map[string]int{}
	results := cl.ProduceSync(ctx, records...)
	if err := results.FirstErr(); err != nil {
		session.Fail("produce", err)
	}
	for _, r := range results {
		produced[strconv.Itoa(int(r.Record.Partition))]++
	}
	out["produced"] = produced
	cl.Close()

	consumer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		session.Fail("consumer", err)
	}
	seen := map[string]bool{}
	consumed := 0
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		fetches := consumer.PollFetches(pctx)
		pcancel()
		fetches.EachRecord(func(r *kgo.Record) {
			consumed++
			if "v"+string(r.Key[1:]) != string(r.Value) {
				session.Fail("record", fmt.Errorf("key/value mismatch %s=%s", r.Key, r.Value))
			}
			seen[string(r.Value)] = true
		})
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		session.Fail("commit", err)
	}
	out["consumed"] = consumed
	out["distinct"] = len(seen)
	consumer.Close()

	cl2, _ := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	adm2 := kadm.NewClient(cl2)
	offsets, err := adm2.FetchOffsets(ctx, group)
	if err != nil {
		session.Fail("fetch offsets", err)
	}
	committed := map[string]int64{}
	total := int64(0)
	offsets.Each(func(o kadm.OffsetResponse) {
		committed[strconv.Itoa(int(o.Partition))] = o.At
		total += o.At
	})
	for p := 0; p < 3; p++ {
		if _, ok := committed[strconv.Itoa(p)]; !ok {
			committed[strconv.Itoa(p)] = -1
		}
	}
	out["committed"] = committed
	groups, err := adm2.ListGroups(ctx)
	if err != nil {
		session.Fail("list groups", err)
	}
	_, listed := groups[group]
	out["groupListed"] = listed
	out["groupOffsetsTotal"] = total
	cl2.Close()
	session.Print(out)
}
