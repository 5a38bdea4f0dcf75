//! Carts in Redis: one hash per cart, every change made by a Lua script so that it is
//! atomic. Concurrent adds of the same product never lose an increment, and the quantity
//! and line limits hold under any concurrency, because each script checks and writes in
//! one step on the server.
//!
//! The hash of a cart holds:
//! - `created_at`, `updated_at` (RFC 3339) and `seq` (a counter for line order);
//! - per line: `qty:<product>` (the quantity), `order:<product>` (when it was first
//!   added) and `price:<product>` (the last price seen, as JSON, for reading a cart while
//!   the Catalog is unreachable).
//!
//! Every write refreshes the key's TTL; reads do not.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use uuid::Uuid;

use crate::catalog::Price;
use crate::error::CartError;

pub const MAX_QUANTITY: u32 = 99;
pub const MAX_LINES: u32 = 50;

/// Script results: 0 is success; negative values name what stopped the change.
const OK: i64 = 0;
const NO_CART: i64 = -1;
const OVER_QUANTITY: i64 = -2;
const OVER_LINES: i64 = -3;
const NO_LINE: i64 = -4;
const OVER_STOCK: i64 = -5;

const CREATE: &str = r"
redis.call('HSET', KEYS[1], 'created_at', ARGV[1], 'updated_at', ARGV[1], 'seq', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {0, 0}
";

/// ARGV: product, units to add, max quantity, max lines, ttl, now, price JSON, stock.
const ADD: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local qty = 'qty:' .. ARGV[1]
local current = tonumber(redis.call('HGET', KEYS[1], qty) or '0')
local wanted = current + tonumber(ARGV[2])
if wanted > tonumber(ARGV[3]) then return {-2, current} end
if wanted > tonumber(ARGV[8]) then return {-5, current} end
if current == 0 then
  local lines = 0
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 4) == 'qty:' then lines = lines + 1 end
  end
  if lines >= tonumber(ARGV[4]) then return {-3, lines} end
  redis.call('HSET', KEYS[1], 'order:' .. ARGV[1], redis.call('HINCRBY', KEYS[1], 'seq', 1))
end
redis.call('HSET', KEYS[1], qty, wanted, 'price:' .. ARGV[1], ARGV[7], 'updated_at', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {0, wanted}
";

/// ARGV: product, quantity, ttl, now, price JSON.
const SET: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
if redis.call('HEXISTS', KEYS[1], 'qty:' .. ARGV[1]) == 0 then return {-4, 0} end
redis.call('HSET', KEYS[1], 'qty:' .. ARGV[1], ARGV[2], 'price:' .. ARGV[1], ARGV[5], 'updated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {0, tonumber(ARGV[2])}
";

/// ARGV: product, ttl, now.
const REMOVE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
if redis.call('HDEL', KEYS[1], 'qty:' .. ARGV[1], 'order:' .. ARGV[1], 'price:' .. ARGV[1]) == 0 then
  return {-4, 0}
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {0, 0}
";

/// ARGV: ttl, now.
const CLEAR: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local kind = string.match(field, '^(%a+):')
  if kind == 'qty' or kind == 'order' or kind == 'price' then redis.call('HDEL', KEYS[1], field) end
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {0, 0}
";

/// Updates the last known prices of lines still in the cart, without touching the TTL.
/// ARGV: product, price JSON, product, price JSON, ...
const REMEMBER_PRICES: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], 'qty:' .. ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], 'price:' .. ARGV[i], ARGV[i + 1])
  end
end
return {0, 0}
";

/// A line as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLine {
    pub product_id: Uuid,
    pub quantity: u32,
    pub last_price: Option<Price>,
    /// When the line was first added, relative to the cart's other lines.
    order: i64,
}

impl StoredLine {
    pub fn new(product_id: Uuid, quantity: u32, last_price: Option<Price>, order: i64) -> Self {
        Self {
            product_id,
            quantity,
            last_price,
            order,
        }
    }
}

