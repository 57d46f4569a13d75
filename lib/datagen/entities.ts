/**
 * The shared world the built-in datasets draw from: users, products, movies, sensors, symbols, hosts.
 *
 * An entity's attributes depend only on its id (not on a stream's seed), so every dataset agrees about it:
 * the user u000042 that an order references has the country the users topic says, whatever seeds the two
 * generators ran with. Ids run 1..N, so a users stream and an orders stream with the same `--keys N` refer to
 * exactly the same people (referential integrity).
 */
import { Random, round } from "./random";

const WORLD_SEED = "streamlab-world-v1";

export interface Country {
  code: string;
  region: string;
  currency: string;
  /** Share of users living there (weights). */
  weight: number;
  lat: number;
  lon: number;
}

export const COUNTRIES: readonly Country[] = [
  { code: "US", region: "NA", currency: "USD", weight: 30, lat: 39.8, lon: -98.6 },
  { code: "CA", region: "NA", currency: "CAD", weight: 5, lat: 56.1, lon: -106.3 },
  { code: "MX", region: "LATAM", currency: "MXN", weight: 4, lat: 23.6, lon: -102.5 },
  { code: "BR", region: "LATAM", currency: "BRL", weight: 6, lat: -14.2, lon: -51.9 },
  { code: "GB", region: "EMEA", currency: "GBP", weight: 9, lat: 55.4, lon: -3.4 },
  { code: "DE", region: "EMEA", currency: "EUR", weight: 9, lat: 51.2, lon: 10.5 },
  { code: "FR", region: "EMEA", currency: "EUR", weight: 7, lat: 46.2, lon: 2.2 },
  { code: "ES", region: "EMEA", currency: "EUR", weight: 4, lat: 40.5, lon: -3.7 },
  { code: "NG", region: "EMEA", currency: "NGN", weight: 2, lat: 9.1, lon: 8.7 },
  { code: "IN", region: "APAC", currency: "INR", weight: 8, lat: 20.6, lon: 79.0 },
  { code: "JP", region: "APAC", currency: "JPY", weight: 6, lat: 36.2, lon: 138.3 },
  { code: "AU", region: "APAC", currency: "AUD", weight: 4, lat: -25.3, lon: 133.8 },
  { code: "SG", region: "APAC", currency: "SGD", weight: 2, lat: 1.35, lon: 103.8 },
  { code: "KR", region: "APAC", currency: "KRW", weight: 4, lat: 35.9, lon: 127.8 },
];
const COUNTRY_WEIGHTS = COUNTRIES.map((c) => c.weight);

