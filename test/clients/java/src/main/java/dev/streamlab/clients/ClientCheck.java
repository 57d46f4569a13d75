package dev.streamlab.clients;

import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One client session for the client matrix: admin create/list/describe, produce N keyed records, consume them
 * in a group, commit, read the committed offsets back. Prints one JSON object. Arguments:
 * BOOTSTRAP TOPIC GROUP N [ASSIGNOR] and, for a secured listener, the environment variables
 * KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_TRUSTSTORE, KAFKA_TRUSTSTORE_PASSWORD.
 */
public final class ClientCheck {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2];
    int n = Integer.parseInt(args[3]);
    String assignor = args.length > 4 ? args[4] : "range";
    Properties common = new Properties();
    common.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    String protocol = System.getenv("KAFKA_SECURITY_PROTOCOL");
    if (protocol != null && !protocol.isEmpty()) {
      common.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
      String mechanism = System.getenv("KAFKA_SASL_MECHANISM");
      if (mechanism != null && !mechanism.isEmpty()) {
        common.put(SaslConfigs.SASL_MECHANISM, mechanism);
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule" : "org.apache.kafka.common.security.scram.ScramLoginModule";
        common.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + System.getenv("KAFKA_USERNAME") + "\" password=\"" + System.getenv("KAFKA_PASSWORD") + "\";");
      }
      String truststore = System.getenv("KAFKA_TRUSTSTORE");
      if (truststore != null && !truststore.isEmpty()) {
        common.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore);
        common.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, System.getenv("KAFKA_TRUSTSTORE_PASSWORD"));
        common.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
      }
    }
    StringBuilder out = new StringBuilder("{\"client\":\"java\",\"version\":\"" + org.apache.kafka.common.utils.AppInfoParser.getVersion() + "\"");

    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
      boolean listed = admin.listTopics().names().get(60, TimeUnit.SECONDS).contains(topic);
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic).partitions().size();
      out.append(",\"admin\":{\"created\":true,\"listed\":").append(listed).append(",\"partitions\":").append(partitions).append("}");
    }

    Properties pp = new Properties();
    pp.putAll(common);
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    TreeMap<Integer, Integer> producedPerPartition = new TreeMap<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      List<java.util.concurrent.Future<RecordMetadata>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) futures.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      for (var f : futures) producedPerPartition.merge(f.get(60, TimeUnit.SECONDS).partition(), 1, Integer::sum);
    }
    out.append(",\"produced\":").append(json(producedPerPartition));

    Properties cp = new Properties();
    cp.putAll(common);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    cp.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.equals("cooperative-sticky") ? CooperativeStickyAssignor.class.getName() : RangeAssignor.class.getName());
    cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    Set<String> values = new HashSet<>();
    int consumed = 0;
    TreeMap<Integer, Long> committed = new TreeMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (values.size() < n && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          consumed++;
          if (!r.value().equals("v" + r.key().substring(1))) throw new IllegalStateException("key/value mismatch " + r.key() + "=" + r.value());
          values.add(r.value());
        }
      }
      consumer.commitSync();
      Set<TopicPartition> parts = new HashSet<>();
      for (int p = 0; p < 3; p++) parts.add(new TopicPartition(topic, p));
      for (var e : consumer.committed(parts).entrySet()) committed.put(e.getKey().partition(), e.getValue() == null ? -1 : e.getValue().offset());
    }
    out.append(",\"consumed\":").append(consumed).append(",\"distinct\":").append(values.size()).append(",\"committed\":").append(jsonL(committed));

    try (Admin admin = Admin.create(common)) {
      var groups = admin.listConsumerGroups().all().get(60, TimeUnit.SECONDS).stream().map(ConsumerGroupListing::groupId).toList();
      var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
      long total = 0;
      for (var o : offsets.values()) total += o.offset();
      out.append(",\"groupListed\":").append(groups.contains(group)).append(",\"groupOffsetsTotal\":").append(total);
    }
    out.append("}");
    System.out.println(out);
  }

  private static String json(Map<Integer, Integer> m) {
    StringBuilder b = new StringBuilder("{");
    for (var e : m.entrySet()) b.append(b.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
    return b.append('}').toString();
  }

  private static String jsonL(Map<Integer, Long> m) {
    StringBuilder b = new StringBuilder("{");
    for (var e : m.entrySet()) b.append(b.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
    return b.append('}').toString();
  }
}
