//! Message bodies on the wire: compact JSON, optionally gzip-compressed.
//!
//! The encoding travels in the standard HTTP header `Content-Encoding`
//! (absent or `identity` = plain JSON, `gzip` = RFC 1952 gzip of the JSON).
//! A sender only uses gzip once the feature `"gzip"` was agreed in
//! [`negotiate`](crate::negotiate). Compression uses level 1: JSON of
//! records shrinks 5–10× even at the fastest level, and a till catching up
//! 200,000 records should spend its time on the network, not the CPU.
//!
//! Decoding never trusts the sender: [`decode_body`] inflates into a buffer
//! capped at the caller's limit and refuses the body the moment it would
//! grow past it (`sync.batch_too_large`), so a few kilobytes of zip bomb
//! cost the receiver at most `max_bytes` of memory. Trailing bytes after
//! the gzip member, a bad CRC or a truncated stream are `sync.malformed`.

use std::borrow::Cow;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use kasa_domain::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::codes;
use crate::version::{Agreed, Feature};

/// The HTTP header naming a body's encoding.
pub const CONTENT_ENCODING_HEADER: &str = "content-encoding";

/// Bodies shorter than this are sent plain even when gzip is agreed: the
/// gzip header and trailer would eat most of the saving.
pub const GZIP_MIN_BODY_BYTES: usize = 1024;

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyEncoding {
    /// Plain JSON.
    Identity,
    /// gzip of the JSON.
    Gzip,
}

impl BodyEncoding {
    /// Read the `Content-Encoding` header (absent = identity; case-insensitive).
    pub fn from_header(value: Option<&str>) -> Result<Self, BodyError> {
        match value.map(str::trim) {
            None | Some("") => Ok(BodyEncoding::Identity),
            Some(v) if v.eq_ignore_ascii_case("identity") => Ok(BodyEncoding::Identity),
            Some(v) if v.eq_ignore_ascii_case("gzip") => Ok(BodyEncoding::Gzip),
            Some(other) => Err(BodyError::UnsupportedEncoding {
                encoding: other.to_owned(),
            }),
        }
    }

    /// The header value to send, if any (identity sends none).
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            BodyEncoding::Identity => None,
            BodyEncoding::Gzip => Some("gzip"),
        }
    }

    /// Refuse an encoding the agreement does not allow.
    pub fn check_agreed(self, agreed: &Agreed) -> Result<Self, BodyError> {
        match self {
            BodyEncoding::Gzip if !agreed.has(Feature::GZIP) => {
                Err(BodyError::UnsupportedEncoding {
                    encoding: "gzip (not agreed in hello)".to_owned(),
                })
            }
            other => Ok(other),
        }
    }

    /// The encoding a sender should use for a body of `json_len` bytes.
    pub fn choose(agreed: &Agreed, json_len: usize) -> Self {
        if agreed.has(Feature::GZIP) && json_len >= GZIP_MIN_BODY_BYTES {
            BodyEncoding::Gzip
        } else {
            BodyEncoding::Identity
        }
    }
}

/// Why a body could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BodyError {
    /// The body is, or inflates to, more than the limit.
    #[error(
        "body is larger than the limit of {limit_bytes} bytes (after decompression); send smaller batches"
    )]
    TooLarge {
        /// The limit that was hit.
        limit_bytes: u64,
    },
    /// The gzip stream is damaged.
    #[error("gzip body is damaged ({detail}); resend it")]
    BadGzip {
        /// What the decoder said.
        detail: String,
    },
    /// The JSON does not parse into the expected message.
    #[error(
        "body is not a valid message: {detail}; fix the sender, resending it unchanged will fail again"
    )]
    BadJson {
        /// What serde said (with line and column).
        detail: String,
    },
    /// Unknown `Content-Encoding`.
    #[error("body encoding \"{encoding}\" is not supported; send identity or gzip")]
    UnsupportedEncoding {
        /// The encoding named.
        encoding: String,
    },
}

impl ErrorCode for BodyError {
    fn code(&self) -> &'static str {
        match self {
            BodyError::TooLarge { .. } => codes::BATCH_TOO_LARGE,
            BodyError::BadGzip { .. } | BodyError::BadJson { .. } => codes::MALFORMED,
            BodyError::UnsupportedEncoding { .. } => codes::UNSUPPORTED_ENCODING,
        }
    }
}

