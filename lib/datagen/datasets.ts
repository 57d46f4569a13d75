/**
 * The built-in datasets: small worlds with the shapes stream processing is taught with (skewed keys, sessions,
 * drifting sensors, random-walk prices, rare fraud, state machines, bursts of errors).
 *
 * Every factory writes its event time as an ISO-8601 string, so `from_json(..., "ts TIMESTAMP")` parses it.
 */
import { Random, round, clamp, isoTime } from "./random";
import {
  COUNTRIES, userId, userProfile, product, PRODUCT_COUNT, movie, MOVIE_COUNT, sensor, SYMBOLS, CITIES, driverId, hostName,
} from "./entities";
import type { DatasetDefinition } from "./types";

const iso = isoTime;

const users: DatasetDefinition = {
  name: "users",
  description: "User sign-ups, then profile updates (plan changes). Key user_id; orders, pageviews, payments, ratings and rides reference these ids.",
  fields: [
    { name: "user_id", type: "STRING" },
    { name: "event_type", type: "STRING", description: "signup for the first record of a user, then update" },
    { name: "name", type: "STRING" },
    { name: "email", type: "STRING" },
    { name: "country", type: "STRING" },
    { name: "region", type: "STRING" },
    { name: "plan", type: "STRING" },
    { name: "age", type: "INT" },
    { name: "signup_ts", type: "TIMESTAMP" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "user_id",
  defaultKeys: 1000,
  create({ rng, keys }) {
    let emitted = 0;
    return (t) => {
      // First every user signs up once, in id order; afterwards random users change plan.
      const signup = emitted < keys;
      const i = signup ? emitted + 1 : rng.zipf(keys);
      emitted++;
      const p = userProfile(i);
      const plan = signup ? p.plan : rng.weighted(["free", "plus", "pro", "enterprise"], [30, 35, 28, 7]);
      return {
        user_id: p.user_id, event_type: signup ? "signup" : "update", name: p.name, email: p.email, country: p.country,
        region: p.region, plan, age: p.age, signup_ts: iso(t - (signup ? 0 : p.tenureMs)), ts: iso(t),
      };
    };
  },
};

const products: DatasetDefinition = {
  name: "products",
  description: "The product catalog (ids p00001...), then price changes and stock updates. Orders reference these products.",
  fields: [
    { name: "product_id", type: "STRING" },
    { name: "name", type: "STRING" },
    { name: "category", type: "STRING" },
    { name: "price", type: "DOUBLE" },
    { name: "in_stock", type: "BOOLEAN" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "product_id",
  defaultKeys: PRODUCT_COUNT,
  create({ rng, keys }) {
    let emitted = 0;
    return (t) => {
      const first = emitted < keys;
      const i = first ? emitted + 1 : rng.int(1, keys);
      emitted++;
      const p = product(i);
      return {
        product_id: p.product_id, name: p.name, category: p.category,
        price: first ? p.price : round(p.price * rng.weighted([1, 0.9, 0.8, 1.1], [70, 15, 8, 7]), 2),
        in_stock: first ? true : rng.chance(0.93), ts: iso(t),
      };
    };
  },
};

const orders: DatasetDefinition = {
  name: "orders",
  description: "E-commerce orders: heavy-tailed customers and products, quantities and discounts, regional currencies. Key user_id (a customer's orders stay in order).",
  fields: [
    { name: "order_id", type: "STRING" },
    { name: "user_id", type: "STRING" },
    { name: "product_id", type: "STRING" },
    { name: "category", type: "STRING" },
    { name: "quantity", type: "INT" },
    { name: "unit_price", type: "DOUBLE" },
    { name: "discount", type: "DOUBLE" },
    { name: "amount", type: "DOUBLE" },
    { name: "currency", type: "STRING" },
    { name: "country", type: "STRING" },
    { name: "region", type: "STRING" },
    { name: "payment_method", type: "STRING" },
    { name: "status", type: "STRING" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "user_id",
  defaultKeys: 1000,
  references: [{ field: "user_id", dataset: "users" }, { field: "product_id", dataset: "products" }],
  create({ rng, keys }) {
    return (t) => {
      const u = userProfile(rng.zipf(keys));
      const p = product(rng.zipf(PRODUCT_COUNT));
      const quantity = rng.weighted([1, 2, 3, 4, 5], [62, 22, 9, 4, 3]);
      const discount = rng.weighted([0, 0.05, 0.1, 0.2], [75, 10, 10, 5]);
      return {
        order_id: `o-${rng.id(12)}`, user_id: u.user_id, product_id: p.product_id, category: p.category, quantity,
        unit_price: p.price, discount, amount: round(quantity * p.price * (1 - discount), 2), currency: u.currency,
        country: u.country, region: u.region,
        payment_method: rng.weighted(["card", "paypal", "apple_pay", "bank_transfer"], [60, 20, 15, 5]),
        status: rng.weighted(["placed", "paid", "cancelled"], [20, 75, 5]), ts: iso(t),
      };
    };
  },
};

const PAGES = ["/", "/search", "/products", "/product/detail", "/cart", "/checkout", "/account", "/help", "/blog", "/deals", "/category/electronics", "/category/home", "/category/books", "/about"];
const PAGE_WEIGHTS = [30, 18, 14, 16, 6, 3, 4, 2, 3, 6, 5, 4, 3, 1];

const pageviews: DatasetDefinition = {
  name: "pageviews",
  description: "Page views of a web shop: Zipf-popular pages, referrers, devices, log-normal dwell time. Key user_id.",
  fields: [
    { name: "view_id", type: "STRING" },
    { name: "user_id", type: "STRING" },
    { name: "url", type: "STRING" },
    { name: "referrer", type: "STRING" },
    { name: "device", type: "STRING" },
    { name: "browser", type: "STRING" },
    { name: "country", type: "STRING" },
    { name: "dwell_ms", type: "INT" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "user_id",
  defaultKeys: 1000,
  references: [{ field: "user_id", dataset: "users" }],
  create({ rng, keys }) {
    return (t) => {
      const u = userProfile(rng.zipf(keys));
      const device = rng.weighted(["mobile", "desktop", "tablet"], [55, 38, 7]);
      return {
        view_id: rng.id(14), user_id: u.user_id, url: rng.weighted(PAGES, PAGE_WEIGHTS),
        referrer: rng.weighted(["direct", "google", "newsletter", "twitter", "partner"], [40, 35, 10, 8, 7]),
        device, browser: device === "desktop" ? rng.weighted(["chrome", "firefox", "safari", "edge"], [60, 12, 15, 13]) : rng.weighted(["chrome", "safari", "samsung"], [50, 42, 8]),
        country: u.country, dwell_ms: Math.round(clamp(rng.lognormal(Math.log(9000), 1.0), 200, 900_000)), ts: iso(t),
      };
    };
  },
};

interface Session {
  id: string;
  user: string;
  seq: number;
  stage: "browse" | "cart" | "checkout";
}

const clickstream: DatasetDefinition = {
  name: "clickstream",
  description: "Sessions of clicks with a funnel (session_start, page_view, add_to_cart, checkout, purchase, session_end), interleaved across many live sessions: for session windows. Key session_id.",
  fields: [
    { name: "session_id", type: "STRING" },
    { name: "user_id", type: "STRING" },
    { name: "event_type", type: "STRING" },
    { name: "page", type: "STRING" },
    { name: "seq", type: "INT", description: "event number within the session" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "session_id",
  defaultKeys: 1000,
  references: [{ field: "user_id", dataset: "users" }],
  create({ rng, keys }) {
    const live: Session[] = [];
    const target = Math.max(1, Math.min(50, keys));
    return (t) => {
      if (live.length < target && (live.length === 0 || rng.chance(0.25))) {
        const s: Session = { id: `sess-${rng.id(10)}`, user: userId(rng.zipf(keys)), seq: 1, stage: "browse" };
        live.push(s);
        return { session_id: s.id, user_id: s.user, event_type: "session_start", page: "/", seq: 1, ts: iso(t) };
      }
      const idx = rng.int(0, live.length - 1);
      const s = live[idx];
      s.seq++;
      let event: string;
      let page = rng.weighted(PAGES, PAGE_WEIGHTS);
      const end = () => {
        live[idx] = live[live.length - 1];
        live.pop();
      };
      if (s.stage === "browse") {
        event = rng.weighted(["page_view", "add_to_cart", "session_end"], [80, 10, 10]);
        if (event === "add_to_cart") { s.stage = "cart"; page = "/product/detail"; }
      } else if (s.stage === "cart") {
        event = rng.weighted(["page_view", "checkout", "session_end"], [55, 30, 15]);
        if (event === "checkout") { s.stage = "checkout"; page = "/checkout"; }
      } else {
        event = rng.weighted(["purchase", "session_end"], [70, 30]);
        page = "/checkout";
      }
      if (event === "purchase") s.stage = "browse";
      if (event === "session_end") end();
      return { session_id: s.id, user_id: s.user, event_type: event, page, seq: s.seq, ts: iso(t) };
    };
  },
};

const iot: DatasetDefinition = {
  name: "iot",
  description: "IoT sensor readings: daily temperature cycle per site, slow calibration drift on some sensors, rare spikes (anomalies), draining batteries. Key sensor_id.",
  fields: [
    { name: "sensor_id", type: "STRING" },
    { name: "site", type: "STRING" },
    { name: "model", type: "STRING" },
    { name: "temperature", type: "DOUBLE" },
    { name: "humidity", type: "DOUBLE" },
    { name: "pressure", type: "DOUBLE" },
    { name: "battery", type: "DOUBLE" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "sensor_id",
  defaultKeys: 100,
  create({ rng, keys }) {
    const state = new Map<number, { readings: number; walk: number; battery: number }>();
    return (t) => {
      const i = rng.int(1, keys);
      const s = sensor(i);
      let st = state.get(i);
      if (!st) state.set(i, (st = { readings: 0, walk: 0, battery: rng.float(60, 100) }));
      st.readings++;
      st.walk = clamp(st.walk + rng.normal(0, 0.05), -2, 2);
      st.battery = Math.max(0, st.battery - rng.float(0, 0.004));
      const daily = 2.5 * Math.sin((2 * Math.PI * ((t / 3_600_000) % 24 - 9)) / 24);
      let temperature = s.baseTemp + daily + st.walk + s.driftPerReading * st.readings + rng.normal(0, 0.15);
      // About one reading in 200 is a spike: a door left open, a faulty probe.
      if (rng.chance(0.005)) temperature += rng.weighted([1, -1], [70, 30]) * rng.float(8, 25);
      return {
        sensor_id: s.sensor_id, site: s.site, model: s.model, temperature: round(temperature, 2),
        humidity: round(clamp(s.baseHumidity - daily * 1.5 + rng.normal(0, 1.5), 0, 100), 1),
        pressure: round(rng.normal(1013, 4), 1), battery: round(st.battery, 1), ts: iso(t),
      };
    };
  },
};

const trades: DatasetDefinition = {
  name: "trades",
  description: "Stock trades: prices follow a geometric random walk per symbol, popular symbols trade more, log-normal sizes. Key symbol.",
  fields: [
    { name: "trade_id", type: "STRING" },
    { name: "symbol", type: "STRING" },
    { name: "price", type: "DOUBLE" },
    { name: "quantity", type: "INT" },
    { name: "side", type: "STRING" },
    { name: "exchange", type: "STRING" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "symbol",
  defaultKeys: SYMBOLS.length,
  create({ rng, keys }) {
    const symbols = SYMBOLS.slice(0, Math.max(1, Math.min(keys, SYMBOLS.length)));
    const weights = symbols.map((s) => s.weight);
    const prices = new Map(symbols.map((s) => [s.symbol, s.price]));
    return (t) => {
      const s = rng.weighted(symbols, weights);
      // Per-trade volatility scaled so that a few thousand trades make a visible but plausible move.
      const price = prices.get(s.symbol)! * Math.exp(rng.normal(0, s.volatility / 400));
      prices.set(s.symbol, price);
      return {
        trade_id: `t-${rng.id(12)}`, symbol: s.symbol, price: round(price, 2),
        quantity: Math.max(1, Math.round(rng.lognormal(Math.log(60), 1.2))), side: rng.chance(0.5) ? "buy" : "sell",
        exchange: rng.weighted(["NASDAQ", "NYSE", "BATS", "IEX"], [45, 35, 15, 5]), ts: iso(t),
      };
    };
  },
};

const MERCHANTS = [
  { merchant: "FreshMart", category: "grocery" }, { merchant: "CityRide", category: "transport" },
  { merchant: "StreamFlix", category: "subscription" }, { merchant: "GadgetHub", category: "electronics" },
  { merchant: "CafeCorner", category: "restaurant" }, { merchant: "StyleLane", category: "fashion" },
  { merchant: "SkyTickets", category: "travel" }, { merchant: "HomeNest", category: "home" },
];
const MERCHANT_WEIGHTS = [25, 15, 10, 8, 22, 10, 4, 6];

const payments: DatasetDefinition = {
  name: "payments",
  description: "Card and wallet payments with about 1.5% fraud: fraudulent ones are larger, abroad, and often electronics or travel. Labelled is_fraud. Key user_id.",
  fields: [
    { name: "payment_id", type: "STRING" },
    { name: "user_id", type: "STRING" },
    { name: "amount", type: "DOUBLE" },
    { name: "currency", type: "STRING" },
    { name: "method", type: "STRING" },
    { name: "merchant", type: "STRING" },
    { name: "merchant_category", type: "STRING" },
    { name: "country", type: "STRING" },
    { name: "home_country", type: "STRING" },
    { name: "is_fraud", type: "BOOLEAN" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "user_id",
  defaultKeys: 1000,
  references: [{ field: "user_id", dataset: "users" }],
  create({ rng, keys }) {
    return (t) => {
      const u = userProfile(rng.zipf(keys));
      const fraud = rng.chance(0.015);
      const m = fraud ? rng.weighted(MERCHANTS, [2, 1, 1, 12, 1, 4, 10, 2]) : rng.weighted(MERCHANTS, MERCHANT_WEIGHTS);
      const country = fraud ? rng.pick(COUNTRIES.filter((c) => c.code !== u.country)).code : rng.chance(0.03) ? rng.pick(COUNTRIES).code : u.country;
      const amount = fraud ? rng.lognormal(Math.log(450), 0.7) : rng.lognormal(Math.log(32), 0.9);
      return {
        payment_id: `pay-${rng.id(12)}`, user_id: u.user_id, amount: round(amount, 2), currency: u.currency,
        method: rng.weighted(["card", "wallet", "bank", "bnpl"], fraud ? [85, 10, 2, 3] : [62, 24, 9, 5]),
        merchant: m.merchant, merchant_category: m.category, country, home_country: u.country, is_fraud: fraud, ts: iso(t),
      };
    };
  },
};

interface Ride {
  id: string;
  rider: string;
  driver: string | null;
  city: (typeof CITIES)[number];
  pickup: { lat: number; lon: number };
  dropoff: { lat: number; lon: number };
  distanceKm: number;
  state: "requested" | "accepted" | "started";
}

const rides: DatasetDefinition = {
  name: "rides",
  description: "Ride-hailing events per ride (requested, accepted, started, completed or cancelled) with pickup and drop-off coordinates as nested structs. Key ride_id.",
  fields: [
    { name: "ride_id", type: "STRING" },
    { name: "event_type", type: "STRING" },
    { name: "rider_id", type: "STRING" },
    { name: "driver_id", type: "STRING" },
    { name: "city", type: "STRING" },
    { name: "pickup", type: "STRUCT<lat: DOUBLE, lon: DOUBLE>" },
    { name: "dropoff", type: "STRUCT<lat: DOUBLE, lon: DOUBLE>" },
    { name: "distance_km", type: "DOUBLE" },
    { name: "fare", type: "DOUBLE", description: "set on completed" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "ride_id",
  defaultKeys: 1000,
  references: [{ field: "rider_id", dataset: "users" }],
  create({ rng, keys }) {
    const live: Ride[] = [];
    const cityWeights = CITIES.map((c) => c.weight);
    const target = Math.max(1, Math.min(40, keys));
    const point = (c: (typeof CITIES)[number]) => ({ lat: round(c.lat + rng.normal(0, 0.05), 5), lon: round(c.lon + rng.normal(0, 0.07), 5) });
    return (t) => {
      const out = (r: Ride, event: string, fare: number | null) => ({
        ride_id: r.id, event_type: event, rider_id: r.rider, driver_id: r.driver, city: r.city.city, pickup: r.pickup,
        dropoff: r.dropoff, distance_km: r.distanceKm, fare, ts: iso(t),
      });
      if (live.length < target && (live.length === 0 || rng.chance(0.3))) {
        const city = rng.weighted(CITIES, cityWeights);
        const pickup = point(city);
        const dropoff = point(city);
        const km = round(Math.max(0.5, Math.hypot((pickup.lat - dropoff.lat) * 111, (pickup.lon - dropoff.lon) * 111 * Math.cos((city.lat * Math.PI) / 180)) * 1.3), 2);
        const r: Ride = { id: `r-${rng.id(10)}`, rider: userId(rng.zipf(keys)), driver: null, city, pickup, dropoff, distanceKm: km, state: "requested" };
        live.push(r);
        return out(r, "requested", null);
      }
      const idx = rng.int(0, live.length - 1);
      const r = live[idx];
      const finish = () => {
        live[idx] = live[live.length - 1];
        live.pop();
      };
      if (r.state === "requested") {
        if (rng.chance(0.12)) { finish(); return out(r, "cancelled", null); }
        r.driver = driverId(rng.int(1, Math.max(10, Math.floor(keys / 4))));
        r.state = "accepted";
        return out(r, "accepted", null);
      }
      if (r.state === "accepted") {
        if (rng.chance(0.04)) { finish(); return out(r, "cancelled", null); }
        r.state = "started";
        return out(r, "started", null);
      }
      finish();
      const surge = rng.weighted([1, 1.3, 1.8], [80, 15, 5]);
      return out(r, "completed", round((r.city.fareBase + r.distanceKm * r.city.fareBase * 0.9) * surge, 2));
    };
  },
};

const LOG_PATHS = ["/api/orders", "/api/users", "/api/search", "/api/cart", "/health", "/api/payments", "/static/app.js", "/login"];
const LOG_PATH_WEIGHTS = [20, 12, 25, 12, 10, 8, 9, 4];
const SERVICES: Record<string, string> = { web: "frontend", api: "api-gateway", worker: "jobs", db: "postgres" };

const logs: DatasetDefinition = {
  name: "logs",
  description: "Server access logs: status codes, log-normal latencies, and occasional incidents where one host's errors and latency jump for a while. Key host.",
  fields: [
    { name: "host", type: "STRING" },
    { name: "service", type: "STRING" },
    { name: "level", type: "STRING" },
    { name: "method", type: "STRING" },
    { name: "path", type: "STRING" },
    { name: "status", type: "INT" },
    { name: "latency_ms", type: "DOUBLE" },
    { name: "bytes", type: "INT" },
    { name: "message", type: "STRING" },
    { name: "trace_id", type: "STRING" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "host",
  defaultKeys: 12,
  create({ rng, keys }) {
    const incident = new Map<number, number>();
    return (t) => {
      const i = rng.int(1, keys);
      const host = hostName(i);
      let left = incident.get(i) ?? 0;
      if (left === 0 && rng.chance(0.0005)) left = rng.int(100, 400);
      if (left > 0) incident.set(i, left - 1);
      const degraded = left > 0;
      const status = degraded
        ? rng.weighted([200, 500, 502, 503, 504], [50, 15, 10, 15, 10])
        : rng.weighted([200, 201, 204, 301, 304, 400, 401, 404, 429, 500, 503], [72, 5, 3, 1, 6, 3, 2, 5, 1, 1.5, 0.5]);
      const level = status >= 500 ? "ERROR" : status >= 400 ? "WARN" : rng.chance(0.03) ? "DEBUG" : "INFO";
      const latency = rng.lognormal(Math.log(degraded ? 400 : 35), degraded ? 0.9 : 0.7);
      const path = rng.weighted(LOG_PATHS, LOG_PATH_WEIGHTS);
      const method = path === "/api/orders" || path === "/api/payments" || path === "/login" ? rng.weighted(["POST", "GET"], [60, 40]) : "GET";
      const message = status >= 500 ? rng.pick(["upstream timeout", "connection reset by peer", "database unavailable", "internal error"]) : status >= 400 ? rng.pick(["not found", "bad request", "unauthorized", "rate limited"]) : "ok";
      return {
        host, service: SERVICES[host.split("-")[0]], level, method, path, status, latency_ms: round(latency, 1),
        bytes: status === 204 || status === 304 ? 0 : Math.round(rng.lognormal(Math.log(2400), 1)), message,
        trace_id: rng.id(16), ts: iso(t),
      };
    };
  },
};

const ratings: DatasetDefinition = {
  name: "ratings",
  description: "Movie ratings 1-5 (skewed toward 4), popular movies rated most, each movie with its own mean. Key user_id.",
  fields: [
    { name: "user_id", type: "STRING" },
    { name: "movie_id", type: "STRING" },
    { name: "title", type: "STRING" },
    { name: "genre", type: "STRING" },
    { name: "rating", type: "INT" },
    { name: "ts", type: "TIMESTAMP" },
  ],
  eventTimeField: "ts",
  keyField: "user_id",
  defaultKeys: 1000,
  references: [{ field: "user_id", dataset: "users" }],
  create({ rng, keys }) {
    return (t) => {
      const m = movie(rng.zipf(MOVIE_COUNT));
      const rating = Math.round(clamp(rng.normal(3.6 + m.quality, 1.0), 1, 5));
      return { user_id: userId(rng.zipf(keys)), movie_id: m.movie_id, title: m.title, genre: m.genre, rating, ts: iso(t) };
    };
  },
};

export const BUILTIN_DATASETS: readonly DatasetDefinition[] = [users, products, orders, pageviews, clickstream, iot, trades, payments, rides, logs, ratings];

// Short names people will type.
export const DATASET_ALIASES: Record<string, string> = {
  sensors: "iot", "iot-sensors": "iot", sessions: "clickstream", clicks: "clickstream", stocks: "trades",
  "stock-trades": "trades", "server-logs": "logs", serverlogs: "logs", "ride-events": "rides", movies: "ratings",
};

/** Re-exported so tests and notebooks can check ids against the same world. */
export { Random };
