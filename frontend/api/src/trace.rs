//! W3C trace context for the storefront's API calls: each call starts a trace whose id
//! the services continue, so a click can be followed through every service it touches.

/// The `traceparent` header for a new sampled trace with these ids
/// (<https://www.w3.org/TR/trace-context/#traceparent-header>).
pub fn traceparent(trace_id: [u8; 16], span_id: [u8; 8]) -> String {
    format!("00-{}-{}-01", hex(&trace_id), hex(&span_id))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A `traceparent` with fresh random ids.
pub fn new_traceparent() -> String {
    let (trace_id, span_id) = fresh_ids();
    traceparent(trace_id, span_id)
}

/// A fresh trace id and span id. All-zero ids are invalid; the chance of drawing them is
/// negligible, but an id of zeroes would be dropped by the services, so such a draw is
/// replaced.
pub fn fresh_ids() -> ([u8; 16], [u8; 8]) {
    let mut trace_id: [u8; 16] = crate::random_bytes();
    let mut span_id: [u8; 8] = crate::random_bytes();
    if trace_id.iter().all(|byte| *byte == 0) {
        trace_id[0] = 1;
    }
    if span_id.iter().all(|byte| *byte == 0) {
        span_id[0] = 1;
    }
    (trace_id, span_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_version_ids_and_the_sampled_flag() {
        let mut trace_id = [0u8; 16];
        trace_id[0] = 0x4b;
        trace_id[15] = 0xf6;
        let span_id = [0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7];
        assert_eq!(
            traceparent(trace_id, span_id),
            "00-4b0000000000000000000000000000f6-00f067aa0ba902b7-01"
        );
    }

    #[test]
    fn fresh_ids_differ_and_are_never_zero() {
        let (a, b) = (new_traceparent(), new_traceparent());
        assert_ne!(a, b);
        assert_eq!(a.len(), 55, "{a}");
        assert!(!a.contains(&"0".repeat(32)), "{a}");
    }
}
