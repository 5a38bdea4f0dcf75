//! The client half of the runtime: the [`HeaderHook`](crate::HeaderHook) every generated
//! client runs, and [`client!`](crate::client), the `Client` struct that progenitor
//! writes the same way for every spec, written once.

/// Declares a generated crate's `Client`: the base URL, the `reqwest` client and the
/// [`HeaderHook`](crate::HeaderHook), with the two constructors and the progenitor traits
/// that the generated operation builders call. Only the doc comment and the API version
/// differ from one spec to the next, so `cargo xtask codegen` writes
/// `api_runtime::client! { /** docs */ "1.0.0" }` and the operations after it.
///
/// `new` gives every request a 15 second connect and total timeout outside the browser,
/// where the browser's own limits apply instead.
#[macro_export]
macro_rules! client {
    ($(#[$doc:meta])* $version:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct Client {
            pub(crate) baseurl: String,
            pub(crate) client: $crate::reqwest::Client,
            pub(crate) inner: $crate::HeaderHook,
        }

        impl Client {
            /// A client of the service at `baseurl` (a scheme, a host, and the port and a
            /// path stem where there are), running `inner` on every request.
            pub fn new(baseurl: &str, inner: $crate::HeaderHook) -> Self {
                Self::new_with_client(baseurl, $crate::default_http_client(), inner)
            }

            /// The same with a `reqwest::Client` of the caller's own configuration.
            pub fn new_with_client(
                baseurl: &str,
                client: $crate::reqwest::Client,
                inner: $crate::HeaderHook,
            ) -> Self {
                Self { baseurl: baseurl.to_owned(), client, inner }
            }
        }

        impl $crate::progenitor_client::ClientInfo<$crate::HeaderHook> for Client {
            fn api_version() -> &'static str {
                $version
            }
            fn baseurl(&self) -> &str {
                &self.baseurl
            }
            fn client(&self) -> &$crate::reqwest::Client {
                &self.client
            }
            fn inner(&self) -> &$crate::HeaderHook {
                &self.inner
            }
        }

        impl $crate::progenitor_client::ClientHooks<$crate::HeaderHook> for &Client {}
    };
}

/// The `reqwest::Client` of [`client!`]'s `new`.
#[doc(hidden)]
pub fn default_http_client() -> reqwest::Client {
    let builder = reqwest::Client::builder();
    #[cfg(not(target_arch = "wasm32"))]
    let builder = {
        let limit = std::time::Duration::from_secs(15);
        builder.connect_timeout(limit).timeout(limit)
    };
    builder
        .build()
        .expect("a reqwest client with only timeouts set always builds")
}
