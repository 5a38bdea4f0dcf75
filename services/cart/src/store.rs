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

use chrono::{DateTime, SubsecRound, Utc};
use platform::datastore::Datastore;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, FromRedisValue, Script};
use uuid::Uuid;

use crate::catalog::Price;
use crate::error::CartError;

pub const MAX_QUANTITY: u32 = 99;
pub const MAX_LINES: u32 = 50;

/// Script results: 0 is success, 1 a change already made under the same idempotency key;
/// negative values name what stopped the change.
const OK: i64 = 0;
const REPLAYED: i64 = 1;
const NO_CART: i64 = -1;
const OVER_QUANTITY: i64 = -2;
const OVER_LINES: i64 = -3;
const NO_LINE: i64 = -4;
const OVER_STOCK: i64 = -5;
const KEY_REUSED: i64 = -6;

/// How long a change is remembered under its idempotency key (the contract says 24 hours).
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

const CREATE: &str = r"
redis.call('HSET', KEYS[1], 'created_at', ARGV[1], 'updated_at', ARGV[1], 'seq', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {0, 0}
";

/// The start of every change script. KEYS[1] is the cart; KEYS[2], when the client sent an
/// idempotency key, is that key's record. ARGV[1] describes the change (`add <product>
/// <units>`, ...), ARGV[2] is how long to keep the record, in seconds, and ARGV[3] the
/// cart's `version` as the caller read it (empty when it did not); the change's own
/// arguments follow. A change already recorded under the key is not made again; `done`
/// records it in the same step as the change itself, moves the version on, and answers
/// whether the cart was still as the caller read it (1) or another change came between
/// (0), so the caller knows whether the cart is now what it read plus its own change.
const CHANGE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
if KEYS[2] then
  local recorded = redis.call('GET', KEYS[2])
  if recorded == ARGV[1] then return {1, 0, 0} end
  if recorded then return {-6, 0} end
end
local undisturbed = (redis.call('HGET', KEYS[1], 'version') or '0') == ARGV[3]
-- ARGV[from..] are pairs of a product and its price JSON: the prices the Catalog just gave
-- for the cart's other lines, kept as their last known ones.
local function remember(from)
  for i = from, #ARGV, 2 do
    if redis.call('HEXISTS', KEYS[1], 'qty:' .. ARGV[i]) == 1 then
      redis.call('HSET', KEYS[1], 'price:' .. ARGV[i], ARGV[i + 1])
    end
  end
end
local function done(value)
  if KEYS[2] then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  return {0, value, undisturbed and 1 or 0}
end
";

/// ARGV[4..]: product, units to add, max quantity, max lines, ttl, now, price JSON, stock;
/// then the other lines' prices to remember.
const ADD: &str = r"
local product, units, max_quantity, max_lines, ttl, now, price, stock = unpack(ARGV, 4, 11)
local qty = 'qty:' .. product
local current = tonumber(redis.call('HGET', KEYS[1], qty) or '0')
local wanted = current + tonumber(units)
if wanted > tonumber(max_quantity) then return {-2, current} end
if wanted > tonumber(stock) then return {-5, current} end
if current == 0 then
  local lines = 0
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 4) == 'qty:' then lines = lines + 1 end
  end
  if lines >= tonumber(max_lines) then return {-3, lines} end
  redis.call('HSET', KEYS[1], 'order:' .. product, redis.call('HINCRBY', KEYS[1], 'seq', 1))
end
redis.call('HSET', KEYS[1], qty, wanted, 'price:' .. product, price, 'updated_at', now)
remember(12)
redis.call('EXPIRE', KEYS[1], ttl)
return done(wanted)
";

/// ARGV[4..]: product, quantity, ttl, now, price JSON; then the other lines' prices to
/// remember.
const SET: &str = r"
local product, quantity, ttl, now, price = unpack(ARGV, 4, 8)
if redis.call('HEXISTS', KEYS[1], 'qty:' .. product) == 0 then return {-4, 0} end
redis.call('HSET', KEYS[1], 'qty:' .. product, quantity, 'price:' .. product, price, 'updated_at', now)
remember(9)
redis.call('EXPIRE', KEYS[1], ttl)
return done(tonumber(quantity))
";

