//! PIN hashing with Argon2id (PHC strings).
//!
//! Parameters are the `argon2` crate's defaults (Argon2id v19, m = 19 MiB,
//! t = 2, p = 1 — the OWASP minimum). The PHC string stores the parameters
//! and a random salt, so raising them later keeps old hashes verifiable.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::UserError;

/// Shortest accepted PIN.
pub const PIN_MIN_DIGITS: usize = 4;
/// Longest accepted PIN.
pub const PIN_MAX_DIGITS: usize = 8;

/// Check a PIN's shape: 4–8 ASCII digits.
pub fn validate_pin(pin: &str) -> Result<(), UserError> {
    let ok = (PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&pin.len())
        && pin.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(UserError::BadPinFormat)
    }
}

/// Hash a PIN into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_pin(pin: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hashing(e.to_string()))
}

/// Whether `pin` matches the stored PHC string. A malformed stored hash
/// never matches.
pub fn pin_matches(pin: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_phc_and_verifies_only_the_right_pin() {
        let phc = hash_pin("1234").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(pin_matches("1234", &phc));
        assert!(!pin_matches("1235", &phc));
        assert!(!pin_matches("1234", "not a hash"));
        // Salted: the same PIN hashes differently.
        assert_ne!(phc, hash_pin("1234").unwrap());
    }

    #[test]
    fn pin_format_table() {
        for (pin, ok) in [
            ("1234", true),
            ("12345678", true),
            ("123", false),
            ("123456789", false),
            ("12a4", false),
            ("", false),
            ("١٢٣٤", false),
        ] {
            assert_eq!(validate_pin(pin).is_ok(), ok, "{pin:?}");
        }
    }
}
