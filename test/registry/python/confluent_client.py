"""Confluent's own Python client (confluent-kafka 2.x) against a schema registry and a Kafka broker.

argv: REGISTRY_URL BOOTSTRAP TOPIC MODE
  produce: registers via AvroSerializer, produces three Avro records and three JSON-Schema records, prints ids
  consume: reads TOPIC from the beginning with AvroDeserializer, prints the decoded records as JSON lines
  admin:   SchemaRegistryClient calls, prints what they return
  read FORMAT N: reads N values of TOPIC from the beginning with AvroDeserializer (FORMAT avro) or
           JSONDeserializer (FORMAT json), both taking the writer's schema from the registry by the id in
           each value's frame; prints one JSON line per record (datetimes as epoch milliseconds)
  read protobuf N DESCRIPTOR MESSAGE: ProtobufDeserializer with a message class that Google's protobuf builds
           from DESCRIPTOR (a base64 FileDescriptorProto of the registered .proto); values as MessageToDict
"""
import json
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

url, bootstrap, topic, mode = sys.argv[1:5]
client = SchemaRegistryClient({"url": url})

ORDER = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "string"}, {"name": "amount", "type": "double"}, {"name": "qty", "type": "int"}]})

if mode == "produce":
    ser = AvroSerializer(client, ORDER)
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(3):
        value = ser({"id": f"o{i}", "amount": 1.5 * i, "qty": i}, SerializationContext(topic, MessageField.VALUE))
        p.produce(topic, value=value, key=f"o{i}")
    event = json.dumps({"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}, "required": ["name"]})
    jser = JSONSerializer(event, client)
    for i in range(3):
        p.produce(topic + "-json", value=jser({"name": f"e{i}", "n": i}, SerializationContext(topic + "-json", MessageField.VALUE)))
    p.flush(30)
    print(json.dumps({"latest": client.get_latest_version(topic + "-value").schema_id,
                      "json": client.get_latest_version(topic + "-json-value").schema_id}))
elif mode == "consume":
    de = AvroDeserializer(client)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sr-test-" + topic, "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = []
    while len(got) < 3:
        m = c.poll(10)
        if m is None:
            break
        if m.error():
            continue
        got.append(de(m.value(), SerializationContext(topic, MessageField.VALUE)))
    c.close()
    for g in got:
        print(json.dumps(g))
elif mode == "admin":
    sid = client.register_schema("py-admin-value", Schema(ORDER, "AVRO"))
    again = client.register_schema("py-admin-value", Schema(ORDER, "AVRO"))
    looked = client.lookup_schema("py-admin-value", Schema(ORDER, "AVRO"))
    client.set_compatibility("py-admin-value", "FULL")
    level = client.get_compatibility("py-admin-value")
    breaking = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "int"}]})
    compatible = client.test_compatibility("py-admin-value", Schema(breaking, "AVRO"))
    try:
        client.register_schema("py-admin-value", Schema(breaking, "AVRO"))
        refused = None
    except Exception as e:  # SchemaRegistryError
        refused = {"http": getattr(e, "http_status_code", None), "code": getattr(e, "error_code", None)}
    versions = client.get_versions("py-admin-value")
    deleted = client.delete_subject("py-admin-value")
    print(json.dumps({"id": sid, "again": again, "version": looked.version, "level": level, "compatible": compatible,
                      "refused": refused, "versions": versions, "deleted": deleted,
                      "subjects": client.get_subjects()}))
elif mode == "read":
    fmt, n = sys.argv[5], int(sys.argv[6])
    if fmt == "avro":
        de = AvroDeserializer(client)
    elif fmt == "protobuf":
        import base64
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
        from google.protobuf.json_format import MessageToDict
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
        pool = descriptor_pool.DescriptorPool()
        pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(sys.argv[7])))
        cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(sys.argv[8]))
        pde = ProtobufDeserializer(cls, {"use.deprecated.format": False})
        de = lambda v, ctx: MessageToDict(pde(v, ctx), preserving_proto_field_name=True)
    else:
        de = JSONDeserializer(None, schema_registry_client=client)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sr-read-" + topic, "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = []
    while len(got) < n:
        m = c.poll(15)
        if m is None:
            break
        if m.error():
            continue
        got.append({"offset": m.offset(), "key": m.key().decode() if m.key() else None,
                    "schema_id": int.from_bytes(m.value()[1:5], "big"),
                    "value": de(m.value(), SerializationContext(topic, MessageField.VALUE))})
    c.close()

    def plain(x):
        if hasattr(x, "timestamp"):
            return round(x.timestamp() * 1000)
        raise TypeError(f"cannot print {type(x)}")

    for g in got:
        print(json.dumps(g, default=plain))
