/**
 * What each example notebook must show when it ran, beyond "no errors": the content a reader of the notebook
 * is promised in its markdown. Applied to the outputs of both `streamlab run` and `jupyter nbconvert --execute`.
 */
import { expect } from "vitest";
import { allText, type Notebook } from "./support";

export const EXPECTED_NOTEBOOKS = [
  "01-quickstart.ipynb",
  "02-datagen-tour.ipynb",
  "03-windows-and-watermarks.ipynb",
  "04-live-dashboard.ipynb",
  "05-pipeline-to-topic.ipynb",
  "06-bad-data.ipynb",
  "07-real-kafka.ipynb",
  "08-streaming-sql.ipynb",
  "09-joins-and-state.ipynb",
  "10-avro-and-schema-registry.ipynb",
];

/** What the test knows about the run: the address of the separate broker 07-real-kafka was given. */
export interface RunContext {
  externalBootstrap?: string;
}

type Check = (nb: Notebook, text: string, context: RunContext) => void;

/** Rows of a text table that hold all these cells in order (ignoring the column padding). */
function hasRow(text: string, ...cells: (string | number)[]): boolean {
  const pattern = cells.map((c) => String(c).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s|]+");
  return new RegExp(`(^|[\\s|])${pattern}([\\s|]|$)`, "m").test(text);
}

