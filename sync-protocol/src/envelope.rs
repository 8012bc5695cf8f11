//! The error envelope both server and terminal send for a refused request:
//! `{ "error": { "code": "sync.gap", "message": "…" } }`.
//!
//! The code is one of [`crate::codes`] (or another crate's stable code, e.g.
//! `auth.*` from the server); the message is for people. The envelope
//! tolerates unknown fields so a newer server may add some (a retry hint,
//! say) without breaking older tills.

use std::fmt;

use kasa_domain::ErrorCode;
use serde::{Deserialize, Serialize};

/// `{ "error": { … } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of an [`ErrorEnvelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable code, `area.snake_case`.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}

impl ErrorEnvelope {
    /// An envelope from a code and a message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
            },
        }
    }

    /// The envelope for any error with a stable code.
    pub fn from_error<E: ErrorCode + fmt::Display + ?Sized>(error: &E) -> Self {
        Self::new(error.code(), error.to_string())
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.error.code
    }
}

impl fmt::Display for ErrorEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.error.code, self.error.message)
    }
}

impl std::error::Error for ErrorEnvelope {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;
    use crate::validate::BatchError;

    #[test]
    fn carries_the_code_and_message_of_an_error() {
        let err = BatchError::Gap {
            expected: 5,
            found: 7,
        };
        let envelope = ErrorEnvelope::from_error(&err);
        assert_eq!(envelope.code(), codes::GAP);
        assert_eq!(envelope.error.message, err.to_string());
        assert!(envelope.to_string().starts_with("error[sync.gap]: "));
        let json = serde_json::to_value(&envelope).unwrap();
        assert_eq!(json["error"]["code"], "sync.gap");
    }

    #[test]
    fn tolerates_fields_a_newer_server_adds() {
        let json =
            r#"{"error":{"code":"sync.gap","message":"m","retry_after_ms":500},"trace":"x"}"#;
        let envelope: ErrorEnvelope = serde_json::from_str(json).unwrap();
        assert_eq!(envelope.code(), "sync.gap");
    }
}
