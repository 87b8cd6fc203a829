// Deterministic generator for the sample shop's seeds. Every day draws from its own random stream,
// seeded by the fixed SEED and the day's number, so the history up to any date is the same whatever
// day the sample is built: building later only appends days.

export const SEED = 20240101;
export const FIRST_DAY = '2024-01-01';

const COUNTRIES = [
  ['US', 0.38], ['GB', 0.14], ['DE', 0.14], ['FR', 0.1], ['NL', 0.07], ['CA', 0.09], ['AU', 0.08],
];
const CHANNELS = [
  // channel, share of attributed orders, daily spend base (USD), cost per click
  ['google_ads', 0.2, 520, 0.9],
  ['meta_ads', 0.16, 430, 0.7],
  ['tiktok_ads', 0.07, 210, 0.45],
  ['affiliate', 0.06, 120, 1.6],
  ['email', 0.12, 25, 0.05],
];
const FIRST_NAMES = ['Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'Lucas', 'Mia', 'Mateo', 'Isabella', 'Leon', 'Amelia', 'Finn', 'Charlotte', 'Hugo', 'Chloe', 'Arthur', 'Lea', 'Jack', 'Zoe', 'Oscar', 'Nora', 'Theo', 'Hannah', 'Louis', 'Emilia', 'Jules', 'Freya', 'Milan', 'Sara', 'Daan', 'Lotte', 'Ethan', 'Grace', 'Max', 'Ines', 'Ben', 'Clara', 'Sam'];
const LAST_NAMES = ['Smith', 'Jones', 'Müller', 'Schmidt', 'Martin', 'Bernard', 'de Jong', 'Jansen', 'Brown', 'Taylor', 'Wilson', 'Nguyen', 'Garcia', 'Rossi', 'Dubois', 'Fischer', 'Weber', 'Thomas', 'Walker', "O'Brien", 'Kelly', 'Lee', 'Clark', 'Lewis', 'Young', 'King', 'Wright', 'Scott', 'Green', 'Baker'];
const CATEGORIES = {
  Apparel: [['Merino Crew Tee', 38], ['Organic Hoodie', 72], ['Linen Shirt', 64], ['Rain Shell Jacket', 148], ['Wool Beanie', 28], ['Chino Trousers', 79], ['Quilted Vest', 98], ['Cotton Socks (3-pack)', 18]],
  Footwear: [['Trail Runner', 129], ['Canvas Sneaker', 69], ['Leather Boot', 189], ['Recovery Slide', 45], ['Hiking Boot', 169]],
  Accessories: [['Canvas Tote', 32], ['Leather Belt', 49], ['Sunglasses', 89], ['Travel Wallet', 39], ['Daypack 20L', 95], ['Water Bottle 1L', 29]],
  Home: [['Ceramic Mug', 22], ['Linen Throw', 84], ['Soy Candle', 26], ['Cotton Towel Set', 58], ['Cast Iron Pan', 74]],
  Outdoor: [['Camping Mug', 19], ['Headlamp', 42], ['Packable Blanket', 56], ['Trekking Poles', 88], ['Tent Footprint', 39], ['Insulated Flask', 35]],
};

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function streamFor(...parts) {
  let h = 2166136261;
  for (const ch of parts.join('|')) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 16777619);
  }
  return mulberry32(h);
}

const pick = (rnd, xs) => xs[Math.floor(rnd() * xs.length)];
function weighted(rnd, pairs) {
  let r = rnd() * pairs.reduce((s, p) => s + p[1], 0);
  for (const p of pairs) {
    r -= p[1];
    if (r <= 0) return p[0];
  }
  return pairs[pairs.length - 1][0];
}
function poisson(rnd, mean) {
  // Knuth's method is fine for the small means used here.
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > l);
  return k - 1;
}

const DAY_MS = 86_400_000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const money = (x) => (Math.round(x * 100) / 100).toFixed(2);

/** Seasonality and growth: the shop grows ~35% a year, peaks in late November and December. */
function demand(dayMs, firstMs) {
  const d = new Date(dayMs);
  const years = (dayMs - firstMs) / (365 * DAY_MS);
  const weekday = d.getUTCDay();
  const weekly = weekday === 0 || weekday === 6 ? 1.18 : weekday === 1 ? 0.92 : 1;
  const month = d.getUTCMonth();
  const dom = d.getUTCDate();
  let seasonal = [0.85, 0.8, 0.95, 1, 1.02, 0.98, 0.93, 0.95, 1.03, 1.08, 1.25, 1.4][month];
  if (month === 10 && dom >= 24 && dom <= 30) seasonal *= 1.9; // Black Friday week
  return Math.pow(1.35, years) * weekly * seasonal;
}

