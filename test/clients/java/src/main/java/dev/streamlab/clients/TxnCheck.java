package dev.streamlab.clients;

import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Exactly-once with the Java client: an aborted transaction, then consume-transform-produce (records read with
 * read_committed, transformed, written and their input offsets committed in one transaction each poll), a
 * zombie producer fenced by a newer one with the same transactional id, and a read_committed reader of the
 * output. Prints one JSON object. Arguments: BOOTSTRAP PREFIX N.
 */
public final class TxnCheck {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], prefix = args[1];
    int n = Integer.parseInt(args[2]);
    String in = prefix + "-in", out = prefix + "-out", group = prefix + "-g", txnId = prefix + "-app";
    Properties common = new Properties();
    common.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(in, 2, (short) 1), new NewTopic(out, 2, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
    Properties pp = new Properties();
    pp.putAll(common);
    pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> plain = new KafkaProducer<>(pp)) {
      for (int i = 0; i < n; i++) plain.send(new ProducerRecord<>(in, "k" + i, "in-" + i));
      plain.flush();
    }
    Properties tp = new Properties();
    tp.putAll(pp);
    tp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    KafkaProducer<String, String> producer = new KafkaProducer<>(tp);
    producer.initTransactions();
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(out, "x", "aborted"));
    producer.abortTransaction();

    Properties cp = new Properties();
    cp.putAll(common);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    int done = 0, transactions = 0;
    long committed = 0;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
      consumer.subscribe(List.of(in));
      long deadline = System.currentTimeMillis() + 90_000;
      while (done < n && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) continue;
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> r : records) {
          producer.send(new ProducerRecord<>(out, r.key(), "out-" + r.value()));
          offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          done++;
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
        transactions++;
      }
      for (OffsetAndMetadata o : consumer.committed(Set.of(new TopicPartition(in, 0), new TopicPartition(in, 1))).values()) if (o != null) committed += o.offset();
    }

    // A newer producer with the same transactional id fences this one.
    String fenced = "not fenced";
    try (KafkaProducer<String, String> fresh = new KafkaProducer<>(tp)) {
      fresh.initTransactions();
      try {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(out, "z", "zombie")).get(30, TimeUnit.SECONDS);
        producer.commitTransaction();
      } catch (Exception e) {
        Throwable c = e.getCause() != null && !(e instanceof ProducerFencedException) && !(e instanceof InvalidProducerEpochException) ? e.getCause() : e;
        fenced = c.getClass().getSimpleName();
      }
    }
    producer.close(Duration.ofSeconds(5));

    Properties rp = new Properties();
    rp.putAll(cp);
    rp.put(ConsumerConfig.GROUP_ID_CONFIG, group + "-reader");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(rp)) {
      reader.subscribe(List.of(out));
      long deadline = System.currentTimeMillis() + 60_000;
      int idle = 0;
      while (System.currentTimeMillis() < deadline && (values.size() < n || idle < 3)) {
        ConsumerRecords<String, String> records = reader.poll(Duration.ofMillis(500));
        if (records.isEmpty()) idle++;
        for (ConsumerRecord<String, String> r : records) values.add(r.value());
      }
    }
    Collections.sort(values);
    StringBuilder sb = new StringBuilder("{\"done\":" + done + ",\"committed\":" + committed + ",\"transactionsAtLeastOne\":" + (transactions > 0) + ",\"fenced\":\"" + fenced + "\",\"out\":[");
    for (int i = 0; i < values.size(); i++) sb.append(i > 0 ? "," : "").append('"').append(values.get(i)).append('"');
    System.out.println(sb.append("]}"));
  }
}