/// A cart as stored.
#[derive(Debug, Clone)]
pub struct StoredCart {
    pub id: Uuid,
    pub lines: Vec<StoredLine>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The scripts, each hashed once; Redis caches them by hash after the first call.
struct Scripts {
    create: Script,
    add: Script,
    set: Script,
    remove: Script,
    clear: Script,
    remember_prices: Script,
}

#[derive(Clone)]
pub struct Store {
    redis: ConnectionManager,
    scripts: Arc<Scripts>,
    prefix: String,
    ttl: Duration,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Store {
    /// Connects to Redis; the connection manager reconnects by itself after an outage.
    pub async fn connect(
        url: &str,
        prefix: String,
        ttl: Duration,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_with_config(client, config).await?;
        let scripts = Scripts {
            create: Script::new(CREATE),
            add: Script::new(ADD),
            set: Script::new(SET),
            remove: Script::new(REMOVE),
            clear: Script::new(CLEAR),
            remember_prices: Script::new(REMEMBER_PRICES),
        };
        Ok(Self {
            redis,
            scripts: Arc::new(scripts),
            prefix,
            ttl,
        })
    }

    fn key(&self, cart: Uuid) -> String {
        format!("{}{cart}", self.prefix)
    }

    fn ttl_seconds(&self) -> u64 {
        self.ttl.as_secs().max(1)
    }

    async fn run(
        &self,
        script: &Script,
        cart: Uuid,
        args: &[String],
    ) -> Result<(i64, i64), CartError> {
        let mut invocation = script.key(self.key(cart));
        for arg in args {
            invocation.arg(arg);
        }
        let (status, value): (i64, i64) = invocation
            .invoke_async(&mut self.redis.clone())
            .await
            .map_err(CartError::StoreUnavailable)?;
        match status {
            NO_CART => Err(CartError::CartNotFound(cart)),
            _ => Ok((status, value)),
        }
    }

    pub async fn create(&self) -> Result<Uuid, CartError> {
        let id = Uuid::new_v4();
        self.run(
            &self.scripts.create,
            id,
            &[now(), self.ttl_seconds().to_string()],
        )
        .await?;
        Ok(id)
    }

    /// The quantity of a product in the cart now (0 when absent); fails if there is no cart.
    pub async fn quantity(&self, cart: Uuid, product: Uuid) -> Result<u32, CartError> {
        let mut redis = self.redis.clone();
        let (exists, quantity): (bool, Option<u32>) = redis::pipe()
            .exists(self.key(cart))
            .hget(self.key(cart), format!("qty:{product}"))
            .query_async(&mut redis)
            .await
            .map_err(CartError::StoreUnavailable)?;
        if !exists {
            return Err(CartError::CartNotFound(cart));
        }
        Ok(quantity.unwrap_or(0))
    }

    /// Adds `units` of a product, creating the line if needed, unless the line would then
    /// hold more than `stock`; returns the new quantity.
    pub async fn add(
        &self,
        cart: Uuid,
        product: Uuid,
        units: u32,
        price: &Price,
        stock: u32,
    ) -> Result<u32, CartError> {
        let args = [
            product.to_string(),
            units.to_string(),
            MAX_QUANTITY.to_string(),
            MAX_LINES.to_string(),
            self.ttl_seconds().to_string(),
            now(),
            price_json(price)?,
            stock.to_string(),
        ];
        match self.run(&self.scripts.add, cart, &args).await? {
            (OK, quantity) => Ok(u32::try_from(quantity).unwrap_or(0)),
            (OVER_QUANTITY, current) => Err(CartError::QuantityLimit {
                current: u32::try_from(current).unwrap_or(0),
                max: MAX_QUANTITY,
            }),
            (OVER_LINES, _) => Err(CartError::LineLimit { max: MAX_LINES }),
            (OVER_STOCK, current) => Err(CartError::InsufficientStock {
                name: price.name.clone(),
                available: i32::try_from(stock).unwrap_or(i32::MAX),
                wanted: u32::try_from(current).unwrap_or(0) + units,
            }),
            (status, _) => Err(CartError::Corrupt(format!(
                "the add script answered {status}"
            ))),
        }
    }

    /// Sets the quantity of a line that is already in the cart.
    pub async fn set(
        &self,
        cart: Uuid,
        product: Uuid,
        quantity: u32,
        price: &Price,
    ) -> Result<(), CartError> {
        let args = [
            product.to_string(),
            quantity.to_string(),
            self.ttl_seconds().to_string(),
            now(),
            price_json(price)?,
        ];
        match self.run(&self.scripts.set, cart, &args).await? {
            (OK, _) => Ok(()),
            (NO_LINE, _) => Err(CartError::LineNotFound(product)),
            (status, _) => Err(CartError::Corrupt(format!(
                "the set script answered {status}"
            ))),
        }
    }

    pub async fn remove(&self, cart: Uuid, product: Uuid) -> Result<(), CartError> {
        match self
            .run(
                &self.scripts.remove,
                cart,
                &[product.to_string(), self.ttl_seconds().to_string(), now()],
            )
            .await?
        {
            (OK, _) => Ok(()),
            (NO_LINE, _) => Err(CartError::LineNotFound(product)),
            (status, _) => Err(CartError::Corrupt(format!(
                "the remove script answered {status}"
            ))),
        }
    }

    pub async fn clear(&self, cart: Uuid) -> Result<(), CartError> {
        self.run(
            &self.scripts.clear,
            cart,
            &[self.ttl_seconds().to_string(), now()],
        )
        .await
        .map(drop)
    }

    /// Keeps the prices just fetched as the cart's last known ones.
    pub async fn remember_prices(
        &self,
        cart: Uuid,
        prices: &HashMap<Uuid, Price>,
    ) -> Result<(), CartError> {
        if prices.is_empty() {
            return Ok(());
        }
        let mut args = Vec::with_capacity(prices.len() * 2);
        for (product, price) in prices {
            args.push(product.to_string());
            args.push(price_json(price)?);
        }
        self.run(&self.scripts.remember_prices, cart, &args)
            .await
            .map(drop)
    }

    pub async fn get(&self, cart: Uuid) -> Result<StoredCart, CartError> {
        let mut redis = self.redis.clone();
        let (fields, ttl_ms): (HashMap<String, String>, i64) = redis::pipe()
            .atomic()
            .hgetall(self.key(cart))
            .pttl(self.key(cart))
            .query_async(&mut redis)
            .await
            .map_err(CartError::StoreUnavailable)?;
        if fields.is_empty() {
            return Err(CartError::CartNotFound(cart));
        }
        parse_cart(cart, &fields, ttl_ms)
    }
}

/// Ready when Redis answers. The Catalog is not part of it: without the Catalog the Cart
/// still serves reads, which is more useful than being taken out of rotation.
impl platform::http::Readiness for Store {
    async fn check(&self) -> Result<(), String> {
        let mut redis = self.redis.clone();
        let answer: Result<String, _> = redis.ping().await;
        answer
            .map(drop)
            .map_err(|err| format!("Redis does not answer: {err}"))
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn price_json(price: &Price) -> Result<String, CartError> {
    serde_json::to_string(price).map_err(|err| CartError::Corrupt(err.to_string()))
}

fn parse_cart(
    id: Uuid,
    fields: &HashMap<String, String>,
    ttl_ms: i64,
) -> Result<StoredCart, CartError> {
    let time = |name: &str| -> Result<DateTime<Utc>, CartError> {
        let value = fields
            .get(name)
            .ok_or_else(|| CartError::Corrupt(format!("cart {id} has no {name}")))?;
        DateTime::parse_from_rfc3339(value)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|err| CartError::Corrupt(format!("cart {id} {name}: {err}")))
    };
    let mut lines = Vec::new();
    for (field, value) in fields {
        let Some(product) = field.strip_prefix("qty:") else {
            continue;
        };
        let product_id = Uuid::parse_str(product)
            .map_err(|_| CartError::Corrupt(format!("cart {id} line {product}")))?;
        let quantity = value
            .parse()
            .map_err(|_| CartError::Corrupt(format!("cart {id} quantity {value}")))?;
        let order = fields
            .get(&format!("order:{product}"))
            .and_then(|o| o.parse().ok())
            .unwrap_or(i64::MAX);
        let last_price = fields
            .get(&format!("price:{product}"))
            .and_then(|p| serde_json::from_str(p).ok());
        lines.push(StoredLine {
            product_id,
            quantity,
            last_price,
            order,
        });
    }
    lines.sort_by_key(|line| (line.order, line.product_id));
    let expires_in = chrono::Duration::milliseconds(ttl_ms.max(0));
    Ok(StoredCart {
        id,
        lines,
        updated_at: time("updated_at")?,
        expires_at: Utc::now() + expires_in,
    })
}
