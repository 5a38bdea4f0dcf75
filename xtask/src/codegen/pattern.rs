//! The `pattern`s of a spec, checked in time linear in the input.
//!
//! OpenAPI patterns are ECMA-262 regular expressions, and typify checks them with
//! `regress`, a backtracking engine in which a pattern such as "not blank, no NUL"
//! (`^[^\x00]*[^\x00\s][^\x00]*$`) takes time quadratic in a text built for it: a review
//! body of 5,000 letters ending in a NUL held a request for seconds. The generated types
//! check every pattern with `regex-lite` instead, whose matching is linear in the input
//! whatever the pattern. Its syntax is not ECMA-262's, so each pattern is translated here
//! to one with the same meaning: the classes whose members the two engines define
//! differently (`\s`, `\d`, `\w`, `.`) are spelled out as ECMA-262 defines them, and what
//! has no linear-time equivalent (backreferences, lookaround, word boundaries) is refused
//! with the schema's name.

use anyhow::{Result, bail};
use syn::visit_mut::{self, VisitMut};

/// ECMA-262's white space and line terminators, the members of `\s`, as class items.
const SPACE: &str = r"\t\n\x0B\x0C\r\x20\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
const DIGIT: &str = "0-9";
const WORD: &str = "A-Za-z0-9_";
/// What `.` matches: anything but a line terminator.
const NOT_LINE_END: &str = r"[^\n\r\x{2028}\x{2029}]";

/// The ECMA-262 `pattern` in `regex-lite` syntax, with the same meaning.
pub fn translate(pattern: &str) -> Result<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    bail!("the pattern ends in a lone backslash");
                };
                let class = |items: &str, negated: bool| -> Result<String> {
                    match (in_class, negated) {
                        (true, false) => Ok(items.to_owned()),
                        (true, true) => bail!("`\\{escaped}` inside a class is not supported"),
                        (false, false) => Ok(format!("[{items}]")),
                        (false, true) => Ok(format!("[^{items}]")),
                    }
                };
                match escaped {
                    's' | 'S' => out.push_str(&class(SPACE, escaped == 'S')?),
                    'd' | 'D' => out.push_str(&class(DIGIT, escaped == 'D')?),
                    'w' | 'W' => out.push_str(&class(WORD, escaped == 'W')?),
                    't' => out.push_str(r"\t"),
                    'n' => out.push_str(r"\n"),
                    'r' => out.push_str(r"\r"),
                    'v' => out.push_str(r"\x0B"),
                    'f' => out.push_str(r"\x0C"),
                    '0' if !chars.peek().is_some_and(char::is_ascii_digit) => {
                        out.push_str(r"\x00");
                    }
                    'x' => out.push_str(&format!(r"\x{{{}}}", hex_digits(&mut chars, 2)?)),
                    'u' => out.push_str(&format!(r"\x{{{}}}", hex_digits(&mut chars, 4)?)),
                    '1'..='9' => {
                        bail!("backreferences (`\\{escaped}`) cannot be checked in linear time")
                    }
                    'b' | 'B' => bail!("word boundaries (`\\{escaped}`) are not supported"),
                    '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}'
                    | '^' | '$' | '-' => {
                        out.push('\\');
                        out.push(escaped);
                    }
                    '/' => out.push('/'),
                    other => bail!("the escape `\\{other}` is not supported"),
                }
            }
            '[' if in_class => out.push_str(r"\["),
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    bail!("an empty class (`[]` or `[^]`) is not supported");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            // Set operations of `regex-lite`'s classes, literal characters in ECMA-262.
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '.' if !in_class => out.push_str(NOT_LINE_END),
            '(' if chars.peek() == Some(&'?') => {
                chars.next();
                if chars.next() != Some(':') {
                    bail!("lookaround and named groups are not supported");
                }
                out.push_str("(?:");
            }
            other => out.push(other),
        }
    }
    if in_class {
        bail!("a class is not closed");
    }
    regex_lite::Regex::new(&out)
        .map_err(|err| anyhow::anyhow!("no linear-time equivalent ({out}): {err}"))?;
    Ok(out)
}

fn hex_digits(chars: &mut impl Iterator<Item = char>, count: usize) -> Result<String> {
    let digits: String = chars.take(count).collect();
    if digits.len() != count || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("expected {count} hex digits, found `{digits}`");
    }
    Ok(digits)
}

/// Rewrites typify's pattern checks in `items` (the types module) to `regex-lite`, each
/// pattern translated; fails naming the first pattern that cannot be.
pub fn make_linear(items: &mut [syn::Item]) -> Result<()> {
    let mut rewrite = Rewrite { error: None };
    for item in items.iter_mut() {
        rewrite.visit_item_mut(item);
    }
    match rewrite.error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

struct Rewrite {
    error: Option<anyhow::Error>,
}

impl VisitMut for Rewrite {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        let is_new = matches!(&*call.func, syn::Expr::Path(path)
            if path.path.segments.iter().map(|s| s.ident.to_string()).eq(["regress", "Regex", "new"]));
        if is_new
            && let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(pattern),
                ..
            })) = call.args.first_mut()
        {
            match translate(&pattern.value()) {
                Ok(linear) => *pattern = syn::LitStr::new(&linear, pattern.span()),
                Err(err) => {
                    let err = err.context(format!("the pattern `{}`", pattern.value()));
                    self.error.get_or_insert(err);
                }
            }
        }
        visit_mut::visit_expr_call_mut(self, call);
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if let Some(first) = path.segments.first_mut()
            && first.ident == "regress"
        {
            first.ident = syn::Ident::new("regex_lite", first.ident.span());
        }
        visit_mut::visit_path_mut(self, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts on which ECMA-262 and the translation must agree, with the edge cases of
    /// `\s` (no-break space, BOM, NEL, which is no ECMA-262 space) and `.`.
    const TEXTS: &[&str] = &[
        "",
        "a",
        " ",
        "  a  ",
        "\0",
        "a\0",
        "\t\n",
        "\u{a0}",
        "\u{feff}",
        "\u{85}",
        "\u{2028}",
        "é",
        "日本",
        "A-1",
        "a-",
        "-a",
        "abc-def",
        "ABC",
        "AB",
        "x_y9",
        "\u{1680}x",
        "a\nb",
    ];

    fn agree(pattern: &str) {
        let ecma = regress::Regex::new(pattern).expect("an ECMA-262 pattern");
        let linear = regex_lite::Regex::new(&translate(pattern).expect("translated"))
            .expect("a regex-lite pattern");
        for text in TEXTS {
            assert_eq!(
                ecma.find(text).is_some(),
                linear.is_match(text),
                "{pattern:?} on {text:?}"
            );
        }
    }

    #[test]
    fn translated_patterns_mean_what_the_spec_says() {
        for pattern in [
            r"^[^\x00]*[^\x00\s][^\x00]*$",
            r"^[^\x00]*$",
            "^[a-z0-9]+(-[a-z0-9]+)*$",
            "^[A-Z0-9]+(-[A-Z0-9]+)*$",
            "^[A-Z]{3}$",
            r"^\S+$",
            r"^\d*\w?$",
            "^.$",
            r"^(?:a|\u00e9)$",
            r"^[\s\d]$",
            r"^[&~]+$",
        ] {
            agree(pattern);
        }
    }

    #[test]
    fn what_has_no_linear_equivalent_is_refused() {
        for pattern in [r"^(a)\1$", "^(?=a)a$", r"\bword\b", r"^[\S]$", "[]", "^[a"] {
            assert!(translate(pattern).is_err(), "{pattern}");
        }
    }
}