export const CHECKS: Record<string, Check> = {
  "01-quickstart.ipynb": (_nb, text) => {
    expect(text).toMatch(/sent 5 messages to test_topic/);
    // The console sink's first batch and the live table hold the produced records, parsed into columns.
    expect(text).toContain("Batch: 0");
    for (const [key, value] of [["alice", 1], ["bob", 2], ["carol", 3], ["alice", 4], ["bob", 5], ["dave", 6], ["erin", 7]] as const) {
      expect(hasRow(text, key, value), `a table row ${key} | ${value}`).toBe(true);
    }
    expect(text).toMatch(/query: quickstart_records \| state: stopped/);
    expect(text).toContain("7 of 7 rows");
    // Running totals per key (complete mode, memory sink).
    expect(hasRow(text, "alice", 5, 2)).toBe(true);
    expect(hasRow(text, "bob", 7, 2)).toBe(true);
    // The consumer group read everything, then only what came after its committed offsets.
    expect(text).toMatch(/quickstart-readers\s+\S+\s+\d+\s+test_topic\s+0/);
    expect(text).toMatch(/test_topic: 1 read/);
  },
  "02-datagen-tour.ipynb": (_nb, text) => {
    // Every built-in dataset got its own topic, and each generator finished.
    for (const name of ["users", "products", "orders", "pageviews", "clickstream", "iot", "trades", "payments", "rides", "logs", "ratings"]) {
      expect(hasRow(text, `datagen-tour_${name}`, name, `tour_${name}`, "finished", 20), `generator row for ${name}`).toBe(true);
    }
    expect(text).toContain("same seed, same records");
    const messy = /sent 200: (\d+) late, (\d+) malformed/.exec(text);
    expect(messy, "the late/bad generator's summary").not.toBeNull();
    expect(Number(messy![1])).toBeGreaterThan(0);
    expect(Number(messy![2])).toBeGreaterThan(0);
    expect(hasRow(text, "malformed", messy![2])).toBe(true);
    expect(text).toMatch(/DDL: user STRING, ts TIMESTAMP/);
    expect(text).toMatch(/tour_signups: 5 read/);
  },
  "03-windows-and-watermarks.ipynb": (_nb, text) => {
    // Tumbling: the late event counted without a watermark; session of a from 00:00:01 to 00:00:09.
    expect(hasRow(text, "2024-01-01 00:00:00", "2024-01-01 00:00:10", "a", 3)).toBe(true);
    expect(hasRow(text, "2023-12-31 23:59:55", "2024-01-01 00:00:05", "a", 3)).toBe(true);
    expect(hasRow(text, "2024-01-01 00:00:01", "2024-01-01 00:00:09", "a", 3)).toBe(true);
    // Side by side: 3 events and nothing dropped without a watermark, 2 and 1 dropped with it.
    expect(hasRow(text, "no watermark", 3, 0)).toBe(true);
    expect(hasRow(text, "watermark 5 s", 2, 1)).toBe(true);
    expect(hasRow(text, 3, 2, "2024-01-01 00:00:35", 1)).toBe(true);
    for (const mode of ["append", "update", "complete"]) expect(text).toContain(`outputMode("${mode}")`);
    expect(text).toMatch(/refused: Append output mode not supported/);
  },
  "04-live-dashboard.ipynb": (nb, text) => {
    // Four live views, each stopped with its final state kept, and the %streams dashboard listing them.
    for (const query of ["by_region", "revenue_over_time", "by_category", "newest_orders"]) {
      expect(text).toMatch(new RegExp(`query: ${query} \\| state: stopped`));
      expect(hasRow(text, query)).toBe(true);
    }
    expect(text).toMatch(/update mode, keyed by region/);
    expect(text).toMatch(/line chart of revenue by time, colored by region: [1-9]\d* points/);
    expect(text).toMatch(/bar chart of orders by category: [1-9]\d* points/);
    expect(text).toContain("still active: 0 queries, 0 generators");
    // The charts carry vega-lite and an SVG rendering made in Node, so exported HTML shows them.
    const bundles = nb.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data ?? {});
    expect(bundles.filter((d) => d["application/vnd.vegalite.v5+json"] !== undefined && d["image/svg+xml"] !== undefined).length).toBe(2);
  },
  "05-pipeline-to-topic.ipynb": (_nb, text) => {
    expect(text).toMatch(/first run: read 300 orders/);
    expect(text).toMatch(/second run: read 200 orders \(only the new ones\)/);
    expect(hasRow(text, "orders read, first run + second run", 500)).toBe(true);
    const expected = /big paid orders expected\|\s*(\d+)\|/.exec(text);
    expect(expected, "the expected count").not.toBeNull();
    expect(Number(expected![1])).toBeGreaterThan(0);
    expect(hasRow(text, "records in pipe_big_orders", expected![1])).toBe(true);
    expect(hasRow(text, "distinct order ids in pipe_big_orders", expected![1])).toBe(true);
    expect(text).toContain("no loss, no duplicates: the output matches the expected orders exactly");
    expect(text).toMatch(/Avery Chen|Lena Fischer|Haruto Sato|Camila Rocha/);
  },
  "06-bad-data.ipynb": (_nb, text) => {
    const sent = /sent 100 payments, (\d+) of them malformed/.exec(text);
    expect(sent).not.toBeNull();
    const bad = Number(sent![1]) + 2;
    expect(text).toContain(`102 rows, ${bad} with _corrupt_record`);
    expect(text).toContain('"this is not JSON at all"');
    expect(hasRow(text, "bad_payments_dlq", 1, bad)).toBe(true);
    expect(text).toContain(`kept ${102 - bad} of 102 records`);
    expect(text).toMatch(/the query failed, as it should: .*FAILFAST/);
    expect(text).toContain("isActive: false, exception recorded: true");
    expect(hasRow(text, 10, 55)).toBe(true);
    expect(text).toContain("every record counted exactly once across the outage (20 records, total 210)");
  },
  "07-real-kafka.ipynb": (nb, text, { externalBootstrap }) => {
    // It connects with a magic line whose address comes from a variable ({bootstrap} expansion).
    expect(JSON.stringify(nb)).toContain("%kafka connect {bootstrap}");
    // The tests give it a broker in a separate process through KAFKA_BOOTSTRAP_SERVERS: %kafka connect used it.
    expect(externalBootstrap, "the test started a separate broker for 07").toBeDefined();
    expect(text).toContain(`using the cluster at ${externalBootstrap} (from KAFKA_BOOTSTRAP_SERVERS)`);
    expect(text).toContain(`connected to ${externalBootstrap}: external cluster`);
    expect(text).toMatch(/refused: %kafka connect: environment variable STREAMLAB_EXAMPLE_PASSWORD_NOT_SET is not set/);
    expect(text).toContain("200 orders read from real_orders");
    expect(text).toContain("from an external cluster");
    expect(text).toMatch(/real_orders\s+3\s+200/);
    expect(text).toMatch(/real-readers\s+\S+\s+\d+\s+real_greetings\s+0/);
    expect(text).not.toMatch(/embedded broker/);
  },
  "09-joins-and-state.ipynb": (_nb, text) => {
    // The left outer join: five orders paid within 15 minutes, o3 (paid too late) and o5 (never) unpaid.
    expect(hasRow(text, "o2", "c2", 40, "2024-01-01 10:01:00", "p2", "2024-01-01 10:04:00", "false")).toBe(true);
    expect(hasRow(text, "o4", "c1", 60, "2024-01-01 10:03:00", "p3", "2024-01-01 10:05:00", "false")).toBe(true);
    expect(hasRow(text, "o6", "c2", 15, "2024-01-01 10:20:00", "p9", "2024-01-01 10:22:00", "false")).toBe(true);
    expect(hasRow(text, "o1", "c1", 25, "2024-01-01 10:00:00", "p1", "2024-01-01 10:02:00", "false")).toBe(true);
    expect(hasRow(text, "o7", "c5", 30, "2024-01-01 10:40:00", "p11", "2024-01-01 10:41:00", "false")).toBe(true);
    expect(hasRow(text, "o3", "c3", 12.5, "2024-01-01 10:02:00", "null", "null", "true")).toBe(true);
    expect(hasRow(text, "o5", "c4", 99, "2024-01-01 10:05:00", "null", "null", "true")).toBe(true);
    expect(text).toMatch(/query: orders_payments \| state: stopped/);
    // The unpaid orders came out when the watermark (min over both streams) passed 10:35, and left the state.
    expect(hasRow(text, 1, 0, "2024-01-01 10:35:00", 3, 2)).toBe(true);
    // %state on the stopped join: the orders and payment still within 15 minutes of the watermark, and the batch
    // that evicted the rest.
    expect(text).toMatch(/operator 0: stream-stream join \(symmetricHashJoin\), 3 rows/);
    expect(hasRow(text, "left-keyToValues", "o7", "o7", "c5", 30, "2024-01-01 10:40:00")).toBe(true);
    expect(hasRow(text, 1, "2024-01-01 10:35:00", 3, 0, 10, 0)).toBe(true);
    // %state on the fraud rule: the processor's stores, and c9 gone from them once its timer closed the case.
    expect(text).toMatch(/operator 0: transformWithStateExec[^\n]*\n[^\n]*\nrecent: key struct<key:string>/);
    // The fraud rule: c9 flagged at its fourth payment, the case closed by its event-time timer.
    expect(hasRow(text, "c9", "FLAGGED", 4, "2024-01-01 10:13:00")).toBe(true);
    expect(hasRow(text, "c9", "case closed", 0, "2024-01-01 10:24:00")).toBe(true);
    expect(text).toMatch(/query: fraud_alerts \| state: stopped/);
    expect(text).toMatch(/GroupState transformWithState, EventTime, append/);
    expect(text).toMatch(/refused: toPySpark: transformWithState runs its StatefulProcessor in TypeScript/);
  },
  "08-streaming-sql.ipynb": (_nb, text) => {
    // Both views are listed; the %stream view and the USING kafka view read the same eight clicks.
    expect(hasRow(text, "clicks", "true")).toBe(true);
    expect(hasRow(text, "clicks_slow", "true")).toBe(true);
    expect(text).toMatch(/query: clicks_per_window \| state: stopped/);
    expect(text).toMatch(/line chart of clicks by time: [1-9]\d* points/);
    expect(hasRow(text, "home", 4, 2)).toBe(true);
    expect(hasRow(text, "cart", 3, 2)).toBe(true);
    // The changelog: batches of two records, so rows are inserted, then updated (-U old, +U new).
    expect(text).toMatch(/changelog of page_changes: 11 changes/);
    expect(hasRow(text, "-U", 1, "home", 1)).toBe(true);
    expect(hasRow(text, "+U", 1, "home", 3)).toBe(true);
    expect(hasRow(text, "+I", 3, "checkout", 1)).toBe(true);
    // The late click (cart at 00:00:02) with the watermark that dropped it, and in the dead-letter topic.
    expect(hasRow(text, "2024-01-01 00:00:02", "2024-01-01 00:00:35", "cart", 3)).toBe(true);
    expect(text).toContain("late rows dropped: 1");
    expect(text).toMatch(/sql_clicks_late: 1 read/);
    expect(hasRow(text, "2024-01-01 00:00:40", "2024-01-01 00:00:50", "home", 1)).toBe(true);
    expect(text).toContain("== Analyzed Logical Plan ==");
    expect(text).toMatch(/\[PARSE_SYNTAX_ERROR\] Syntax error at or near end of input\. SQLSTATE: 42601 \(line 1, pos 42\)/);
    expect(text).toContain("Did you mean one of the following? [`page`");
    expect(text).toContain("Did you mean `clicks`?");
    expect(text).toContain('result = spark.sql("SELECT page, count(*) AS views FROM clicks GROUP BY page")');
    expect(text).toContain("still active: 0 queries");
  },
  "10-avro-and-schema-registry.ipynb": (_nb, text) => {
    // %kafka start names the broker and the registry on one line.
    expect(text).toMatch(/started the embedded Kafka broker at 127\.0\.0\.1:\d+, schema registry at http:\/\/127\.0\.0\.1:\d+ \(/);
    // datagen in Avro, registered under TOPIC-value; %tail shows the schema id; %stream read it without --schema.
    const sent = /sent 300 Avro orders, framed with schema id (\d+) of subject avro_orders-value/.exec(text);
    expect(sent, "the Avro generator's line").not.toBeNull();
    expect(text).toContain(`avro_orders-value: version 1, schema id ${sent![1]}`);
    expect(text).toMatch(/order_id: \["null","string"\]/);
    expect(text).toMatch(/key\s+schema id\s+value/);
    expect(text).toMatch(/orders: streaming DataFrame from topic 'avro_orders' \(Avro values, schema from subject avro_orders-value at http:\/\/127\.0\.0\.1:\d+\)/);
    expect(text).toMatch(/\|-- ts: timestamp \(nullable = true\)/);
    // The windowed query over Avro counted every order; from_avro read them all too.
    expect(text).toMatch(/windowed query over Avro: 300 orders in [1-9]\d* \(window, region\) rows/);
    expect(text).toContain("from_avro read 300 orders");
    // Evolution: two versions, one query reads both; the incompatible third is refused with the registry's message.
    expect(text).toContain("shipments-value versions: [1,2]");
    // The version-1 shipments read with version 2's schema: carrier is its default, null.
    for (const id of ["s-001", "s-002", "s-003"]) expect(text, id).toMatch(new RegExp(`\\|\\s*${id}\\|\\s*[\\d.]+\\|\\s*null\\|`));
    for (const id of ["s-004", "s-005", "s-006"]) expect(text, id).toMatch(new RegExp(`\\|\\s*${id}\\|\\s*[\\d.]+\\|\\s*(DHL|UPS)\\|`));
    expect(text).toContain("one query, two schema versions: 3 shipments without a carrier (version 1), 3 with one (version 2)");
    expect(text).toMatch(/failed, 0 sent; refused by the registry: schema registry at \S+: Schema being registered is incompatible with an earlier schema for subject "shipments-value"/);
    // Bad records: as many nulls as undecodable records (PERMISSIVE), and FAILFAST names offset and schema id.
    const bad = /sent 100 orders, (\d+) of them undecodable/.exec(text);
    expect(bad).not.toBeNull();
    expect(Number(bad![1])).toBeGreaterThan(0);
    expect(text).toContain(`PERMISSIVE: 100 rows, ${bad![1]} of them nulls`);
    expect(text).toMatch(/the query failed, as it should: .*malformed Avro record (with schema id \d+ )?.*FAILFAST.*offset \d+/);
    // Protobuf: the .proto datagen registered, nested structs and Timestamp in the schema, every event decoded.
    expect(text).toContain('import "google/protobuf/timestamp.proto";');
    expect(text).toMatch(/\(Protobuf values, schema from subject proto_rides-value/);
    expect(text).toMatch(/\|-- pickup: struct \(nullable = true\)\n \|    \|-- lat: double/);
    expect(text).toContain("Protobuf: 50 ride events decoded");
  },
};

export function checkContent(name: string, nb: Notebook, context: RunContext = {}): void {
  const check = CHECKS[name];
  expect(check, `test/notebooks/checks.ts has content checks for ${name}`).toBeDefined();
  check!(nb, allText(nb), context);
}
