package dev.streamlab.clients;

import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The KIP-848 consumer group protocol with the Java client (group.protocol=consumer, the AsyncKafkaConsumer):
 * two consumers of one group split a 4-partition topic, each committing what it read; one leaves and the other
 * takes every partition over, resuming from the commits; a third consumer started after the first closed reads
 * only what was produced after; the admin client describes the group (ConsumerGroupDescribe) and lists it with
 * its type. Prints one JSON object. Arguments: BOOTSTRAP PREFIX N.
 */
public final class ConsumerGroupCheck {
  static final Map<String, Integer> reads = new HashMap<>();

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], prefix = args[1];
    int n = Integer.parseInt(args[2]);
    String topic = prefix + "-t", group = prefix + "-g";
    Properties common = new Properties();
    common.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(common)) {
      try {
        admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
    }
    Properties pp = new Properties();
    pp.putAll(common);
    pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      produce(producer, topic, 0, n);
      KafkaConsumer<String, String> a = consumer(common, group, topic);
      await(() -> a.assignment().size() == 4, 60, a);
      int firstAlone = a.assignment().size();
      KafkaConsumer<String, String> b = consumer(common, group, topic);
      boolean split = await(() -> a.assignment().size() == 2 && b.assignment().size() == 2 && reads.size() >= n, 90, a, b);
      List<Integer> sizes = new ArrayList<>(List.of(a.assignment().size(), b.assignment().size()));
      Collections.sort(sizes);
      String describedWhileSplit;
      String listedType;
      try (Admin admin = Admin.create(common)) {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
        describedWhileSplit = d.type() + "/" + d.groupState() + "/" + d.members().size() + "/" + d.partitionAssignor();
        listedType = admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().filter(g -> g.groupId().equals(group)).map(g -> g.type().map(Object::toString).orElse("?")).findFirst().orElse("absent");
      }
      b.close(Duration.ofSeconds(30)); // leaves the group (member epoch -1)
      boolean tookOver = await(() -> a.assignment().size() == 4, 60, a);
      produce(producer, topic, n, n);
      await(() -> reads.size() >= 2 * n, 60, a);
      a.close(Duration.ofSeconds(30));
      KafkaConsumer<String, String> c = consumer(common, group, topic);
      await(() -> c.assignment().size() == 4, 60, c);
      int before = reads.size();
      produce(producer, topic, 2 * n, 8);
      await(() -> reads.size() >= 2 * n + 8, 60, c);
      Set<TopicPartition> all = new HashSet<>();
      for (int p = 0; p < 4; p++) all.add(new TopicPartition(topic, p));
      long committed = c.committed(all, Duration.ofSeconds(30)).values().stream().mapToLong(OffsetAndMetadata::offset).sum();
      c.close(Duration.ofSeconds(30));
      long redelivered = reads.values().stream().filter(v -> v > 1).count();
      System.out.println(String.format(
          "{\"firstAlone\":%d,\"split\":%b,\"sizes\":%s,\"describedWhileSplit\":\"%s\",\"listedType\":\"%s\",\"tookOver\":%b,\"distinct\":%d,\"redelivered\":%d,\"resumedReads\":%d,\"committed\":%d}",
          firstAlone, split, sizes, describedWhileSplit, listedType, tookOver, reads.size(), redelivered, reads.size() - before, committed));
    }
  }

  static void produce(KafkaProducer<String, String> producer, String topic, int start, int count) throws Exception {
    for (int i = start; i < start + count; i++) producer.send(new ProducerRecord<>(topic, i % 4, "k" + i, "v" + i));
    producer.flush();
  }

  static KafkaConsumer<String, String> consumer(Properties common, String group, String topic) {
    Properties cp = new Properties();
    cp.putAll(common);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    KafkaConsumer<String, String> c = new KafkaConsumer<>(cp);
    c.subscribe(List.of(topic));
    return c;
  }

  @SafeVarargs
  static boolean await(BooleanSupplier done, int seconds, KafkaConsumer<String, String>... consumers) {
    long end = System.currentTimeMillis() + seconds * 1000L;
    while (System.currentTimeMillis() < end && !done.getAsBoolean()) {
      for (KafkaConsumer<String, String> c : consumers) {
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, String> r : records) reads.merge(r.value(), 1, Integer::sum);
        if (!records.isEmpty()) c.commitSync();
      }
    }
    return done.getAsBoolean();
  }
}
