//! The contract between the Cart (consumer) and the Catalog's gRPC API (provider), as
//! data both sides test against. The Pact protobuf plugin cannot be installed here, so
//! this plays its part: each interaction names a provider state, a request, the answer
//! the consumer relies on ([`Interaction::answer`], what the consumer test's stand-in
//! Catalog sends) and the rule the real answer must meet ([`Interaction::check`], what
//! the provider test asserts against the real Catalog). The Cart asks `ValidateProducts`
//! about every line of a cart at once and `GetProductPrices` to price one; each line of
//! the first is one interaction.

use catalog_proto::v1::{Money, ProductPrice, ProductValidation, ValidationReason};
use uuid::Uuid;

/// What the provider must hold for an interaction, like a Pact provider state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A product for sale with at least 10 in stock.
    InStock,
    /// A product that exists but is not for sale.
    NotForSale,
    /// A product for sale with exactly 3 in stock.
    ThreeInStock,
    /// No product has the id.
    Unknown,
}

/// One request the Cart makes and what it relies on in the answer.
#[derive(Debug, Clone, Copy)]
pub struct Interaction {
    pub description: &'static str,
    pub state: State,
    pub quantity: i32,
}

pub const INTERACTIONS: &[Interaction] = &[
    Interaction {
        description: "validating a sellable quantity",
        state: State::InStock,
        quantity: 2,
    },
    Interaction {
        description: "validating a product not for sale",
        state: State::NotForSale,
        quantity: 1,
    },
    Interaction {
        description: "validating more than is in stock",
        state: State::ThreeInStock,
        quantity: 4,
    },
    Interaction {
        description: "validating an unknown product",
        state: State::Unknown,
        quantity: 1,
    },
];

/// The unit price the consumer-side Catalog quotes for every product.
pub const PRICE_MINOR: i64 = 1999;

impl Interaction {
    /// What the consumer test's stand-in Catalog answers.
    pub fn answer(&self, product_id: Uuid) -> ProductValidation {
        let id = product_id.to_string();
        let price = Some(Money {
            amount_minor: PRICE_MINOR,
            currency: "USD".to_owned(),
        });
        let name = format!("Product in state {:?}", self.state);
        match self.state {
            State::InStock => ProductValidation {
                product_id: id,
                valid: true,
                reason: ValidationReason::Ok.into(),
                available_stock: 10,
                unit_price: price,
                name,
            },
            State::NotForSale => ProductValidation {
                product_id: id,
                valid: false,
                reason: ValidationReason::Inactive.into(),
                available_stock: 10,
                unit_price: price,
                name,
            },
            State::ThreeInStock => ProductValidation {
                product_id: id,
                valid: false,
                reason: ValidationReason::InsufficientStock.into(),
                available_stock: 3,
                unit_price: price,
                name,
            },
            State::Unknown => ProductValidation {
                product_id: id,
                valid: false,
                reason: ValidationReason::NotFound.into(),
                ..ProductValidation::default()
            },
        }
    }

    /// Whether an answer gives the Cart what it relies on; the message says what is missing.
    pub fn check(&self, product_id: Uuid, answer: &ProductValidation) -> Result<(), String> {
        let fail = |what: &str| Err(format!("{}: {what}, got {answer:?}", self.description));
        if answer.product_id != product_id.to_string() {
            return fail("the answer must name the product asked about");
        }
        let expected = match self.state {
            State::InStock => ValidationReason::Ok,
            State::NotForSale => ValidationReason::Inactive,
            State::ThreeInStock => ValidationReason::InsufficientStock,
            State::Unknown => ValidationReason::NotFound,
        };
        if answer.reason() != expected || answer.valid != (expected == ValidationReason::Ok) {
            return fail(&format!(
                "reason must be {expected:?} and valid only when OK"
            ));
        }
        match self.state {
            State::Unknown => {
                if answer.unit_price.is_some() {
                    return fail("an unknown product has no price");
                }
            }
            _ => {
                let Some(price) = &answer.unit_price else {
                    return fail("a known product has a unit price");
                };
                if price.amount_minor < 0 || price.currency.len() != 3 || answer.name.is_empty() {
                    return fail(
                        "the price is minor units and an ISO currency, and the name is given",
                    );
                }
            }
        }
        if self.state == State::ThreeInStock && answer.available_stock != 3 {
            return fail("the available stock is the number in stock");
        }
        Ok(())
    }
}

/// The price answer the consumer relies on for a known product (`GetProductPrices`).
pub fn price_answer(product_id: Uuid, state: State) -> ProductPrice {
    match state {
        State::Unknown => ProductPrice {
            product_id: product_id.to_string(),
            ..ProductPrice::default()
        },
        _ => ProductPrice {
            product_id: product_id.to_string(),
            found: true,
            unit_price: Some(Money {
                amount_minor: PRICE_MINOR,
                currency: "USD".to_owned(),
            }),
            active: state != State::NotForSale,
            name: format!("Product in state {state:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consumer_side_answers_meet_the_contract() {
        for interaction in INTERACTIONS {
            let id = Uuid::from_u128(42);
            assert_eq!(interaction.check(id, &interaction.answer(id)), Ok(()));
        }
    }
}