const FIRST_NAMES = ["Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Carla", "Chen", "Chloe", "Daniel", "Diego", "Elena", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jin", "Julia", "Kai", "Kenji", "Lara", "Leo", "Lina", "Lucas", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara", "Yuki", "Zoe"];
const LAST_NAMES = ["Abe", "Adeyemi", "Alvarez", "Bauer", "Brown", "Chen", "Cohen", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Gupta", "Hansen", "Ito", "Jones", "Kim", "Kowalski", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor", "Patel", "Perez", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Smith", "Tanaka", "Taylor", "Walker", "Wang", "Williams", "Wilson", "Yamamoto", "Zhang"];
const EMAIL_DOMAINS = ["example.com", "mail.test", "inbox.example", "post.example.org"];

export const USER_PLANS = ["free", "plus", "pro", "enterprise"] as const;
const USER_PLAN_WEIGHTS = [70, 18, 10, 2];

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

export function userId(i: number): string {
  return `u${pad(i, 6)}`;
}

export interface UserProfile {
  user_id: string;
  name: string;
  email: string;
  country: string;
  region: string;
  currency: string;
  plan: string;
  age: number;
  /** Milliseconds before "now" the user signed up (a stable offset, so the profile needs no clock). */
  tenureMs: number;
}

const userCache = new Map<number, UserProfile>();

export function userProfile(i: number): UserProfile {
  let p = userCache.get(i);
  if (p) return p;
  const rng = Random.derive(WORLD_SEED, "user", i);
  const country = rng.weighted(COUNTRIES, COUNTRY_WEIGHTS);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  p = {
    user_id: userId(i),
    name: `${first} ${last}`,
    email: `${first}.${last}${rng.int(1, 999)}@${rng.pick(EMAIL_DOMAINS)}`.toLowerCase(),
    country: country.code,
    region: country.region,
    currency: country.currency,
    plan: rng.weighted(USER_PLANS, USER_PLAN_WEIGHTS),
    age: Math.round(Math.min(85, Math.max(16, rng.normal(36, 12)))),
    tenureMs: Math.floor(rng.exponential(400) * 86_400_000),
  };
  // Bounded: a million users fit, but a stream with --keys 10,000,000 must not keep them all.
  if (userCache.size > 200_000) userCache.clear();
  userCache.set(i, p);
  return p;
}

export const PRODUCT_COUNT = 500;

export const CATEGORIES: readonly { name: string; mu: number; sigma: number; nouns: string[] }[] = [
  { name: "electronics", mu: Math.log(180), sigma: 0.9, nouns: ["Headphones", "Speaker", "Monitor", "Keyboard", "Charger", "Camera", "Tablet", "Router"] },
  { name: "books", mu: Math.log(18), sigma: 0.4, nouns: ["Novel", "Cookbook", "Atlas", "Guide", "Anthology", "Biography"] },
  { name: "home", mu: Math.log(45), sigma: 0.8, nouns: ["Lamp", "Kettle", "Rug", "Pan", "Vase", "Chair", "Blanket"] },
  { name: "fashion", mu: Math.log(40), sigma: 0.6, nouns: ["Jacket", "Sneakers", "Scarf", "Shirt", "Backpack", "Watch"] },
  { name: "grocery", mu: Math.log(6), sigma: 0.5, nouns: ["Coffee", "Tea", "Olive Oil", "Chocolate", "Pasta", "Honey"] },
  { name: "sports", mu: Math.log(35), sigma: 0.8, nouns: ["Yoga Mat", "Bottle", "Racket", "Helmet", "Dumbbell", "Ball"] },
  { name: "toys", mu: Math.log(22), sigma: 0.6, nouns: ["Puzzle", "Robot", "Blocks", "Doll", "Kite", "Board Game"] },
];
const CATEGORY_WEIGHTS = [18, 14, 20, 16, 14, 10, 8];
const ADJECTIVES = ["Classic", "Smart", "Eco", "Deluxe", "Compact", "Vintage", "Ultra", "Essential", "Premium", "Everyday"];

export function productId(i: number): string {
  return `p${pad(i, 5)}`;
}

export interface Product {
  product_id: string;
  name: string;
  category: string;
  price: number;
}

const productCache = new Map<number, Product>();

export function product(i: number): Product {
  let p = productCache.get(i);
  if (p) return p;
  const rng = Random.derive(WORLD_SEED, "product", i);
  const cat = rng.weighted(CATEGORIES, CATEGORY_WEIGHTS);
  p = {
    product_id: productId(i),
    name: `${rng.pick(ADJECTIVES)} ${rng.pick(cat.nouns)}`,
    category: cat.name,
    price: round(Math.max(0.99, rng.lognormal(cat.mu, cat.sigma)), 2),
  };
  if (productCache.size > 200_000) productCache.clear();
  productCache.set(i, p);
  return p;
}

export const MOVIE_COUNT = 2000;
const GENRES = ["Drama", "Comedy", "Action", "Thriller", "Sci-Fi", "Documentary", "Animation", "Romance", "Horror"];
const GENRE_WEIGHTS = [22, 20, 15, 11, 9, 7, 7, 6, 3];
const TITLE_A = ["The Last", "Midnight", "Silent", "Golden", "Broken", "Hidden", "Electric", "Distant", "Wild", "Paper"];
const TITLE_B = ["Harbor", "Garden", "Signal", "River", "Empire", "Summer", "Machine", "Island", "Letters", "Orbit"];

export function movie(i: number): { movie_id: string; title: string; genre: string; quality: number } {
  const rng = Random.derive(WORLD_SEED, "movie", i);
  return {
    movie_id: `m${pad(i, 5)}`,
    title: `${rng.pick(TITLE_A)} ${rng.pick(TITLE_B)}${rng.chance(0.3) ? ` ${rng.int(2, 4)}` : ""}`,
    genre: rng.weighted(GENRES, GENRE_WEIGHTS),
    // Each movie's own mean rating offset: some films are simply better liked.
    quality: rng.normal(0, 0.7),
  };
}

export const SITES = ["warehouse-a", "warehouse-b", "greenhouse", "office-hq", "cold-store", "rooftop"];
const SITE_BASE: Record<string, { temp: number; humidity: number }> = {
  "warehouse-a": { temp: 18, humidity: 45 },
  "warehouse-b": { temp: 17, humidity: 50 },
  greenhouse: { temp: 27, humidity: 75 },
  "office-hq": { temp: 22, humidity: 40 },
  "cold-store": { temp: 3, humidity: 85 },
  rooftop: { temp: 12, humidity: 60 },
};

export function sensor(i: number): { sensor_id: string; site: string; model: string; baseTemp: number; baseHumidity: number; driftPerReading: number } {
  const rng = Random.derive(WORLD_SEED, "sensor", i);
  const site = rng.pick(SITES);
  const base = SITE_BASE[site];
  return {
    sensor_id: `s-${pad(i, 4)}`,
    site,
    model: rng.weighted(["TH-100", "TH-200", "EnviroPro"], [50, 35, 15]),
    baseTemp: base.temp + rng.normal(0, 1),
    baseHumidity: base.humidity + rng.normal(0, 3),
    // One sensor in eight is miscalibrated and drifts upward slowly.
    driftPerReading: rng.chance(0.125) ? rng.float(0.002, 0.01) : 0,
  };
}

export const SYMBOLS: readonly { symbol: string; price: number; volatility: number; weight: number }[] = [
  { symbol: "AAPL", price: 190, volatility: 0.25, weight: 14 },
  { symbol: "MSFT", price: 410, volatility: 0.22, weight: 12 },
  { symbol: "NVDA", price: 120, volatility: 0.5, weight: 16 },
  { symbol: "AMZN", price: 180, volatility: 0.3, weight: 10 },
  { symbol: "GOOG", price: 165, volatility: 0.28, weight: 9 },
  { symbol: "META", price: 500, volatility: 0.35, weight: 8 },
  { symbol: "TSLA", price: 240, volatility: 0.6, weight: 11 },
  { symbol: "JPM", price: 200, volatility: 0.2, weight: 4 },
  { symbol: "V", price: 275, volatility: 0.18, weight: 3 },
  { symbol: "KO", price: 62, volatility: 0.12, weight: 2 },
  { symbol: "PEP", price: 170, volatility: 0.13, weight: 2 },
  { symbol: "XOM", price: 115, volatility: 0.24, weight: 3 },
  { symbol: "NFLX", price: 650, volatility: 0.4, weight: 3 },
  { symbol: "AMD", price: 160, volatility: 0.5, weight: 6 },
  { symbol: "INTC", price: 32, volatility: 0.35, weight: 3 },
  { symbol: "DIS", price: 100, volatility: 0.25, weight: 2 },
  { symbol: "BA", price: 180, volatility: 0.35, weight: 2 },
  { symbol: "WMT", price: 68, volatility: 0.15, weight: 2 },
  { symbol: "ORCL", price: 140, volatility: 0.3, weight: 2 },
  { symbol: "CRM", price: 280, volatility: 0.3, weight: 2 },
];

export const CITIES: readonly { city: string; lat: number; lon: number; weight: number; fareBase: number }[] = [
  { city: "New York", lat: 40.7128, lon: -74.006, weight: 30, fareBase: 3.0 },
  { city: "London", lat: 51.5072, lon: -0.1276, weight: 20, fareBase: 2.8 },
  { city: "Sao Paulo", lat: -23.5505, lon: -46.6333, weight: 15, fareBase: 1.2 },
  { city: "Berlin", lat: 52.52, lon: 13.405, weight: 12, fareBase: 2.2 },
  { city: "Singapore", lat: 1.3521, lon: 103.8198, weight: 10, fareBase: 1.8 },
  { city: "Tokyo", lat: 35.6762, lon: 139.6503, weight: 13, fareBase: 2.6 },
];

export function driverId(i: number): string {
  return `d${pad(i, 5)}`;
}

export function hostName(i: number): string {
  const tiers = ["web", "api", "worker", "db"];
  return `${tiers[(i - 1) % tiers.length]}-${pad(Math.ceil(i / tiers.length), 2)}`;
}
