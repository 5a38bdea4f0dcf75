//! Product pictures, drawn as SVG from the product's own data, so the demo catalog needs
//! no image files and no network: the same product always gets the same picture.

use crate::store::Product;

/// Background and accent colours, one pair per palette slot.
const PALETTE: &[(&str, &str)] = &[
    ("#e8f1fb", "#2563eb"),
    ("#fdf2e9", "#ea580c"),
    ("#ecfdf3", "#16a34a"),
    ("#f5f0ff", "#7c3aed"),
    ("#fff1f2", "#e11d48"),
    ("#f0fdfa", "#0d9488"),
    ("#fefce8", "#ca8a04"),
    ("#f1f5f9", "#475569"),
];

/// A stable small hash (FNV-1a), so colours do not change between builds.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn svg(product: &Product) -> String {
    let slot =
        usize::try_from(stable_hash(&product.category_slug) % PALETTE.len() as u64).unwrap_or(0);
    let (background, accent) = PALETTE[slot];
    let initials: String = product
        .name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    // The ring's size varies per product so neighbours in a grid look different.
    let radius = 70 + stable_hash(&product.sku) % 40;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img" aria-label="{label}">
<rect width="400" height="400" fill="{background}"/>
<circle cx="200" cy="175" r="{radius}" fill="{accent}" opacity="0.9"/>
<text x="200" y="198" font-family="system-ui, sans-serif" font-size="64" font-weight="700" text-anchor="middle" fill="#ffffff">{initials}</text>
<text x="200" y="335" font-family="system-ui, sans-serif" font-size="22" text-anchor="middle" fill="{accent}">{category}</text>
</svg>
"##,
        label = escape(&product.name),
        initials = escape(&initials),
        category = escape(&product.category_name),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/b&gt;"
        );
    }

    #[test]
    fn the_hash_is_stable() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