export function generateShopData(lastDay) {
  const firstMs = Date.parse(`${FIRST_DAY}T00:00:00Z`);
  const lastMs = Date.parse(`${lastDay}T00:00:00Z`);
  if (!(lastMs >= firstMs)) throw new Error(`last day ${lastDay} is before ${FIRST_DAY}`);

  const catalog = streamFor(SEED, 'products');
  const products = [];
  for (const [category, items] of Object.entries(CATEGORIES)) {
    for (const [name, price] of items) {
      const id = products.length + 1;
      products.push({
        product_id: id,
        sku: `${category.slice(0, 3).toUpperCase()}-${String(1000 + id)}`,
        product_name: name,
        category,
        price: money(price),
        cost: money(price * (0.32 + catalog() * 0.22)),
      });
    }
  }
  const popularity = products.map((p) => [p, 0.4 + catalog() * 2 + (Number(p.price) < 40 ? 0.8 : 0)]);

  const customers = [];
  const orders = [];
  const items = [];
  const payments = [];
  const spend = [];
  // Loyal customers buy again far more often: that is what makes "top customers" a real ranking.
  const loyalty = [];

  for (let dayMs = firstMs, day = 0; dayMs <= lastMs; dayMs += DAY_MS, day++) {
    const date = isoDay(dayMs);
    const rnd = streamFor(SEED, date);
    const level = demand(dayMs, firstMs);

    const signups = poisson(rnd, 9 * level);
    for (let i = 0; i < signups; i++) {
      const id = customers.length + 1;
      const first = pick(rnd, FIRST_NAMES);
      const last = pick(rnd, LAST_NAMES);
      const channel = rnd() < 0.55 ? weighted(rnd, CHANNELS.map((c) => [c[0], c[1]])) : 'organic';
      customers.push({
        customer_id: id,
        first_name: first,
        last_name: last,
        email: `${first}.${last}.${id}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
        country: weighted(rnd, COUNTRIES),
        signup_date: date,
        acquisition_channel: channel,
      });
      loyalty.push(rnd() < 0.08 ? 9 : rnd() < 0.3 ? 2.5 : 1);
    }

    const daysAgo = Math.round((lastMs - dayMs) / DAY_MS);
    const orderCount = customers.length === 0 ? 0 : poisson(rnd, 26 * level);
    for (let i = 0; i < orderCount; i++) {
      // Recent signups order most; loyal customers keep ordering.
      let customer;
      if (rnd() < 0.35) customer = customers[customers.length - 1 - Math.floor(rnd() * Math.min(customers.length, 60))];
      else {
        for (let tries = 0; tries < 8; tries++) {
          const c = customers[Math.floor(rnd() * customers.length)];
          customer = c;
          if (rnd() < loyalty[c.customer_id - 1] / 9) break;
        }
      }
      const orderId = orders.length + 1;
      const seconds = Math.floor((7 + rnd() * 16) * 3600);
      const orderedAt = new Date(dayMs + seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
      const channel = rnd() < 0.58 ? weighted(rnd, CHANNELS.map((c) => [c[0], c[1]])) : '';
      // Draw the same numbers for every order whatever its age, so that a later build reproduces
      // the same stream; only the status of the last few days' orders depends on the build day.
      const settledStatus = weighted(rnd, [['completed', 0.86], ['returned', 0.07], ['cancelled', 0.05], ['shipped', 0.02]]);
      const ageRoll = rnd();
      let status = settledStatus;
      if (daysAgo <= 1) status = ageRoll < 0.8 ? 'placed' : 'shipped';
      else if (daysAgo <= 5 && settledStatus !== 'cancelled') status = ageRoll < 0.7 ? 'shipped' : 'completed';

      const lineCount = 1 + Math.floor(Math.pow(rnd(), 2.2) * 4);
      const seen = new Set();
      let cents = 0;
      for (let l = 0; l < lineCount; l++) {
        const product = weighted(rnd, popularity);
        if (seen.has(product.product_id)) continue;
        seen.add(product.product_id);
        const quantity = rnd() < 0.85 ? 1 : 2 + Math.floor(rnd() * 2);
        const discount = rnd() < 0.12 ? 0.85 : 1;
        const unit = Math.round(Number(product.price) * discount * 100);
        cents += unit * quantity;
        items.push({
          order_item_id: items.length + 1,
          order_id: orderId,
          product_id: product.product_id,
          quantity,
          unit_price: (unit / 100).toFixed(2),
        });
      }
      const shipping = cents >= 7500 ? 0 : 595;
      cents += shipping;
      orders.push({
        order_id: orderId,
        customer_id: customer.customer_id,
        ordered_at: orderedAt,
        status,
        marketing_channel: channel,
        shipping_country: customer.country,
        shipping_cents: shipping,
      });
      const method = weighted(rnd, [['credit_card', 0.56], ['paypal', 0.27], ['bank_transfer', 0.09], ['gift_card', 0.08]]);
      const failedFirst = rnd() < 0.03;
      if (failedFirst) {
        payments.push({ payment_id: payments.length + 1, order_id: orderId, payment_method: method, amount_cents: cents, status: 'failed', paid_at: orderedAt });
      }
      const refundRoll = rnd();
      if (status !== 'cancelled' || refundRoll < 0.3) {
        payments.push({ payment_id: payments.length + 1, order_id: orderId, payment_method: failedFirst ? 'credit_card' : method, amount_cents: cents, status: status === 'cancelled' ? 'refunded' : 'success', paid_at: orderedAt });
      }
    }

    for (const [channel, , base, cpc] of CHANNELS) {
      const amount = base * level * (0.75 + rnd() * 0.5);
      const clicks = Math.round(amount / (cpc * (0.8 + rnd() * 0.4)));
      spend.push({
        spend_date: date,
        channel,
        spend: money(amount),
        impressions: Math.round(clicks * (28 + rnd() * 40)),
        clicks,
      });
    }
  }
  return { raw_products: products, raw_customers: customers, raw_orders: orders, raw_order_items: items, raw_payments: payments, raw_marketing_spend: spend };
}

export function toCsv(rows) {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]);
  const cell = (v) => {
    const s = String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
