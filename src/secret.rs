//! The secrets this run holds (the bearer token; later an organisation admin key), and
//! their redaction from every piece of text that leaves the process.
//!
//! A secret is [registered](register) once, as soon as it is read. [`redact`] then
//! replaces every occurrence of it with [`REDACTED`]: the raw value, and the value as a
//! server or a renderer may echo it — percent-encoded (any subset of bytes, either hex
//! case), JSON- or Markdown-escaped (`\/`, `\u002F`), HTML-escaped (`&#47;`, `&amp;`),
//! in any mix of those, and base64-encoded (standard or URL-safe alphabet, at any
//! alignment, so also inside `base64("Bearer " + value)`). `Bearer <value>` becomes
//! `Bearer [redacted]`.
//!
//! Where text is written: [`Redacting`] wraps a writer and redacts whole lines (it holds
//! back an unfinished line until its newline, a flush or its drop); [`stdout`] and
//! [`stderr`] are the process's streams wrapped in it; [`redact`] is for whole strings
//! (a plan file's text, an error's message).
//!
//! Values shorter than [`MIN_SECRET_LEN`] bytes are not registered: they cannot be a
//! real credential, and replacing every occurrence of, say, `t` would garble the output.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::sync::{PoisonError, RwLock};

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The shortest value that is registered as a secret, in bytes.
pub const MIN_SECRET_LEN: usize = 8;

/// A set of secrets, each kept as the byte strings it is looked for as (the value and its
/// base64 forms); escaped forms are recognised while matching.
pub struct Secrets {
    needles: Vec<Vec<u8>>,
    /// The bytes a match can start with: the first byte of a needle, or the first byte
    /// of an escape (`%`, `\`, `&`).
    starts: [bool; 256],
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} forms)", self.needles.len())
    }
}

impl Default for Secrets {
    fn default() -> Secrets {
        Secrets::new()
    }
}

impl Secrets {
    /// No secrets.
    pub const fn new() -> Secrets {
        Secrets {
            needles: Vec::new(),
            starts: [false; 256],
        }
    }

    /// Add a secret (surrounding whitespace is not part of it). False when it is too
    /// short to be one, or already known.
    pub fn add(&mut self, value: &str) -> bool {
        let value = value.trim().as_bytes();
        if value.len() < MIN_SECRET_LEN || self.needles.iter().any(|n| n == value) {
            return false;
        }
        let mut forms = vec![value.to_vec()];
        for alphabet in [BASE64_STANDARD, BASE64_URL_SAFE] {
            for offset in 0..3 {
                let core = base64_core(value, offset, alphabet);
                if core.len() >= MIN_SECRET_LEN && !forms.contains(&core) {
                    forms.push(core);
                }
            }
        }
        for form in forms {
            self.starts[usize::from(form[0])] = true;
            self.needles.push(form);
        }
        for escape in [b'%', b'\\', b'&'] {
            self.starts[usize::from(escape)] = true;
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every occurrence of a secret, in any of its forms, replaced with
    /// [`REDACTED`].
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // A match starts at an ASCII byte or a needle's first byte and ends after a
            // needle's last byte, so it never splits a character; lossy only to be sure.
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// [`redact`](Self::redact) on bytes.
    pub fn redact_bytes<'t>(&self, text: &'t [u8]) -> Cow<'t, [u8]> {
        if self.needles.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at < text.len() {
            let byte = text[at];
            // Unescaped, a match starts with its needle's first byte: only those needles.
            let escaped = matches!(byte, b'%' | b'\\' | b'&');
            if self.starts[usize::from(byte)]
                && let Some(end) = self
                    .needles
                    .iter()
                    .filter(|needle| escaped || needle.first() == Some(&byte))
                    .filter_map(|needle| match_at(text, at, needle))
                    .max()
            {
                let out = out.get_or_insert_with(|| Vec::with_capacity(text.len()));
                out.extend_from_slice(&text[copied..at]);
                out.extend_from_slice(REDACTED.as_bytes());
                copied = end;
                at = end;
                continue;
            }
            at += 1;
        }
        match out {
            None => Cow::Borrowed(text),
            Some(mut out) => {
                out.extend_from_slice(&text[copied..]);
                Cow::Owned(out)
            }
        }
    }
}

