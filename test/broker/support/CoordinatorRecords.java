// Decodes __consumer_offsets records with Apache Kafka's own group coordinator serde (GroupCoordinatorRecordSerde,
// kafka 4.x on the reference classpath): one "KEYHEX VALUEHEX|-" pair per stdin line, one JSON line out per
// record, or "ERROR <message>" when Kafka cannot read it. Run with the single-file launcher:
// java -cp <kafka reference classpath> CoordinatorRecords.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.group.GroupCoordinatorRecordSerde;
import org.apache.kafka.coordinator.group.generated.CoordinatorRecordJsonConverters;

public class CoordinatorRecords {
  public static void main(String[] args) throws Exception {
    GroupCoordinatorRecordSerde serde = new GroupCoordinatorRecordSerde();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) continue;
      String[] kv = line.trim().split(" ");
      try {
        ByteBuffer key = ByteBuffer.wrap(HexFormat.of().parseHex(kv[0]));
        ByteBuffer value = kv[1].equals("-") ? null : ByteBuffer.wrap(HexFormat.of().parseHex(kv[1]));
        CoordinatorRecord r = serde.deserialize(key, value);
        String k = CoordinatorRecordJsonConverters.writeRecordKeyAsJson(r.key()).toString();
        String v = r.value() == null ? "null" : CoordinatorRecordJsonConverters.writeRecordValueAsJson(r.value().message(), r.value().version()).toString();
        System.out.println("{\"type\":" + r.key().apiKey() + ",\"key\":" + k + ",\"value\":" + v + "}");
      } catch (Exception e) {
        System.out.println("ERROR " + e);
      }
    }
  }
}
