//! Spans for the calls a service makes to its datastores, named and attributed by the
//! OpenTelemetry conventions for database clients: `{operation} {collection}` (`SELECT
//! products`, `find reviews`) or the operation alone (`EVALSHA`), kind client, with
//! `db.system.name`, `db.namespace`, `db.operation.name`, `db.collection.name` and the
//! server's address and port. Neither the query's text nor a value goes into a span, so
//! a search term or the words of a review never reach the traces.

use std::future::Future;
use std::sync::Arc;

use tracing::Instrument;

/// One datastore a service talks to: `postgresql`, `redis` or `mongodb` (the
/// conventions' `db.system.name`), the database, and where it is.
#[derive(Debug, Clone)]
pub struct Datastore {
    system: &'static str,
    namespace: Arc<str>,
    address: Arc<str>,
    port: Option<u16>,
}

impl Datastore {
    /// The datastore at `url` (`postgres://…`, `redis://…`, `mongodb://…`), whose user
    /// and password stay out of every span; `namespace` is the database's name.
    pub fn new(system: &'static str, url: &str, namespace: &str) -> Self {
        let (address, port) = server_of(url);
        Self {
            system,
            namespace: namespace.into(),
            address: address.into(),
            port,
        }
    }

    /// A client span for `operation` (`SELECT`, `EVALSHA`, `find`) on `collection`, when
    /// the operation has one. A caller may record `db.stored_procedure.name` in it (the
    /// Redis script a call runs, say).
    pub fn span(&self, operation: &str, collection: Option<&str>) -> tracing::Span {
        let name = match collection {
            Some(collection) => format!("{operation} {collection}"),
            None => operation.to_owned(),
        };
        tracing::info_span!(
            "datastore_call",
            otel.name = name,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            db.system.name = self.system,
            db.namespace = &*self.namespace,
            db.operation.name = operation,
            db.collection.name = collection,
            db.stored_procedure.name = tracing::field::Empty,
            server.address = &*self.address,
            server.port = self.port,
            error.type = tracing::field::Empty,
        )
    }

    /// Runs `call` in `span`; a failure marks the span as failed, with the error's type.
    pub async fn call<T, E>(
        &self,
        span: tracing::Span,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let result = call.instrument(span.clone()).await;
        if result.is_err() {
            span.record("otel.status_code", "error");
            span.record("error.type", std::any::type_name::<E>());
        }
        result
    }
}

/// The host and port of a datastore URL, without its scheme, user, password, path or
/// options: `postgres://app:secret@127.0.0.1:55432/catalog` is `127.0.0.1` and `55432`.
fn server_of(url: &str) -> (String, Option<u16>) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    // A MongoDB seed list names several hosts; the first stands for them.
    let host_port = host_port.split(',').next().unwrap_or_default();
    match host_port
        .rsplit_once(':')
        .map(|(host, port)| (host, port.parse()))
    {
        Some((host, Ok(port))) => (host.to_owned(), Some(port)),
        _ => (host_port.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_of_a_url_keeps_no_credentials() {
        assert_eq!(
            server_of("postgres://app:secret@127.0.0.1:55432/catalog?sslmode=disable"),
            ("127.0.0.1".to_owned(), Some(55432))
        );
        assert_eq!(
            server_of("redis://:pw@localhost:6379"),
            ("localhost".to_owned(), Some(6379))
        );
        assert_eq!(
            server_of("mongodb://a.example:27017,b.example:27017/?replicaSet=rs"),
            ("a.example".to_owned(), Some(27017))
        );
        assert_eq!(server_of("mongodb://db/"), ("db".to_owned(), None));
        assert_eq!(
            server_of("redis://[::1]:6379"),
            ("[::1]".to_owned(), Some(6379))
        );
    }
}