/// What the name of an environment variable that scimform reads a secret from must begin
/// with (`target.token_env`): the files name the variable, and a pull request can change
/// the files, so they may only choose among variables meant for scimform — never
/// `GITHUB_TOKEN` or a cloud key that the CI job also holds.
pub const TOKEN_ENV_PREFIX: &str = "SCIMFORM_";

/// Whether `name` may name the variable a secret is read from: [`TOKEN_ENV_PREFIX`] and
/// at least one more character (case-sensitive, as environment variables are).
pub fn is_token_variable(name: &str) -> bool {
    name.len() > TOKEN_ENV_PREFIX.len() && name.starts_with(TOKEN_ENV_PREFIX)
}

/// The secrets of this process.
static REGISTRY: RwLock<Secrets> = RwLock::new(Secrets::new());

/// Register a secret of this run: from now on [`redact`] removes it. Call it where the
/// secret is read (the token from its environment variable; an admin key likewise).
pub fn register(value: &str) {
    REGISTRY
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .add(value);
}

/// `text` with every registered secret replaced with [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    REGISTRY
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .redact(text)
}

/// [`redact`] on bytes.
pub fn redact_bytes(text: &[u8]) -> Cow<'_, [u8]> {
    REGISTRY
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .redact_bytes(text)
}

/// A writer that passes everything through [`redact`], a line at a time: bytes after
/// the last newline wait for the next one, a [`flush`](Write::flush), or the drop.
pub struct Redacting<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Redacting<W> {
    pub fn new(inner: W) -> Redacting<W> {
        Redacting {
            inner,
            pending: Vec::new(),
        }
    }

    /// Redact and pass on the first `upto` pending bytes.
    fn write_redacted(&mut self, upto: usize) -> io::Result<()> {
        let result = self.inner.write_all(&redact_bytes(&self.pending[..upto]));
        self.pending.drain(..upto);
        result
    }
}

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Only the new bytes can hold a newline that was not there before.
        let before = self.pending.len();
        self.pending.extend_from_slice(buf);
        if let Some(newline) = buf.iter().rposition(|b| *b == b'\n') {
            self.write_redacted(before + newline + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.write_redacted(self.pending.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Redacting<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<W: Write> fmt::Debug for Redacting<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redacting({} bytes pending)", self.pending.len())
    }
}

/// Standard output, redacted (locked for as long as the writer lives).
pub fn stdout() -> Redacting<io::StdoutLock<'static>> {
    Redacting::new(io::stdout().lock())
}

/// Standard output for a document written at once (a plan, an outcome report): redacted
/// and buffered on both sides of the redaction, so that a 50 MB plan is redacted in
/// large blocks rather than a piece of a line at a time, and goes out in large blocks
/// rather than a system call a line. Everything is written by the time the writer is
/// flushed or dropped.
pub fn stdout_document() -> io::BufWriter<Redacting<io::BufWriter<io::StdoutLock<'static>>>> {
    io::BufWriter::with_capacity(
        1 << 16,
        Redacting::new(io::BufWriter::with_capacity(1 << 16, io::stdout().lock())),
    )
}

/// Standard error, redacted (locked for as long as the writer lives).
pub fn stderr() -> Redacting<io::StderrLock<'static>> {
    Redacting::new(io::stderr().lock())
}

/// Whether `needle` occurs at `at` in `text`, each of its bytes either as itself or
/// escaped; where it ends.
fn match_at(text: &[u8], at: usize, needle: &[u8]) -> Option<usize> {
    let mut t = at;
    for &byte in needle {
        if let Some((decoded, len)) = unescape(text, t)
            && decoded == byte
        {
            t += len;
        } else if text.get(t) == Some(&byte) {
            t += 1;
        } else {
            return None;
        }
    }
    Some(t)
}

