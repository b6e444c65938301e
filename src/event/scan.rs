//! The fast path of decoding: a scanner for the common shape of an event,
//! a flat JSON object of plain strings, integers and numbers, that fills
//! the same [`Wire`] the serde decoder does.
//!
//! Owns: recognising that shape, and nothing else. Whenever the record is
//! anything but plainly valid in that shape (an escape in a string, a
//! nested value in an unknown field, a value of the wrong type, bad JSON),
//! the scanner answers `None` and the serde decoder decides, so every
//! error and every unusual form keeps exactly one implementation.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{parse_rfc3339_ms, Field, Wire};

/// The record as a [`Wire`], or `None` to defer to the serde decoder.
/// `text` is already trimmed and starts with `{`.
pub(super) fn wire(text: &str) -> Option<Wire<'_>> {
    let mut s = Scanner { b: text.as_bytes(), text, i: 1 };
    let mut w = Wire::default();
    s.ws();
    if s.peek()? == b'}' {
        s.i += 1;
        return s.at_end().then_some(w);
    }
    loop {
        s.ws();
        let key = s.plain_string()?;
        s.ws();
        s.expect(b':')?;
        s.ws();
        let field = Field::of(key);
        match field {
            Field::Count(name) => {
                let v = if s.null() { None } else { Some(s.unsigned()?) };
                w.set_count(name, v);
            }
            Field::Ts => {
                w.ts = match s.peek()? {
                    b'"' => Some(parse_rfc3339_ms(s.plain_string()?)?),
                    b'n' if s.null() => None,
                    b'-' => {
                        s.i += 1;
                        let v = s.unsigned()?;
                        Some(i64::try_from(v).ok()?.checked_neg()?)
                    }
                    _ => Some(i64::try_from(s.unsigned()?).ok()?),
                }
            }
            Field::Cost => {
                w.cost_usd = if s.null() {
                    None
                } else {
                    let v: f64 = s.number()?.parse().ok()?;
                    // Negative or overflowing costs are errors: the serde
                    // decoder words them. (+ 0.0 turns -0 into 0.)
                    if !(v.is_finite() && v >= 0.0) {
                        return None;
                    }
                    Some(v + 0.0)
                }
            }
            Field::Labels => w.labels = if s.null() { None } else { Some(s.string_map()?) },
            Field::Text(_) => {
                let v = if s.null() { None } else { Some(Cow::Borrowed(s.plain_string()?)) };
                w.set_text(field, v).ok()?;
            }
            Field::Unknown => s.skip_scalar()?,
        }
        s.ws();
        match s.next()? {
            b',' => continue,
            b'}' => return s.at_end().then_some(w),
            _ => return None,
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    /// `null`, consumed if present.
    fn null(&mut self) -> bool {
        if self.b.get(self.i..self.i + 4) == Some(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// A string without escapes or control characters, borrowed.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        let len = self.b.get(start..)?.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        self.i = start + len;
        if self.next()? != b'"' {
            return None;
        }
        // Both ends sit next to ASCII quotes, so they are char boundaries.
        self.text.get(start..start + len)
    }

    /// A non-negative JSON integer that fits u64 (no fraction, exponent or
    /// leading zero).
    fn unsigned(&mut self) -> Option<u64> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let digits = self.b.get(start..self.i)?;
        if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
    }

    /// The text of a JSON number, checked against the JSON grammar.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        self.digits()?;
        if self.b.get(int_start) == Some(&b'0') && self.i - int_start > 1 {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        self.text.get(start..self.i)
    }

    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// An object of plain strings (`labels`).
    fn string_map(&mut self) -> Option<BTreeMap<String, String>> {
        self.expect(b'{')?;
        let mut m = BTreeMap::new();
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(m);
        }
        loop {
            self.ws();
            let k = self.plain_string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let v = self.plain_string()?;
            m.insert(k.to_string(), v.to_string());
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(m),
                _ => return None,
            }
        }
    }

    /// Skips a string, number, `true`, `false` or `null`; anything nested
    /// is left to the serde decoder.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.plain_string().map(|_| ()),
            b'-' | b'0'..=b'9' => self.number().map(|_| ()),
            _ => {
                for lit in [&b"true"[..], b"false", b"null"] {
                    if self.b.get(self.i..self.i + lit.len()) == Some(lit) {
                        self.i += lit.len();
                        return Some(());
                    }
                }
                None
            }
        }
    }
}
