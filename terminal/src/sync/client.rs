//! The HTTP side of the sync client: one blocking request at a time over
//! reqwest's blocking client, bodies encoded by the protocol crate (gzip once
//! agreed), refusals read from the protocol's error envelope.
//!
//! - **TLS** is rustls on the ring provider (as the server; no OpenSSL, no
//!   aws-lc C build). `https://` head offices are checked against the
//!   operating system's roots (rustls-platform-verifier) plus, when the till
//!   was given one, an extra CA certificate stored in the till's database
//!   ([`super::trust`]) — a head office with a private CA works without
//!   touching the OS store. A certificate that does not verify is
//!   `sync.tls_untrusted`, never "offline".
//! - **Blocking** on purpose: a round is sequential (the next batch waits for
//!   the previous acknowledgement) and runs on a blocking thread of the loop's
//!   runtime ([`super::background`]) or in the CLI, which has no runtime.
//!   reqwest's blocking client drives its own small runtime thread per client
//!   (one client per round). So [`HeadOffice`] — and `sync_round` / `enrol`
//!   — must not be called on an async task's thread (reqwest panics there):
//!   from async code use `spawn_blocking`, as the loop does.
//! - **No pooled connections across requests**: every request says
//!   `connection: close` and the client keeps no idle connection, so a
//!   half-dead pooled socket can never eat a request. A till syncs every few
//!   seconds at most; the cost is one TCP (and TLS) handshake per request —
//!   about a millisecond on a LAN against batches of up to 1,000 records.
//! - reqwest's own gzip decoding is left off: bodies are inflated by the
//!   protocol crate with the response size limit applied to the inflated
//!   bytes too, so a small gzip bomb cannot blow up the till.
//! - No redirects are followed (head office answers itself; a redirect is
//!   shown as an HTTP status). Proxies from the environment (`HTTPS_PROXY`,
//!   `NO_PROXY`) are honoured.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use kasa_sync_protocol::body::CONTENT_ENCODING_HEADER;
use kasa_sync_protocol::http::{PROTOCOL_HEADER, response_body_limit};
use kasa_sync_protocol::{Agreed, BodyEncoding, ErrorEnvelope, decode_body};
use rusqlite::Connection;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{SyncError, trust};

/// Time allowed for one whole request (connect, send, receive).
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Time allowed to connect (TCP and TLS handshake).
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// Most bytes read of an answer when the protocol names no limit for its path.
const DEFAULT_BODY_LIMIT: u64 = 1 << 20;

/// A connection to head office for one sync round.
#[derive(Debug)]
pub struct HeadOffice {
    http: reqwest::blocking::Client,
    base_url: String,
    credential: Option<String>,
    agreed: Option<Agreed>,
}

/// A request body, encoded (see [`HeadOffice::encode`]).
#[derive(Debug)]
pub struct EncodedBody {
    bytes: Vec<u8>,
    encoding: BodyEncoding,
}

impl HeadOffice {
    /// A client for `base_url` (`http://` or `https://host:port`) trusting
    /// the OS roots and the CA stored on this till (`kasa sync set-ca`), with
    /// the terminal's credential if enrolled.
    pub fn for_till(
        conn: &Connection,
        base_url: &str,
        credential: Option<&str>,
    ) -> Result<HeadOffice, SyncError> {
        let extra_ca = trust::stored_ca(conn)?;
        HeadOffice::connect(base_url, credential, extra_ca.as_ref())
    }