/// Serialise a message as compact JSON and encode it.
pub fn encode_body<T: Serialize>(
    message: &T,
    encoding: BodyEncoding,
) -> Result<Vec<u8>, BodyError> {
    let json = serde_json::to_vec(message).map_err(|e| BodyError::BadJson {
        detail: e.to_string(),
    })?;
    match encoding {
        BodyEncoding::Identity => Ok(json),
        BodyEncoding::Gzip => gzip(&json),
    }
}

/// gzip bytes (level 1, see the module docs).
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, BodyError> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::fast());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| BodyError::BadGzip {
            detail: e.to_string(),
        })
}

/// Undo the encoding, refusing anything larger than `max_bytes` once inflated.
pub fn inflate(
    body: &[u8],
    encoding: BodyEncoding,
    max_bytes: u64,
) -> Result<Cow<'_, [u8]>, BodyError> {
    match encoding {
        BodyEncoding::Identity => {
            if body.len() as u64 > max_bytes {
                return Err(BodyError::TooLarge {
                    limit_bytes: max_bytes,
                });
            }
            Ok(Cow::Borrowed(body))
        }
        BodyEncoding::Gzip => {
            let mut decoder = GzDecoder::new(body);
            let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(1 << 20));
            // Read one byte past the limit: getting it proves the body is too large.
            let read = (&mut decoder)
                .take(max_bytes.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| BodyError::BadGzip {
                    detail: e.to_string(),
                })?;
            if read as u64 > max_bytes {
                return Err(BodyError::TooLarge {
                    limit_bytes: max_bytes,
                });
            }
            let rest = decoder.into_inner();
            if !rest.is_empty() {
                return Err(BodyError::BadGzip {
                    detail: format!("{} bytes after the end of the gzip stream", rest.len()),
                });
            }
            Ok(Cow::Owned(out))
        }
    }
}

