//! Enrolment codes and terminal credentials.
//!
//! - **Enrolment code**: 12 characters from a 32-letter alphabet without
//!   look-alikes (60 bits), shown as `ABCD-EFGH-JKLM`, single-use, expiring
//!   (24 h by default). Stored as SHA-256 of the normalised code so the
//!   server can look it up; a leaked table of unused codes is worth little
//!   because each expires and works once. Typing is forgiving: case, spaces
//!   and dashes do not matter.
//! - **Terminal credential**: `kt1.<lookup>.<secret>` — a public 16-hex-digit
//!   lookup id and 256 random bits of secret. Shown once at enrolment;
//!   the server keeps only an argon2id hash of the secret. Because the secret
//!   is random (not a password), argon2 runs with small parameters: it guards
//!   a leaked table, not against guessing, and 200 terminals must be able to
//!   authenticate without the server burning its CPU. Successful checks are
//!   cached in memory by SHA-256 of the whole credential, so argon2 runs once
//!   per terminal per server start.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use sha2::{Digest, Sha256};

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 12;
const CREDENTIAL_PREFIX: &str = "kt1";

/// A fresh enrolment code, `XXXX-XXXX-XXXX`.
pub fn new_enrolment_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// SHA-256 hex of the normalised code (upper case, no spaces or dashes).
pub fn enrolment_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// A credential just issued.
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    /// The whole credential, shown once to the terminal.
    pub token: String,
    /// Its public lookup id.
    pub lookup: String,
    /// argon2 PHC hash of its secret.
    pub secret_hash: String,
}

fn hasher() -> Argon2<'static> {
    // 4 MiB, one pass: see the module docs for why this is enough here.
    let params = Params::new(4096, 1, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Issue a credential.
pub fn issue_credential() -> Result<IssuedCredential, String> {
    let mut rng = rand::rng();
    let lookup = hex::encode(rng.random::<[u8; 8]>());
    let secret = hex::encode(rng.random::<[u8; 32]>());
    let salt = SaltString::encode_b64(&rng.random::<[u8; 16]>())
        .map_err(|e| format!("cannot make a salt: {e}"))?;
    let secret_hash = hasher()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| format!("cannot hash the credential: {e}"))?
        .to_string();
    Ok(IssuedCredential {
        token: format!("{CREDENTIAL_PREFIX}.{lookup}.{secret}"),
        lookup,
        secret_hash,
    })
}

/// Split a credential into (lookup, secret); `None` if it has the wrong shape.
pub fn parse_credential(token: &str) -> Option<(&str, &str)> {
    let mut parts = token.split('.');
    let (prefix, lookup, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let hexish = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (prefix == CREDENTIAL_PREFIX
        && parts.next().is_none()
        && hexish(lookup, 16)
        && hexish(secret, 64))
    .then_some((lookup, secret))
}

/// Whether `secret` matches the stored hash.
pub fn verify_secret(secret: &str, secret_hash: &str) -> bool {
    PasswordHash::new(secret_hash)
        .is_ok_and(|hash| hasher().verify_password(secret.as_bytes(), &hash).is_ok())
}

/// SHA-256 of a whole token, the key of the verified-credential cache.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compare two secrets without an early exit on the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    token_digest(a)
        .iter()
        .zip(token_digest(b).iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_forgiving_to_type_and_distinct() {
        let code = new_enrolment_code();
        assert_eq!(code.len(), 14, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(enrolment_code_hash(&sloppy), enrolment_code_hash(&code));
        assert_ne!(new_enrolment_code(), code);
    }

    #[test]
    fn credentials_verify_only_with_their_secret() {
        let issued = issue_credential().unwrap();
        let (lookup, secret) = parse_credential(&issued.token).unwrap();
        assert_eq!(lookup, issued.lookup);
        assert!(verify_secret(secret, &issued.secret_hash));
        let mut wrong = secret.to_owned();
        wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
        assert!(!verify_secret(&wrong, &issued.secret_hash));
        assert!(!issued.secret_hash.contains(secret));
    }

    #[test]
    fn malformed_credentials_are_rejected() {
        for bad in [
            "",
            "kt1",
            "kt1.abc.def",
            "kt2.0123456789abcdef.",
            "kt1.0123456789abcdef.zz",
        ] {
            assert!(parse_credential(bad).is_none(), "{bad}");
        }
        assert!(same_secret("a", "a"));
        assert!(!same_secret("a", "b"));
    }
}
