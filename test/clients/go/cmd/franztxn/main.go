// franz-go exactly-once session for the differential transaction scenarios: records in PREFIX-in are read with
// a GroupTransactSession (read_committed, offsets committed in each transaction), transformed into PREFIX-out;
// then an aborted transaction and a zombie transactional client fenced by a newer one with the same
// transactional id; a read_committed reader lists what PREFIX-out holds. Prints one JSON object.
// Usage: franztxn BOOTSTRAP PREFIX N
package main

import (
	"context"
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"streamlab.dev/test/clients/internal/session"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// errName is the Kafka error name of err (kerr), "none" for nil, else the error's first word.
func errName(err error) string {
	if err == nil {
		return "none"
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return strings.SplitN(err.Error(), ":", 2)[0]
}

func main() {
	bootstrap, prefix := os.Args[1], os.Args[2]
	n, _ := strconv.Atoi(os.Args[3])
	in, out, group, txnID := prefix+"-in", prefix+"-out", prefix+"-g", prefix+"-app"
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	result := map[string]any{}

	plain, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		session.Fail("client", err)
	}
	adm := kadm.NewClient(plain)
	created, err := adm.CreateTopics(ctx, 2, 1, nil, in, out)
	if err == nil {
		err = created.Error()
	}
	if err != nil {
		session.Fail("create topics", err)
	}
	for i := 0; i < n; i++ {
		if err := plain.ProduceSync(ctx, &kgo.Record{Topic: in, Key: []byte("k" + strconv.Itoa(i)), Value: []byte("in-" + strconv.Itoa(i))}).FirstErr(); err != nil {
			session.Fail("produce input", err)
		}
	}

	// Exactly-once consume-transform-produce.
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(bootstrap),
		kgo.TransactionalID(txnID),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		session.Fail("transact session", err)
	}
	done, transactions := 0, 0
	deadline := time.Now().Add(60 * time.Second)
	for done < n && time.Now().Before(deadline) {
		pollCtx, pollCancel := context.WithTimeout(ctx, 2*time.Second)
		fetches := sess.PollFetches(pollCtx)
		pollCancel()
		var records []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) { records = append(records, r) })
		if len(records) == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			session.Fail("begin", err)
		}
		for _, r := range records {
			sess.Produce(ctx, &kgo.Record{Topic: out, Key: r.Key, Value: append([]byte("out-"), r.Value...)}, nil)
		}
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil {
			session.Fail("end", err)
		}
		if committed {
			done += len(records)
			transactions++
		}
	}
	sess.Close()
	result["done"] = done
	result["transactionsAtLeastOne"] = transactions > 0

	// Kafka writes the transaction's offsets just after EndTxn answers: read them until they are there (10 s at most).
	var committed int64
	for i := 0; i < 50; i++ {
		offsets, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			session.Fail("fetch offsets", err)
		}
		committed = 0
		offsets.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil {
				committed += o.At
			}
		})
		if committed >= int64(done) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	result["committed"] = committed

	// An aborted transaction, then a zombie: a newer client with the same transactional id fences the older one.
	older, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.TransactionalID(txnID+"-z"), kgo.DefaultProduceTopic(out))
	if err != nil {
		session.Fail("older client", err)
	}
	if err := older.BeginTransaction(); err != nil {
		session.Fail("begin older", err)
	}
	abortedErr := older.ProduceSync(ctx, &kgo.Record{Value: []byte("aborted")}).FirstErr()
	result["abort"] = map[string]string{"produce": errName(abortedErr), "end": errName(older.EndTransaction(ctx, kgo.TryAbort))}
	if err := older.BeginTransaction(); err != nil {
		session.Fail("begin older again", err)
	}
	before := older.ProduceSync(ctx, &kgo.Record{Value: []byte("fenced-before-commit")}).FirstErr()
	newer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.TransactionalID(txnID+"-z"), kgo.DefaultProduceTopic(out))
	if err != nil {
		session.Fail("newer client", err)
	}
	if err := newer.BeginTransaction(); err != nil {
		session.Fail("begin newer", err)
	}
	newerErr := newer.ProduceSync(ctx, &kgo.Record{Value: []byte("from-newer")}).FirstErr()
	newerEnd := newer.EndTransaction(ctx, kgo.TryCommit)
	zombieCtx, zombieCancel := context.WithTimeout(ctx, 20*time.Second)
	zombieProduce := older.ProduceSync(zombieCtx, &kgo.Record{Value: []byte("zombie")}).FirstErr()
	zombieEnd := older.EndTransaction(zombieCtx, kgo.TryCommit)
	zombieCancel()
	result["zombie"] = map[string]any{
		"firstProduce": errName(before),
		"refused":      zombieProduce != nil || zombieEnd != nil,
		"produce":      errName(zombieProduce),
		"end":          errName(zombieEnd),
		"newer":        map[string]string{"produce": errName(newerErr), "end": errName(newerEnd)},
	}
	older.Close()
	newer.Close()

	// What a read_committed reader sees of the output.
	reader, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(out), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		session.Fail("reader", err)
	}
	var values []string
	idle := 0
	readDeadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(readDeadline) && (len(values) < n+1 || idle < 3) {
		pollCtx, pollCancel := context.WithTimeout(ctx, time.Second)
		fetches := reader.PollFetches(pollCtx)
		pollCancel()
		got := 0
		fetches.EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)); got++ })
		if got == 0 {
			idle++
		}
	}
	reader.Close()
	sort.Strings(values)
	result["out"] = values
	plain.Close()
	session.Print(result)
}
