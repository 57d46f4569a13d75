package dev.streamlab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Registry-framed Avro from Java, without Confluent's serializer: Kafka's Java client moves the bytes, Apache
 * Avro's Java library encodes and decodes the payloads, the schema registry is asked over its REST API.
 *
 * read BOOTSTRAP REGISTRY TOPIC N: consumes N values from the beginning; each one's writer schema is fetched by
 *   the id in its frame; prints one JSON line per value: {"offset", "schema_id", "value"}.
 * write BOOTSTRAP REGISTRY TOPIC N: registers a record schema under TOPIC-value, writes N framed records
 *   {id: "j-i", n: i, price: i * 1.25, ts: 1700000000000 + i * 1000}; prints {"schema_id"}.
 */
public final class AvroCheck {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private static JsonNode call(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", CONTENT_TYPE).timeout(Duration.ofSeconds(30));
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()) : b.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException(method + " " + url + ": HTTP " + r.statusCode() + " " + r.body());
    return JSON.readTree(r.body());
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0], bootstrap = args[1], registry = args[2], topic = args[3];
    int n = Integer.parseInt(args[4]);
    if (mode.equals("read")) read(bootstrap, registry, topic, n);
    else if (mode.equals("write")) write(bootstrap, registry, topic, n);
    else throw new IllegalArgumentException("mode must be read or write, not " + mode);
  }

  private static void read(String bootstrap, String registry, String topic, int n) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "registry-java-" + topic);
    p.put("auto.offset.reset", "earliest");
    Map<Integer, Schema> schemas = new HashMap<>();
    int seen = 0;
    long deadline = System.currentTimeMillis() + 60_000;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      while (seen < n && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(500))) {
          ByteBuffer buf = ByteBuffer.wrap(rec.value());
          if (buf.get() != 0) throw new IllegalStateException("offset " + rec.offset() + ": no magic byte");
          int id = buf.getInt();
          Schema schema = schemas.get(id);
          if (schema == null) {
            schema = new Schema.Parser().parse(call("GET", registry + "/schemas/ids/" + id, null).get("schema").asText());
            schemas.put(id, schema);
          }
          GenericRecord value = new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(rec.value(), 5, rec.value().length - 5, null));
          System.out.println("{\"offset\":" + rec.offset() + ",\"schema_id\":" + id + ",\"value\":" + GenericData.get().toString(value) + "}");
          if (++seen >= n) break;
        }
      }
    }
    if (seen < n) throw new IllegalStateException("only " + seen + " of " + n + " values arrived");
  }

  private static void write(String bootstrap, String registry, String topic, int n) throws Exception {
    String schemaText = "{\"type\":\"record\",\"name\":\"JavaRecord\",\"namespace\":\"dev.streamlab\",\"fields\":["
        + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"n\",\"type\":\"int\"},{\"name\":\"price\",\"type\":\"double\"},"
        + "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";
    Schema schema = new Schema.Parser().parse(schemaText);
    String body = JSON.writeValueAsString(Map.of("schema", schemaText));
    int id = call("POST", registry + "/subjects/" + topic + "-value/versions", body).get("id").asInt();
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(schema);
      for (int i = 0; i < n; i++) {
        GenericRecord r = new GenericData.Record(schema);
        r.put("id", "j-" + i);
        r.put("n", i);
        r.put("price", i * 1.25);
        r.put("ts", 1_700_000_000_000L + i * 1000L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        writer.write(r, enc);
        enc.flush();
        producer.send(new ProducerRecord<>(topic, 0, "j-" + i, out.toByteArray())).get();
      }
    }
    System.out.println("{\"schema_id\":" + id + "}");
  }
}