/// The byte an escape at `at` stands for, and the escape's length: `%2F`; `\/`, `\"` and
/// any backslash-escaped ASCII punctuation (JSON, Markdown); `\u002F` and `\u{2F}`;
/// `&#47;`, `&#x2F;`, `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`.
fn unescape(text: &[u8], at: usize) -> Option<(u8, usize)> {
    let rest = &text[at..];
    match rest.first()? {
        b'%' => {
            let value = hex_value(rest.get(1..3)?)?;
            Some((u8::try_from(value).ok()?, 3))
        }
        b'\\' => match rest.get(1)? {
            b'u' if rest.get(2) == Some(&b'{') => {
                let close = rest.iter().take(10).position(|b| *b == b'}')?;
                let value = hex_value(&rest[3..close])?;
                Some((ascii(value)?, close + 1))
            }
            b'u' => Some((ascii(hex_value(rest.get(2..6)?)?)?, 6)),
            c if c.is_ascii_punctuation() => Some((*c, 2)),
            _ => None,
        },
        b'&' => {
            let semi = rest.iter().take(10).position(|b| *b == b';')?;
            let body = &rest[1..semi];
            let value = match body {
                b"amp" => u32::from(b'&'),
                b"lt" => u32::from(b'<'),
                b"gt" => u32::from(b'>'),
                b"quot" => u32::from(b'"'),
                b"apos" => u32::from(b'\''),
                [b'#', b'x' | b'X', hex @ ..] => hex_value(hex)?,
                [b'#', decimal @ ..] => {
                    if decimal.is_empty() || !decimal.iter().all(u8::is_ascii_digit) {
                        return None;
                    }
                    std::str::from_utf8(decimal).ok()?.parse().ok()?
                }
                _ => return None,
            };
            Some((ascii(value)?, semi + 1))
        }
        _ => None,
    }
}

fn ascii(value: u32) -> Option<u8> {
    u8::try_from(value).ok().filter(u8::is_ascii)
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    digits.iter().try_fold(0u32, |value, digit| {
        let digit = char::from(*digit).to_digit(16)?;
        Some(value * 16 + digit)
    })
}

const BASE64_STANDARD: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL_SAFE: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that `value` alone decides when it is encoded after `offset`
/// other bytes (0, 1 or 2: every alignment): whatever surrounds it, an encoding of text
/// that contains `value` contains these characters.
fn base64_core(value: &[u8], offset: usize, alphabet: &[u8; 64]) -> Vec<u8> {
    let first_bit = 8 * offset;
    let end_bit = 8 * (offset + value.len());
    let bit = |n: usize| -> u8 {
        let byte = value[(n - first_bit) / 8];
        (byte >> (7 - (n - first_bit) % 8)) & 1
    };
    let mut core = Vec::new();
    let mut char_start = first_bit.div_ceil(6) * 6;
    while char_start + 6 <= end_bit {
        let sextet = (0..6).fold(0u8, |acc, i| (acc << 1) | bit(char_start + i));
        core.push(alphabet[usize::from(sextet)]);
        char_start += 6;
    }
    core
}

/// `url` without the `user:password@` part of its authority (replaced with
/// `[redacted]@`), to name a URL in a message; unchanged when it has none. Works on text
/// that does not parse as a URL too.
pub fn url_without_userinfo(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |at| at + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |end| start + end);
    match url[start..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{REDACTED}{}", &url[..start], &url[start + at..])),
        None => Cow::Borrowed(url),
    }
}

/// The `user:password@` part of a URL's authority, without the `@`, when it has one.
fn userinfo(url: &str) -> Option<&str> {
    let start = url.find("://").map_or(0, |at| at + 3);
    let authority = &url[start..];
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    authority.rfind('@').map(|at| &authority[..at])
}

/// Register the `user:password@` of `url` as secrets, when it has one: the password,
/// and the user name (some services take a token there), each as written and
/// percent-decoded. Whether it had one.
pub fn register_url_userinfo(url: &str) -> bool {
    let Some(info) = userinfo(url) else {
        return false;
    };
    let (user, password) = info.split_once(':').unwrap_or((info, ""));
    for part in [info, user, password] {
        register(part);
        register(&percent_decode(part));
    }
    true
}