    /// A client for `base_url` trusting the OS roots plus `extra_ca` (PEM).
    pub fn connect(
        base_url: &str,
        credential: Option<&str>,
        extra_ca: Option<&trust::CaCertificate>,
    ) -> Result<HeadOffice, SyncError> {
        check_url(base_url)?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        let tls = if base_url.starts_with("https://") {
            tls_config(extra_ca)?
        } else {
            // reqwest needs a config even for plain http; this one is never used
            rustls::ClientConfig::builder_with_provider(crypto_provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| tls_setup(&e))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        };
        let http = reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_millis(REQUEST_TIMEOUT_MS))
            .connect_timeout(Duration::from_millis(CONNECT_TIMEOUT_MS))
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SyncError::TlsSetup {
                detail: error_chain(&e),
            })?;
        Ok(HeadOffice {
            http,
            base_url,
            credential: credential.map(str::to_owned),
            agreed: None,
        })
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
        let body = self.encode(message)?;
        self.post_encoded(path, body)
    }

    /// `message` as the body of a request: compact JSON, gzip when agreed
    /// and large enough. Serialised once. An upload encodes its next batch
    /// this way while the one before is still in flight.
    pub fn encode<T: Serialize>(&self, message: &T) -> Result<EncodedBody, SyncError> {
        let json = serde_json::to_vec(message).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let encoding = match &self.agreed {
            Some(agreed) => BodyEncoding::choose(agreed, json.len()),
            None => BodyEncoding::Identity,
        };
        let bytes = match encoding {
            BodyEncoding::Identity => json,
            BodyEncoding::Gzip => kasa_sync_protocol::body::gzip(&json)
                .map_err(|e| SyncError::Protocol(e.to_string()))?,
        };
        Ok(EncodedBody { bytes, encoding })
    }

    /// POST a body made by [`HeadOffice::encode`], decode the answer as `R`.
    pub fn post_encoded<R: DeserializeOwned>(
        &self,
        path: &str,
        body: EncodedBody,
    ) -> Result<R, SyncError> {
        let mut request = self
            .common_headers(self.http.post(format!("{}{path}", self.base_url)))
            .header("content-type", "application/json");
        if let Some(value) = body.encoding.header_value() {
            request = request.header(CONTENT_ENCODING_HEADER, value);
        }
        let response = request
            .body(body.bytes)
            .send()
            .map_err(|e| self.failed(&e))?;
        self.read(path, response)
    }

    /// GET `path`, decode the answer as `R`.
    pub fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, SyncError> {
        let request = self.common_headers(self.http.get(format!("{}{path}", self.base_url)));
        let response = request.send().map_err(|e| self.failed(&e))?;
        self.read(path, response)
    }

    fn common_headers(
        &self,
        mut request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        request = request
            .header("accept-encoding", "gzip")
            .header("connection", "close");
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

    /// A request that got no answer: an untrusted certificate, or unreachable.
    fn failed(&self, error: &reqwest::Error) -> SyncError {
        if let Some(reason) = certificate_rejection(error) {
            return SyncError::TlsUntrusted {
                server: self.base_url.clone(),
                reason,
            };
        }
        SyncError::Unreachable {
            server: self.base_url.clone(),
            detail: error_chain(error),
        }
    }

    fn read<R: DeserializeOwned>(
        &self,
        path: &str,
        response: reqwest::blocking::Response,
    ) -> Result<R, SyncError> {
        let status = response.status().as_u16();
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = response_body_limit(path).unwrap_or(DEFAULT_BODY_LIMIT);
        // a gzip body is smaller than its limit once inflated; read at most the limit raw
        let mut raw = Vec::new();
        response
            .take(limit + 1)
            .read_to_end(&mut raw)
            .map_err(|e| SyncError::Unreachable {
                server: self.base_url.clone(),
                detail: format!("answer from {path} cut off: {}", error_chain(&e)),
            })?;
        if raw.len() as u64 > limit {
            return Err(SyncError::Protocol(format!(
                "answer from {path} is larger than {limit} bytes"
            )));
        }
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

/// `http://host[:port][/prefix]` or `https://…`; anything else is
/// [`SyncError::UnsupportedUrl`].
pub fn check_url(server_url: &str) -> Result<(), SyncError> {
    let rest = server_url
        .strip_prefix("http://")
        .or_else(|| server_url.strip_prefix("https://"))
        .unwrap_or("");
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(SyncError::UnsupportedUrl {
            url: server_url.to_owned(),
        });
    }
    Ok(())
}

/// rustls on ring, the same provider as the server.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_setup(error: &dyn std::error::Error) -> SyncError {
    SyncError::TlsSetup {
        detail: error.to_string(),
    }
}

/// The OS roots plus `extra_ca`, checked by rustls-platform-verifier.
fn tls_config(extra_ca: Option<&trust::CaCertificate>) -> Result<rustls::ClientConfig, SyncError> {
    let provider = crypto_provider();
    let extra: Vec<CertificateDer<'static>> = extra_ca
        .map(|ca| ca.certificates().to_vec())
        .unwrap_or_default();
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            .map_err(|e| tls_setup(&e))?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_setup(&e))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// Why the server's certificate was refused, if that is why `error` happened.
fn certificate_rejection(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(
            e @ (rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType),
        ) = error.downcast_ref::<rustls::Error>()
        {
            return Some(e.to_string());
        }
        // an io::Error's `source()` skips the error it wraps; look inside it instead
        current = match error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

/// `error` and its sources, `: `-separated (reqwest's own text is only the outermost).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(current) = source {
        let more = current.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = current.source();
    }
    text
}
