//! Pricing a cart: each line at the Catalog's current price when it could be asked, at
//! the last known price (flagged stale) when it could not. Totals are integer minor
//! units; lines whose product is gone or no longer for sale count toward nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::catalog::Price;
use crate::store::StoredCart;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub product_id: Uuid,
    pub name: String,
    pub quantity: u32,
    pub unit_minor: i64,
    pub currency: String,
    pub total_minor: i64,
    pub available: bool,
    pub price_stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCart {
    pub id: Uuid,
    pub lines: Vec<PricedLine>,
    pub item_count: u32,
    pub subtotal_minor: i64,
    pub currency: String,
    pub prices_stale: bool,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Prices `cart`. `current` holds the Catalog's prices, or is `None` when the Catalog
/// could not be asked; a product missing from `current` no longer exists.
pub fn price(
    cart: StoredCart,
    current: Option<&HashMap<Uuid, Price>>,
    currency: &str,
) -> PricedCart {
    let mut lines = Vec::with_capacity(cart.lines.len());
    for line in cart.lines {
        let (price, available, stale) = match current {
            Some(prices) => match prices.get(&line.product_id) {
                Some(price) => (Some(price.clone()), price.active, false),
                None => (line.last_price, false, false),
            },
            None => {
                let available = line.last_price.as_ref().is_some_and(|price| price.active);
                (line.last_price, available, true)
            }
        };
        let (name, unit_minor, line_currency) = match price {
            Some(price) => (price.name, price.amount_minor, price.currency),
            None => ("Unknown product".to_owned(), 0, currency.to_owned()),
        };
        let total_minor = unit_minor.saturating_mul(i64::from(line.quantity));
        lines.push(PricedLine {
            product_id: line.product_id,
            name,
            quantity: line.quantity,
            unit_minor,
            currency: line_currency,
            total_minor,
            available,
            price_stale: stale,
        });
    }
    let counted = lines
        .iter()
        .filter(|line| line.available && line.currency == currency);
    let (item_count, subtotal_minor) = counted.fold((0u32, 0i64), |(count, total), line| {
        (
            count + line.quantity,
            total.saturating_add(line.total_minor),
        )
    });
    PricedCart {
        id: cart.id,
        prices_stale: lines.iter().any(|line| line.price_stale),
        lines,
        item_count,
        subtotal_minor,
        currency: currency.to_owned(),
        updated_at: cart.updated_at,
        expires_at: cart.expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredLine;

    fn price_of(name: &str, amount_minor: i64, active: bool) -> Price {
        Price {
            name: name.to_owned(),
            amount_minor,
            currency: "USD".to_owned(),
            active,
        }
    }

    fn cart(lines: Vec<(Uuid, u32, Option<Price>)>) -> StoredCart {
        StoredCart {
            id: Uuid::nil(),
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(order, (product_id, quantity, last_price))| {
                    StoredLine::new(
                        product_id,
                        quantity,
                        last_price,
                        i64::try_from(order).unwrap_or(0),
                    )
                })
                .collect(),
            updated_at: Utc::now(),
            expires_at: Utc::now(),
            version: 0,
        }
    }

    #[test]
    fn totals_are_quantity_times_the_current_price() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let stored = cart(vec![
            (a, 3, Some(price_of("Old name", 100, true))),
            (b, 1, None),
        ]);
        let current = HashMap::from([
            (a, price_of("Lamp", 1999, true)),
            (b, price_of("Mug", 450, true)),
        ]);
        let priced = price(stored, Some(&current), "USD");
        assert_eq!(priced.lines[0].name, "Lamp");
        assert_eq!(priced.lines[0].total_minor, 5997);
        assert_eq!((priced.item_count, priced.subtotal_minor), (4, 6447));
        assert!(!priced.prices_stale);
    }

    #[test]
    fn gone_and_inactive_products_count_toward_nothing() {
        let (gone, inactive, kept) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let stored = cart(vec![
            (gone, 2, Some(price_of("Gone", 500, true))),
            (inactive, 1, None),
            (kept, 1, None),
        ]);
        let current = HashMap::from([
            (inactive, price_of("Paused", 300, false)),
            (kept, price_of("Kept", 700, true)),
        ]);
        let priced = price(stored, Some(&current), "USD");
        assert_eq!(
            priced.lines.iter().map(|l| l.available).collect::<Vec<_>>(),
            vec![false, false, true]
        );
        assert_eq!(
            priced.lines[0].name, "Gone",
            "a gone product keeps its last known name"
        );
        assert_eq!((priced.item_count, priced.subtotal_minor), (1, 700));
    }

    #[test]
    fn without_the_catalog_the_last_known_prices_are_used_and_flagged() {
        let a = Uuid::from_u128(1);
        let priced = price(
            cart(vec![(a, 2, Some(price_of("Lamp", 1999, true)))]),
            None,
            "USD",
        );
        assert!(priced.prices_stale && priced.lines[0].price_stale);
        assert_eq!((priced.item_count, priced.subtotal_minor), (2, 3998));
    }
}