/// Percent-decode `text` (`%XX` sequences; anything else as it is), for a secret that
/// arrives encoded, as a URL's password does.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && let Some(value) = bytes.get(at + 1..at + 3).and_then(hex_value)
            && let Ok(byte) = u8::try_from(value)
        {
            out.push(byte);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "abc.DEF+ghi/JKL=mno_42";

    fn secrets() -> Secrets {
        let mut secrets = Secrets::new();
        assert!(secrets.add(TOKEN));
        secrets
    }

    fn base64(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(
                        BASE64_STANDARD[((n >> (18 - 6 * i)) & 63) as usize],
                    ));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn every_form_of_the_secret_is_redacted() {
        let secrets = secrets();
        let encoded_upper = "abc.DEF%2Bghi%2FJKL%3Dmno_42";
        let encoded_lower = "abc%2eDEF%2bghi%2fJKL%3dmno%5f42";
        let json = r"abc.DEF+ghi\/JKL=mno_42";
        let json_unicode = r"abc.DEF\u002Bghi\u002fJKL=mno_42";
        let markdown = r"abc\.DEF\+ghi/JKL=mno\_42";
        let html = "abc.DEF&#43;ghi&#x2F;JKL&#61;mno_42";
        // Each form, and how many characters of it may stay: a prefix that is not
        // secret (`Bearer `), and base64 characters that share bits with a neighbour.
        let b64 = |prefix: &str| base64(format!("{prefix}{TOKEN}").as_bytes());
        let kept = |prefix: &str| prefix.len() * 4 / 3 + 5;
        for (form, may_stay) in [
            (TOKEN.to_string(), 0),
            (format!("Bearer {TOKEN}"), "Bearer ".len()),
            (encoded_upper.to_string(), 0),
            (encoded_lower.to_string(), 0),
            (json.to_string(), 0),
            (json_unicode.to_string(), 0),
            (markdown.to_string(), 0),
            (html.to_string(), 0),
            (b64(""), kept("")),
            (b64("Bearer "), kept("Bearer ")),
            (b64("x"), kept("x")),
            (b64("xy"), kept("xy")),
            (
                b64("Authorization: Bearer ")
                    .replace('+', "-")
                    .replace('/', "_"),
                kept("Authorization: Bearer "),
            ),
        ] {
            let text = format!("before {form} after");
            let redacted = secrets.redact(&text);
            assert!(redacted.contains(REDACTED), "{form} -> {redacted}");
            assert!(redacted.starts_with("before "), "{redacted}");
            assert!(redacted.ends_with(" after"), "{redacted}");
            let stayed = redacted.len() - "before  after".len() - REDACTED.len();
            assert!(stayed <= may_stay, "{form} -> {redacted}");
        }
    }

    #[test]
    fn text_without_a_secret_is_borrowed_and_unchanged() {
        let secrets = secrets();
        let text = "GET /Users failed: HTTP 401 (100% sure) &amp; \\u0041 %ZZ &#; \\";
        assert!(matches!(secrets.redact(text), Cow::Borrowed(_)));
        assert!(matches!(Secrets::new().redact(TOKEN), Cow::Borrowed(_)));
    }

    #[test]
    fn every_occurrence_is_redacted_and_multibyte_text_survives() {
        let secrets = secrets();
        let text = format!("é{TOKEN}{TOKEN}→ {TOKEN}");
        assert_eq!(
            secrets.redact(&text),
            format!("é{REDACTED}{REDACTED}→ {REDACTED}")
        );
    }

    #[test]
    fn short_values_are_not_secrets() {
        let mut secrets = Secrets::new();
        assert!(!secrets.add("t"));
        assert!(!secrets.add("  short  "));
        assert!(secrets.is_empty());
        assert!(secrets.add("long enough"));
        assert!(!secrets.add("long enough"));
        assert_eq!(
            secrets.redact("a long enough text"),
            format!("a {REDACTED} text")
        );
    }

    #[test]
    fn a_second_secret_is_redacted_too() {
        let mut secrets = secrets();
        assert!(secrets.add("atlassian-admin-key-0123"));
        assert_eq!(
            secrets.redact(&format!("{TOKEN} and atlassian-admin-key-0123")),
            format!("{REDACTED} and {REDACTED}")
        );
    }

    #[test]
    fn the_writer_redacts_whole_lines_and_flushes_the_rest() {
        REGISTRY
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add("writer-secret-7d1f");
        let mut out = Vec::new();
        {
            let mut writer = Redacting::new(&mut out);
            // The secret arrives in pieces, across writes.
            for piece in [
                "line one writer-se",
                "cret-7d1f\nline two wri",
                "ter-secret-7d1f",
            ] {
                writer.write_all(piece.as_bytes()).expect("write");
            }
        }
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            format!("line one {REDACTED}\nline two {REDACTED}")
        );
    }

    #[test]
    fn userinfo_is_removed_from_a_url() {
        assert_eq!(
            url_without_userinfo("https://a:b@c@host:8/v2?x=@y"),
            format!("https://{REDACTED}@host:8/v2?x=@y")
        );
        assert_eq!(
            url_without_userinfo("https://host/v2@x"),
            "https://host/v2@x"
        );
        assert_eq!(
            url_without_userinfo("u:p@host/v2"),
            format!("{REDACTED}@host/v2")
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("p%40ss%2fw0rd%"), "p@ss/w0rd%");
    }
}
