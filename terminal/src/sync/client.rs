//! The HTTP side of the sync client: one blocking request at a time over
//! `ureq`, bodies encoded by the protocol crate (gzip once agreed), refusals
//! read from the protocol's error envelope.
//!
//! `ureq` rather than reqwest: the sync loop is one dedicated thread doing
//! one request at a time, so a blocking client without an async runtime is
//! the smallest thing that does the job. Connections are not pooled and
//! every request says `connection: close`: a till syncs every few seconds
//! at most, and a fresh connection per request means a half-dead pooled
//! socket can never eat a request.

use std::time::Duration;

use kasa_sync_protocol::body::CONTENT_ENCODING_HEADER;
use kasa_sync_protocol::http::{PROTOCOL_HEADER, response_body_limit};
use kasa_sync_protocol::{Agreed, BodyEncoding, ErrorEnvelope, decode_body, encode_body};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SyncError;

/// Time allowed for one whole request (connect, send, receive).
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Time allowed to connect.
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;

/// A connection to head office for one sync round.
#[derive(Debug)]
pub struct HeadOffice {
    agent: ureq::Agent,
    base_url: String,
    credential: Option<String>,
    agreed: Option<Agreed>,
}

impl HeadOffice {
    /// A client for `base_url` (`http://host:port`), with the terminal's credential if enrolled.
    pub fn new(base_url: &str, credential: Option<&str>) -> HeadOffice {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_millis(REQUEST_TIMEOUT_MS)))
            .timeout_connect(Some(Duration::from_millis(CONNECT_TIMEOUT_MS)))
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
            .into();
        HeadOffice {
            agent,
            base_url: base_url.trim_end_matches('/').to_owned(),
            credential: credential.map(str::to_owned),
            agreed: None,
        }
    }

    /// Remember the negotiated agreement: later requests carry its version and may use gzip.
    pub fn set_agreed(&mut self, agreed: Agreed) {
        self.agreed = Some(agreed);
    }

    /// The agreement, once `hello` succeeded.
    pub fn agreed(&self) -> Option<&Agreed> {
        self.agreed.as_ref()
    }

    /// POST `message` as JSON to `path`, decode the answer as `R`.
    pub fn post<T: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        message: &T,
    ) -> Result<R, SyncError> {
        let json_len = serde_json::to_vec(message)
            .map_err(|e| SyncError::Protocol(e.to_string()))?
            .len();
        let encoding = match &self.agreed {
            Some(agreed) => BodyEncoding::choose(agreed, json_len),
            None => BodyEncoding::Identity,
        };
        let body =
            encode_body(message, encoding).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/json")
            .header("accept-encoding", "gzip")
            .header("connection", "close");
        if let Some(value) = encoding.header_value() {
            request = request.header(CONTENT_ENCODING_HEADER, value);
        }
        request = self.common_headers(request);
        let response = request.send(&body[..]).map_err(|e| self.unreachable(&e))?;
        self.read(path, response)
    }

    /// GET `path`, decode the answer as `R`.
    pub fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, SyncError> {
        let request = self
            .agent
            .get(format!("{}{path}", self.base_url))
            .header("accept-encoding", "gzip")
            .header("connection", "close");
        let request = self.common_headers(request);
        let response = request.call().map_err(|e| self.unreachable(&e))?;
        self.read(path, response)
    }

    fn common_headers<B>(&self, mut request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        if let Some(credential) = &self.credential {
            request = request.header("authorization", format!("Bearer {credential}"));
        }
        if let Some(agreed) = &self.agreed {
            request = request.header(
                PROTOCOL_HEADER,
                format!("{}.{}", agreed.version.major, agreed.version.minor),
            );
        }
        request
    }

    fn unreachable(&self, error: &ureq::Error) -> SyncError {
        SyncError::Unreachable {
            server: self.base_url.clone(),
            detail: error.to_string(),
        }
    }

    fn read<R: DeserializeOwned>(
        &self,
        path: &str,
        response: ureq::http::Response<ureq::Body>,
    ) -> Result<R, SyncError> {
        let status = response.status().as_u16();
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = response_body_limit(path).unwrap_or(1 << 20);
        // a gzip body is smaller than its limit once inflated; read at most the limit raw
        let raw = response
            .into_body()
            .with_config()
            .limit(limit + 1)
            .read_to_vec()
            .map_err(|e| self.unreachable(&e))?;
        let encoding = BodyEncoding::from_header(encoding.as_deref())
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        if (200..300).contains(&status) {
            return decode_body(&raw, encoding, limit).map_err(|e| {
                SyncError::Protocol(format!("answer from {path} cannot be read: {e}"))
            });
        }
        let envelope: Option<ErrorEnvelope> = decode_body(&raw, encoding, limit).ok();
        match envelope {
            Some(envelope) => Err(SyncError::Refused {
                status,
                code: envelope.code().to_owned(),
                message: envelope.error.message,
            }),
            None if status >= 500 => Err(SyncError::Unreachable {
                server: self.base_url.clone(),
                detail: format!("HTTP {status} from {path}"),
            }),
            None => Err(SyncError::Refused {
                status,
                code: "sync.http_status".to_owned(),
                message: format!(
                    "head office answered HTTP {status} on {path}: {}",
                    String::from_utf8_lossy(&raw[..raw.len().min(200)])
                ),
            }),
        }
    }
}