/// Decode and parse a message, refusing bodies over `max_bytes` (inflated).
pub fn decode_body<T: DeserializeOwned>(
    body: &[u8],
    encoding: BodyEncoding,
    max_bytes: u64,
) -> Result<T, BodyError> {
    let json = inflate(body, encoding, max_bytes)?;
    serde_json::from_slice(&json).map_err(|e| BodyError::BadJson {
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;
    use crate::upload::UploadBatch;

    #[test]
    fn round_trips_in_both_encodings() {
        let batch = examples::upload_batch();
        for encoding in [BodyEncoding::Identity, BodyEncoding::Gzip] {
            let body = encode_body(&batch, encoding).unwrap();
            let back: UploadBatch = decode_body(&body, encoding, 1 << 20).unwrap();
            assert_eq!(back, batch, "{encoding:?}");
        }
    }

    #[test]
    fn gzip_body_starts_with_the_gzip_magic_and_shrinks_json() {
        let big = serde_json::json!({ "rows": vec!["the same words again"; 500] });
        let plain = encode_body(&big, BodyEncoding::Identity).unwrap();
        let packed = encode_body(&big, BodyEncoding::Gzip).unwrap();
        assert_eq!(&packed[..2], &[0x1f, 0x8b]);
        assert!(
            packed.len() * 5 < plain.len(),
            "{} vs {}",
            packed.len(),
            plain.len()
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_limit() {
        // 16 MiB of zeros compresses to a few dozen KiB.
        let bomb = gzip(&vec![0u8; 16 << 20]).unwrap();
        assert!(bomb.len() < 256 * 1024, "{}", bomb.len());
        let err = inflate(&bomb, BodyEncoding::Gzip, 4 << 20).unwrap_err();
        assert_eq!(
            err,
            BodyError::TooLarge {
                limit_bytes: 4 << 20
            }
        );
        assert_eq!(err.code(), codes::BATCH_TOO_LARGE);
    }

    #[test]
    fn limits_are_inclusive_in_both_encodings() {
        let bytes = vec![b'a'; 1000];
        let packed = gzip(&bytes).unwrap();
        assert_eq!(
            inflate(&packed, BodyEncoding::Gzip, 1000).unwrap().len(),
            1000
        );
        assert!(inflate(&packed, BodyEncoding::Gzip, 999).is_err());
        assert_eq!(
            inflate(&bytes, BodyEncoding::Identity, 1000).unwrap().len(),
            1000
        );
        assert_eq!(
            inflate(&bytes, BodyEncoding::Identity, 999)
                .unwrap_err()
                .code(),
            codes::BATCH_TOO_LARGE
        );
    }

    #[test]
    fn damaged_gzip_is_malformed() {
        let mut packed = gzip(br#"{"a":1}"#).unwrap();
        let truncated = &packed[..packed.len() - 4];
        assert_eq!(
            inflate(truncated, BodyEncoding::Gzip, 100)
                .unwrap_err()
                .code(),
            codes::MALFORMED
        );
        let n = packed.len();
        packed[n - 8] ^= 0xff; // CRC
        assert_eq!(
            inflate(&packed, BodyEncoding::Gzip, 100)
                .unwrap_err()
                .code(),
            codes::MALFORMED
        );
        assert_eq!(
            inflate(b"not gzip at all", BodyEncoding::Gzip, 100)
                .unwrap_err()
                .code(),
            codes::MALFORMED
        );
    }

    #[test]
    fn trailing_bytes_after_gzip_are_malformed() {
        let mut packed = gzip(br#"{"a":1}"#).unwrap();
        packed.extend_from_slice(b"junk");
        let err = inflate(&packed, BodyEncoding::Gzip, 100).unwrap_err();
        assert_eq!(err.code(), codes::MALFORMED, "{err}");
    }

    #[test]
    fn bad_json_is_malformed_with_position() {
        let err =
            decode_body::<UploadBatch>(b"{\"protocol\":", BodyEncoding::Identity, 100).unwrap_err();
        assert_eq!(err.code(), codes::MALFORMED);
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn gzip_round_trips_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
            let packed = gzip(&bytes).unwrap();
            let back = inflate(&packed, BodyEncoding::Gzip, bytes.len() as u64).unwrap();
            proptest::prop_assert_eq!(back.as_ref(), bytes.as_slice());
        }

        /// Whatever arrives, decoding answers with a coded error, never a panic.
        #[test]
        fn garbage_is_refused_not_panicked_on(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512), gz in proptest::prelude::any::<bool>()) {
            let mut body = bytes.clone();
            if gz {
                // a valid header followed by garbage
                body = [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff][..], &bytes].concat();
            }
            let encoding = if gz { BodyEncoding::Gzip } else { BodyEncoding::Identity };
            if let Err(err) = decode_body::<UploadBatch>(&body, encoding, 1 << 16) {
                proptest::prop_assert!(codes::ALL.contains(&err.code()));
            }
        }
    }

    #[test]
    fn header_values() {
        let cases: &[(Option<&str>, Result<BodyEncoding, &str>)] = &[
            (None, Ok(BodyEncoding::Identity)),
            (Some(""), Ok(BodyEncoding::Identity)),
            (Some("identity"), Ok(BodyEncoding::Identity)),
            (Some("gzip"), Ok(BodyEncoding::Gzip)),
            (Some(" GZIP "), Ok(BodyEncoding::Gzip)),
            (Some("br"), Err(codes::UNSUPPORTED_ENCODING)),
            (Some("deflate"), Err(codes::UNSUPPORTED_ENCODING)),
        ];
        for (header, expected) in cases {
            match (BodyEncoding::from_header(*header), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want),
                (Err(err), Err(code)) => assert_eq!(err.code(), *code),
                (got, want) => panic!("{header:?}: got {got:?}, want {want:?}"),
            }
        }
        assert_eq!(BodyEncoding::Gzip.header_value(), Some("gzip"));
        assert_eq!(BodyEncoding::Identity.header_value(), None);
    }

    #[test]
    fn gzip_only_when_agreed() {
        let mut agreed = examples::welcome().agreed;
        assert_eq!(BodyEncoding::choose(&agreed, 10), BodyEncoding::Identity);
        assert_eq!(BodyEncoding::choose(&agreed, 10_000), BodyEncoding::Gzip);
        assert!(BodyEncoding::Gzip.check_agreed(&agreed).is_ok());
        agreed.features.clear();
        assert_eq!(
            BodyEncoding::choose(&agreed, 10_000),
            BodyEncoding::Identity
        );
        assert_eq!(
            BodyEncoding::Gzip.check_agreed(&agreed).unwrap_err().code(),
            codes::UNSUPPORTED_ENCODING
        );
    }
}
