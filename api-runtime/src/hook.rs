use std::fmt;
use std::sync::Arc;

use http::HeaderMap;

/// What a hook does to a request's headers.
type AddHeaders = dyn Fn(&mut HeaderMap) + Send + Sync;

/// Runs on every request a generated client sends, to add headers such as W3C trace
/// context. `HeaderHook::default()` adds nothing.
#[derive(Clone, Default)]
pub struct HeaderHook(Option<Arc<AddHeaders>>);

impl HeaderHook {
    pub fn new(hook: impl Fn(&mut HeaderMap) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(hook)))
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        if let Some(hook) = &self.0 {
            hook(headers);
        }
    }
}

impl fmt::Debug for HeaderHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "HeaderHook(set)"
        } else {
            "HeaderHook(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn a_hook_adds_its_headers_and_the_default_adds_none() {
        let mut headers = HeaderMap::new();
        HeaderHook::default().apply(&mut headers);
        assert!(headers.is_empty());
        HeaderHook::new(|headers| {
            headers.insert("x-probe", HeaderValue::from_static("1"));
        })
        .apply(&mut headers);
        assert_eq!(headers["x-probe"], "1");
    }
}