/// ARGV[4..]: product, ttl, now.
const REMOVE: &str = r"
local product, ttl, now = unpack(ARGV, 4, 6)
if redis.call('HDEL', KEYS[1], 'qty:' .. product, 'order:' .. product, 'price:' .. product) == 0 then
  return {-4, 0}
end
redis.call('HSET', KEYS[1], 'updated_at', now)
redis.call('EXPIRE', KEYS[1], ttl)
return done(0)
";

/// ARGV[4..]: ttl, now.
const CLEAR: &str = r"
local ttl, now = unpack(ARGV, 4, 5)
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local kind = string.match(field, '^(%a+):')
  if kind == 'qty' or kind == 'order' or kind == 'price' then redis.call('HDEL', KEYS[1], field) end
end
redis.call('HSET', KEYS[1], 'updated_at', now)
redis.call('EXPIRE', KEYS[1], ttl)
return done(0)
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

/// A client's `Idempotency-Key`: the change first made under it is not made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyKey(pub Uuid);

/// A change to a cart as the client asked for it, recorded under its idempotency key so
/// that a repeat is recognised and the key's reuse for another change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add { product: Uuid, units: u32 },
    Set { product: Uuid, quantity: u32 },
    Remove { product: Uuid },
    Clear,
}

impl Change {
    fn describe(&self) -> String {
        match self {
            Self::Add { product, units } => format!("add {product} {units}"),
            Self::Set { product, quantity } => format!("set {product} {quantity}"),
            Self::Remove { product } => format!("remove {product}"),
            Self::Clear => "clear".to_owned(),
        }
    }
}

/// A cart just before a change, as [`Store::before`] reads it.
#[derive(Debug, Clone)]
pub struct Before {
    pub cart: StoredCart,
    /// The change was already made under the client's idempotency key.
    pub replayed: bool,
}

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
    /// Moved on by every change: a change script tells from it whether the cart is still
    /// as this was read.
    pub(crate) version: u64,
}

impl StoredCart {
    /// The quantity of `product` in the cart (0 when it has no line).
    pub fn quantity_of(&self, product: Uuid) -> u32 {
        self.lines
            .iter()
            .find(|line| line.product_id == product)
            .map_or(0, |line| line.quantity)
    }

    /// The cart after the store set `product`'s line to `quantity(current)` units at
    /// `price` and kept `others` as the other lines' last known prices: what the change
    /// script wrote, when nothing else changed the cart in between.
    fn after(
        mut self,
        product: Uuid,
        quantity: impl FnOnce(u32) -> u32,
        price: &Price,
        others: &HashMap<Uuid, Price>,
        updated_at: DateTime<Utc>,
        ttl: Duration,
    ) -> Self {
        let index = match self
            .lines
            .iter()
            .position(|line| line.product_id == product)
        {
            Some(index) => index,
            None => {
                let last = self.lines.iter().map(|line| line.order).max().unwrap_or(0);
                self.lines.push(StoredLine::new(product, 0, None, last + 1));
                self.lines.len() - 1
            }
        };
        let line = &mut self.lines[index];
        line.quantity = quantity(line.quantity);
        line.last_price = Some(price.clone());
        for line in &mut self.lines {
            if let Some(price) = others.get(&line.product_id) {
                line.last_price = Some(price.clone());
            }
        }
        self.updated_at = updated_at;
        self.expires_at = Utc::now() + ttl;
        self.version += 1;
        self
    }
}

/// What a script answered: its status, a value, and whether the cart was still as the
/// caller had read it when a change was made.
struct Answer {
    status: i64,
    value: i64,
    undisturbed: bool,
}

/// The scripts, each hashed once; Redis caches them by hash after the first call.
struct Scripts {
    create: Named,
    add: Named,
    set: Named,
    remove: Named,
    clear: Named,
    remember_prices: Named,
}

/// A script and the name its calls' spans give it (`db.stored_procedure.name`).
struct Named {
    name: &'static str,
    script: Script,
}

