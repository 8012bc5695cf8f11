//! How the messages travel over HTTP, so the terminal's client and the
//! server's router agree on one list.
//!
//! | step | method and path | request body | success body | status on refusal |
//! |---|---|---|---|---|
//! | negotiate | `POST /sync/v1/hello` | [`Hello`](crate::Hello) | [`HelloReply`](crate::HelloReply) (a refusal is a 200 with `"result":"refusal"`) | — |
//! | status | `GET /sync/v1/upload/status[?at=N]` | — | [`Ack`](crate::Ack) with `applied = duplicates = 0` (1.1: with `chain_head`, and `chain_at` for `N`) | — |
//! | upload | `POST /sync/v1/upload` | [`UploadBatch`](crate::UploadBatch) | [`Ack`](crate::Ack) | 400/409/413 + [`ErrorEnvelope`](crate::ErrorEnvelope) (409 `sync.series_conflict`: a different record at a held sequence) |
//! | download | `POST /sync/v1/master-data` | [`MasterDataPageRequest`](crate::MasterDataPageRequest) | [`MasterDataPage`](crate::MasterDataPage) | 400/410 + envelope |
//!
//! Every request after `hello` carries the agreed version in
//! [`PROTOCOL_HEADER`] (`kasa-protocol: 1.0`) and the terminal's
//! credential; bodies may be gzip (`content-encoding: gzip`) once agreed.
//! The path's `v1` is the major version: a new major gets new paths, so an
//! old till reaching a new server still finds `hello`.

use kasa_domain::ErrorCode;

use crate::codes;
use crate::limits::{MAX_BATCH_BYTES, MAX_PAGE_BYTES, MAX_SMALL_MESSAGE_BYTES};

/// Negotiation endpoint.
pub const HELLO_PATH: &str = "/sync/v1/hello";
/// Upload status (the server's acknowledged sequence) endpoint.
pub const UPLOAD_STATUS_PATH: &str = "/sync/v1/upload/status";
/// Query parameter of the status request naming a sequence whose chain the
/// till wants (`?at=41`, protocol 1.1); see [`crate::Ack::chain_at`].
pub const UPLOAD_STATUS_AT_PARAM: &str = "at";
/// Upload endpoint.
pub const UPLOAD_PATH: &str = "/sync/v1/upload";
/// Master-data page endpoint.
pub const MASTER_DATA_PATH: &str = "/sync/v1/master-data";
/// Header carrying the agreed protocol version as `major.minor`.
pub const PROTOCOL_HEADER: &str = "kasa-protocol";
/// JSON media type of every body (before content encoding).
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// Largest request body (after inflating) the server accepts on `path`;
/// `None` for paths that are not part of the sync API.
pub fn request_body_limit(path: &str) -> Option<u64> {
    match path {
        UPLOAD_PATH => Some(MAX_BATCH_BYTES),
        HELLO_PATH | UPLOAD_STATUS_PATH | MASTER_DATA_PATH => Some(MAX_SMALL_MESSAGE_BYTES),
        _ => None,
    }
}

/// Largest response body (after inflating) the terminal accepts from `path`.
pub fn response_body_limit(path: &str) -> Option<u64> {
    match path {
        MASTER_DATA_PATH => Some(MAX_PAGE_BYTES),
        HELLO_PATH | UPLOAD_STATUS_PATH | UPLOAD_PATH => Some(MAX_SMALL_MESSAGE_BYTES),
        _ => None,
    }
}

/// The HTTP status a server answers with for an error code of this crate.
/// 409 marks a refusal caused by state (the terminal should fetch the
/// status and replan); 4xx others mean "do not resend unchanged".
pub fn http_status(error: &dyn ErrorCode) -> u16 {
    status_for_code(error.code())
}

/// [`http_status`] by code string (for codes read from an envelope).
pub fn status_for_code(code: &str) -> u16 {
    match code {
        codes::BATCH_TOO_LARGE => 413,
        codes::UNSUPPORTED_ENCODING => 415,
        codes::GAP => 409,
        codes::FOREIGN_TERMINAL | codes::FOREIGN_STORE => 403,
        codes::BAD_CURSOR => 410,
        codes::INVALID_RECORD => 422,
        codes::CHANGE_BAD_KEY
        | codes::CHANGE_SHAPE
        | codes::CHANGE_UNKNOWN_FIELD
        | codes::CHANGE_MISSING_FIELD
        | codes::CHANGE_BAD_VALUE => 422,
        codes::CHANGE_TOO_LARGE => 413,
        codes::UNKNOWN_VERSION | codes::TERMINAL_TOO_OLD | codes::SERVER_TOO_OLD => 426,
        _ => 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::BatchError;

    #[test]
    fn body_limits_by_path() {
        assert_eq!(request_body_limit(UPLOAD_PATH), Some(MAX_BATCH_BYTES));
        assert_eq!(
            request_body_limit(HELLO_PATH),
            Some(MAX_SMALL_MESSAGE_BYTES)
        );
        assert_eq!(response_body_limit(MASTER_DATA_PATH), Some(MAX_PAGE_BYTES));
        assert_eq!(request_body_limit("/admin"), None);
        // the example messages fit their limits with room to spare
        let hello = serde_json::to_vec(&crate::examples::hello()).unwrap();
        assert!((hello.len() as u64) < MAX_SMALL_MESSAGE_BYTES / 10);
    }

    #[test]
    fn status_table() {
        assert_eq!(
            http_status(&BatchError::Gap {
                expected: 1,
                found: 2
            }),
            409
        );
        assert_eq!(status_for_code(codes::BATCH_TOO_LARGE), 413);
        assert_eq!(status_for_code(codes::FOREIGN_TERMINAL), 403);
        assert_eq!(status_for_code(codes::REPEAT), 400);
        assert_eq!(status_for_code(codes::MALFORMED), 400);
        assert_eq!(status_for_code(codes::INVALID_RECORD), 422);
        for code in codes::ALL {
            assert!((400..500).contains(&status_for_code(code)), "{code}");
        }
    }
}
