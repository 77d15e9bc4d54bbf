//! Loading is total: thousands of mangled configurations (byte flips, YAML
//! metacharacters, truncations, duplicated, deleted and swapped lines, random
//! indentation, stray anchors and aliases), made by a small deterministic generator from
//! valid files, each load to a model or to errors — and the errors render — never a
//! panic. A failure prints the seed and the input, so it can be replayed.

use std::panic::{AssertUnwindSafe, catch_unwind};

use scimform::config::{ConfigErrors, Declared, load_dir, load_files};

/// `StdRng` from a seed: deterministic, so a case can be replayed from its seed.
struct Rng(rand::rngs::StdRng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(rand::SeedableRng::seed_from_u64(seed))
    }

    fn next(&mut self) -> u64 {
        rand::RngCore::next_u64(&mut self.0)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            rand::Rng::random_range(&mut self.0, 0..n)
        }
    }
}

const SEEDS: &[&str] = &[
    include_str!("../../examples/acme/scimform.yaml"),
    include_str!("../../examples/acme/users/engineering.yaml"),
    include_str!("../../examples/acme/groups/engineering.yaml"),
    include_str!("../../examples/atlassian/scimform.yaml"),
    include_str!("../../examples/aws-identity-center/scimform.yaml"),
    include_str!("../fixtures/invalid/99-many-mistakes.yaml"),
    // A small alias tree (the full bomb has its own test: expanding it in every case
    // would only make this test slow).
    "a0: &a0 [lol, lol, lol]\na1: &a1 [*a0, *a0, *a0]\na2: &a2 [*a1, *a1, *a1]\nusers: *a2\n",
    r#"
users:
  - &base
    userName: a@x.test
    name: { givenName: A, familyName: B }
    emails: [{ value: a@x.test, primary: true }]
    extensions: { "urn:x:1.0": { k: [1, 2.5, null, true, { n: ~ }] } }
  - <<: *base
    userName: b@x.test
    enterprise: { manager: a@x.test, employeeNumber: 007 }
    previously: [c@x.test]
groups:
  - displayName: g
    members: [a@x.test, "group:h", b@x.test]
    membership: additive
    min_members: 1
  - displayName: h
    members: ["group:g"]
"#,
];

const METACHARACTERS: &[u8] = b":-[]{}&*!|>'\"#%@?,\t\n \\~<=`";

/// One mutation of `bytes`.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let lines = |bytes: &[u8]| -> Vec<Vec<u8>> {
        bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
    };
    match rng.below(9) {
        0 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        1 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            bytes[at] = METACHARACTERS[rng.below(METACHARACTERS.len())];
        }
        2 => {
            let at = rng.below(bytes.len() + 1);
            bytes.truncate(at);
        }
        3 => {
            let mut all = lines(bytes);
            let at = rng.below(all.len());
            let line = all[at].clone();
            all.insert(at, line);
            *bytes = all.join(&b'\n');
        }
        4 => {
            let mut all = lines(bytes);
            if !all.is_empty() {
                all.remove(rng.below(all.len()));
            }
            *bytes = all.join(&b'\n');
        }
        5 => {
            let mut all = lines(bytes);
            let at = rng.below(all.len());
            if rng.below(2) == 0 {
                let spaces = vec![b' '; 1 + rng.below(4)];
                all[at].splice(0..0, spaces);
            } else {
                let strip = all[at]
                    .iter()
                    .take_while(|b| **b == b' ')
                    .count()
                    .min(1 + rng.below(4));
                all[at].drain(..strip);
            }
            *bytes = all.join(&b'\n');
        }
        6 => {
            let mut all = lines(bytes);
            let (a, b) = (rng.below(all.len()), rng.below(all.len()));
            all.swap(a, b);
            *bytes = all.join(&b'\n');
        }
        7 => {
            let at = rng.below(bytes.len() + 1);
            let insert: &[u8] = [
                b"&a ".as_slice(),
                b"*a",
                b"<<: *a\n",
                b"!!str ",
                b"---\n",
                b"\xff",
                b"\xc3",
                "é".as_bytes(),
                b"\r\n",
                b"{",
                b"? ",
            ][rng.below(11)];
            bytes.splice(at..at, insert.iter().copied());
        }
        _ => {
            // Paste a random slice of the file somewhere else.
            if !bytes.is_empty() {
                let start = rng.below(bytes.len());
                let end = (start + rng.below(64)).min(bytes.len());
                let slice = bytes[start..end].to_vec();
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, slice);
            }
        }
    }
}

/// Load and render, failing with the input on a panic.
fn check(seed: u64, what: &str, load: impl FnOnce() -> Result<Declared, ConfigErrors>) {
    let result = catch_unwind(AssertUnwindSafe(|| match load() {
        Ok(declared) => {
            let warnings = scimform::config::ConfigWarnings(declared.warnings);
            let _ = scimform::cli::render_diagnostic(&warnings, false, 80);
        }
        Err(errors) => {
            assert!(!errors.errors.is_empty(), "an Err without errors");
            let _ = scimform::cli::render_diagnostic(&errors, false, 80);
        }
    }));
    assert!(
        result.is_ok(),
        "seed {seed}: loading panicked on this input:\n{what}"
    );
}

#[test]
fn mangled_yaml_never_panics() {
    let mut rng = Rng::new(0x5c1f_f022);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut utf8 = 0;
    let mut bytes_cases = 0;
    for case in 0..3000u64 {
        let seed = rng.next();
        let mut case_rng = Rng::new(seed);
        let mut bytes = SEEDS[case_rng.below(SEEDS.len())].as_bytes().to_vec();
        for _ in 0..=case_rng.below(4) {
            mutate(&mut case_rng, &mut bytes);
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                utf8 += 1;
                // As the root file, and as an included file.
                let files = [("scimform.yaml", text.as_str())];
                check(seed, &text, || load_files("", &files));
                let files = [
                    ("scimform.yaml", "include: [more/*.yaml]\n"),
                    ("more/x.yaml", text.as_str()),
                ];
                check(seed, &text, || load_files("", &files));
            }
            Err(error) => {
                // Not UTF-8: only the reader from disk sees these bytes.
                bytes_cases += 1;
                let bytes = error.into_bytes();
                if case % 4 == 0 {
                    std::fs::write(dir.path().join("scimform.yaml"), &bytes).expect("write");
                    let shown = String::from_utf8_lossy(&bytes).into_owned();
                    check(seed, &shown, || load_dir(dir.path()));
                }
            }
        }
    }
    assert!(utf8 > 2000, "{utf8} UTF-8 cases");
    assert!(bytes_cases > 0);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(7);
    for _ in 0..500 {
        let seed = rng.next();
        let mut case_rng = Rng::new(seed);
        let len = case_rng.below(200);
        let text: String = (0..len)
            .map(|_| METACHARACTERS[case_rng.below(METACHARACTERS.len())] as char)
            .chain(std::iter::once('x'))
            .collect();
        let files = [("scimform.yaml", text.as_str())];
        check(seed, &text, || load_files("", &files));
    }
}