impl Named {
    fn new(name: &'static str, source: &str) -> Self {
        Self {
            name,
            script: Script::new(source),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    redis: ConnectionManager,
    /// Each Redis round trip is a client span (`EVALSHA`, `MULTI`).
    db: Datastore,
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
        let db = Datastore::new(
            "redis",
            url,
            &client
                .get_connection_info()
                .redis_settings()
                .db()
                .to_string(),
        );
        let redis = ConnectionManager::new_with_config(client, config).await?;
        let change = |name, body: &str| Named::new(name, &format!("{CHANGE}{body}"));
        let scripts = Scripts {
            create: Named::new("create", CREATE),
            add: change("add", ADD),
            set: change("set", SET),
            remove: change("remove", REMOVE),
            clear: change("clear", CLEAR),
            remember_prices: Named::new("remember_prices", REMEMBER_PRICES),
        };
        Ok(Self {
            redis,
            db,
            scripts: Arc::new(scripts),
            prefix,
            ttl,
        })
    }

    fn key(&self, cart: Uuid) -> String {
        format!("{}{cart}", self.prefix)
    }

    /// Where the change made under a client's idempotency key is recorded: beside its
    /// cart, so a key of one cart never answers for another.
    fn record_key(&self, cart: Uuid, key: IdempotencyKey) -> String {
        format!("{}{cart}:idempotency:{}", self.prefix, key.0)
    }

    fn ttl_seconds(&self) -> u64 {
        self.ttl.as_secs().max(1)
    }

    /// Runs a change script (one built on `CHANGE`) with its own arguments after the
    /// record's and the version the caller read (if it read the cart). Answers whether the
    /// cart was still as the caller read it, or a refusal's status and value for the
    /// caller to name. A change already made under `key` is not made again: to the client,
    /// a repeat succeeds as the first did.
    async fn change(
        &self,
        script: &Named,
        cart: Uuid,
        key: Option<IdempotencyKey>,
        change: &Change,
        read: Option<u64>,
        args: &[String],
    ) -> Result<Result<bool, (i64, i64)>, CartError> {
        let record = key.map(|key| self.record_key(cart, key));
        let mut all_args = vec![
            change.describe(),
            IDEMPOTENCY_WINDOW.as_secs().to_string(),
            read.map(|version| version.to_string()).unwrap_or_default(),
        ];
        all_args.extend_from_slice(args);
        let answer = self.invoke(script, cart, record, &all_args).await?;
        match answer.status {
            OK | REPLAYED => Ok(Ok(answer.undisturbed)),
            status => Ok(Err((status, answer.value))),
        }
    }

    /// Runs a script on the cart's key (and `record`, when there is one).
    async fn invoke(
        &self,
        script: &Named,
        cart: Uuid,
        record: Option<String>,
        args: &[String],
    ) -> Result<Answer, CartError> {
        let mut invocation = script.script.key(self.key(cart));
        if let Some(record) = record {
            invocation.key(record);
        }
        for arg in args {
            invocation.arg(arg);
        }
        let span = self.db.span("EVALSHA", None);
        span.record("db.stored_procedure.name", script.name);
        let mut redis = self.redis.clone();
        let answer: Vec<redis::Value> = self
            .db
            .call(span, invocation.invoke_async(&mut redis))
            .await
            .map_err(CartError::StoreUnavailable)?;
        let answer = parse_answer(&answer)?;
        match answer.status {
            NO_CART => Err(CartError::CartNotFound(cart)),
            KEY_REUSED => Err(CartError::IdempotencyKeyReused),
            _ => Ok(answer),
        }
    }

    pub async fn create(&self) -> Result<Uuid, CartError> {
        let id = Uuid::new_v4();
        let args = [stamp(now()), self.ttl_seconds().to_string()];
        self.invoke(&self.scripts.create, id, None, &args).await?;
        Ok(id)
    }

    /// The cart as it is before `change`, and whether `change` was already made under
    /// `key`, in one round trip; fails if there is no cart, or if the key was used for
    /// another change. The change scripts check the same again when they write, so this
    /// is what the Catalog is asked about, not what decides.
    pub async fn before(
        &self,
        cart: Uuid,
        key: Option<IdempotencyKey>,
        change: &Change,
    ) -> Result<Before, CartError> {
        let (stored, recorded) = self
            .read(cart, key.map(|key| self.record_key(cart, key)))
            .await?;
        let replayed = match recorded {
            None => false,
            Some(recorded) if recorded == change.describe() => true,
            Some(_) => return Err(CartError::IdempotencyKeyReused),
        };
        Ok(Before {
            cart: stored,
            replayed,
        })
    }

    /// Adds `units` of a product to the cart read as `before`, creating the line if needed,
    /// unless the line would then hold more than `stock`; keeps `others` as the last known
    /// prices of the other lines. Answers the cart after the change: worked out from
    /// `before` when nothing else changed it in between, read again when something did.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per fact the script checks"
    )]
    pub async fn add(
        &self,
        before: &StoredCart,
        key: Option<IdempotencyKey>,
        product: Uuid,
        units: u32,
        price: &Price,
        stock: u32,
        others: &HashMap<Uuid, Price>,
    ) -> Result<StoredCart, CartError> {
        let updated_at = now();
        let mut args = vec![
            product.to_string(),
            units.to_string(),
            MAX_QUANTITY.to_string(),
            MAX_LINES.to_string(),
            self.ttl_seconds().to_string(),
            stamp(updated_at),
            price_json(price)?,
            stock.to_string(),
        ];
        args.extend(price_args(others)?);
        let change = Change::Add { product, units };
        let script = &self.scripts.add;
        match self
            .change(script, before.id, key, &change, Some(before.version), &args)
            .await?
        {
            Ok(true) => Ok(before.clone().after(
                product,
                |current| current + units,
                price,
                others,
                updated_at,
                self.ttl,
            )),
            Ok(false) => self.get(before.id).await,
            Err((OVER_QUANTITY, current)) => Err(CartError::QuantityLimit {
                current: u32::try_from(current).unwrap_or(0),
                max: MAX_QUANTITY,
            }),
            Err((OVER_LINES, _)) => Err(CartError::LineLimit { max: MAX_LINES }),
            Err((OVER_STOCK, current)) => Err(CartError::InsufficientStock {
                name: price.name.clone(),
                available: i32::try_from(stock).unwrap_or(i32::MAX),
                wanted: u32::try_from(current).unwrap_or(0) + units,
            }),
            Err((status, _)) => Err(unexpected("add", status)),
        }
    }

    /// Sets the quantity of a line that is already in the cart read as `before`; keeps
    /// `others` as the last known prices of the other lines. Answers the cart after the
    /// change, as [`add`](Self::add) does.
    pub async fn set(
        &self,
        before: &StoredCart,
        key: Option<IdempotencyKey>,
        product: Uuid,
        quantity: u32,
        price: &Price,
        others: &HashMap<Uuid, Price>,
    ) -> Result<StoredCart, CartError> {
        let updated_at = now();
        let mut args = vec![
            product.to_string(),
            quantity.to_string(),
            self.ttl_seconds().to_string(),
            stamp(updated_at),
            price_json(price)?,
        ];
        args.extend(price_args(others)?);
        let change = Change::Set { product, quantity };
        let script = &self.scripts.set;
        match self
            .change(script, before.id, key, &change, Some(before.version), &args)
            .await?
        {
            Ok(true) => {
                Ok(before
                    .clone()
                    .after(product, |_| quantity, price, others, updated_at, self.ttl))
            }
            Ok(false) => self.get(before.id).await,
            Err((NO_LINE, _)) => Err(CartError::LineNotFound(product)),
            Err((status, _)) => Err(unexpected("set", status)),
        }
    }

    /// Removes a product's line; answers the cart after the change.
    pub async fn remove(
        &self,
        cart: Uuid,
        key: Option<IdempotencyKey>,
        product: Uuid,
    ) -> Result<StoredCart, CartError> {
        let args = [
            product.to_string(),
            self.ttl_seconds().to_string(),
            stamp(now()),
        ];
        let change = Change::Remove { product };
        match self
            .change(&self.scripts.remove, cart, key, &change, None, &args)
            .await?
        {
            Ok(_) => self.get(cart).await,
            Err((NO_LINE, _)) => Err(CartError::LineNotFound(product)),
            Err((status, _)) => Err(unexpected("remove", status)),
        }
    }

    /// Removes every line; answers the empty cart.
    pub async fn clear(
        &self,
        cart: Uuid,
        key: Option<IdempotencyKey>,
    ) -> Result<StoredCart, CartError> {
        let args = [self.ttl_seconds().to_string(), stamp(now())];
        match self
            .change(&self.scripts.clear, cart, key, &Change::Clear, None, &args)
            .await?
        {
            Ok(_) => self.get(cart).await,
            Err((status, _)) => Err(unexpected("clear", status)),
        }
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
        let args = price_args(prices)?;
        self.invoke(&self.scripts.remember_prices, cart, None, &args)
            .await
            .map(drop)
    }

    pub async fn get(&self, cart: Uuid) -> Result<StoredCart, CartError> {
        Ok(self.read(cart, None).await?.0)
    }

    /// The cart, and the value at `record` when one is named, in one round trip.
    async fn read(
        &self,
        cart: Uuid,
        record: Option<String>,
    ) -> Result<(StoredCart, Option<String>), CartError> {
        let mut redis = self.redis.clone();
        let mut pipe = redis::pipe();
        pipe.atomic().hgetall(self.key(cart)).pttl(self.key(cart));
        // One transaction: HGETALL and PTTL of the cart (and GET of the record).
        let span = self.db.span("MULTI", None);
        let read: Result<(HashMap<String, String>, i64, Option<String>), _> = match record {
            Some(record) => {
                self.db
                    .call(span, pipe.get(record).query_async(&mut redis))
                    .await
            }
            None => self
                .db
                .call(span, pipe.query_async(&mut redis))
                .await
                .map(|(fields, ttl_ms)| (fields, ttl_ms, None)),
        };
        let (fields, ttl_ms, recorded) = read.map_err(CartError::StoreUnavailable)?;
        if fields.is_empty() {
            return Err(CartError::CartNotFound(cart));
        }
        Ok((parse_cart(cart, &fields, ttl_ms)?, recorded))
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

fn unexpected(script: &str, status: i64) -> CartError {
    CartError::Corrupt(format!("the {script} script answered {status}"))
}

/// Now, to the millisecond the store keeps.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn price_json(price: &Price) -> Result<String, CartError> {
    serde_json::to_string(price).map_err(|err| CartError::Corrupt(err.to_string()))
}

/// Prices as script arguments: product, price JSON, product, price JSON, ...
fn price_args(prices: &HashMap<Uuid, Price>) -> Result<Vec<String>, CartError> {
    let mut args = Vec::with_capacity(prices.len() * 2);
    for (product, price) in prices {
        args.push(product.to_string());
        args.push(price_json(price)?);
    }
    Ok(args)
}

/// A script's answer: `{status, value}`, or `{status, value, undisturbed}` for a change.
fn parse_answer(answer: &[redis::Value]) -> Result<Answer, CartError> {
    let int = |value: &redis::Value| -> Result<i64, CartError> {
        i64::from_redis_value_ref(value)
            .map_err(|err| CartError::Corrupt(format!("a script answered {err}")))
    };
    let (status, value, undisturbed) = match answer {
        [status, value] => (status, value, None),
        [status, value, undisturbed] => (status, value, Some(undisturbed)),
        other => {
            return Err(CartError::Corrupt(format!(
                "a script answered {} values",
                other.len()
            )));
        }
    };
    Ok(Answer {
        status: int(status)?,
        value: int(value)?,
        undisturbed: undisturbed.map(int).transpose()? == Some(1),
    })
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
        version: fields
            .get("version")
            .and_then(|version| version.parse().ok())
            .unwrap_or(0),
    })
}
