//! The extra CA certificate a till trusts for head office's `https://`
//! address (a chain with its own private CA), kept in the till's database
//! (`sync_trust`) so restarts and reinstalls of the binary keep it, like the
//! credential.
//!
//! The operating system's roots are always trusted as well; the extra CA is
//! added, never a replacement. The PEM text is stored as given (after
//! checking that it holds at least one X.509 certificate rustls accepts as a
//! root), with the file it came from for `kasa sync status`.

use std::path::Path;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;

use super::SyncError;

/// A checked CA certificate bundle (one or more PEM certificates).
#[derive(Debug, Clone)]
pub struct CaCertificate {
    pem: String,
    source: String,
    certificates: Vec<CertificateDer<'static>>,
}

/// What `kasa sync status` shows about the stored CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCa {
    /// The file it was read from.
    pub source: String,
    /// Certificates in it.
    pub certificates: usize,
    /// When it was set (UTC, RFC 3339).
    pub set_at: String,
}

impl CaCertificate {
    /// Parse PEM text read from `source` (a file name, for messages).
    pub fn parse(pem: &str, source: &str) -> Result<CaCertificate, SyncError> {
        let invalid = |detail: String| SyncError::CaCertInvalid {
            source_file: source.to_owned(),
            detail,
        };
        let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("not PEM: {e}")))?;
        if certificates.is_empty() {
            return Err(invalid(
                "no `-----BEGIN CERTIFICATE-----` block in it".to_owned(),
            ));
        }
        let mut roots = rustls::RootCertStore::empty();
        for certificate in &certificates {
            roots
                .add(certificate.clone())
                .map_err(|e| invalid(format!("not a usable X.509 certificate: {e}")))?;
        }
        Ok(CaCertificate {
            pem: pem.to_owned(),
            source: source.to_owned(),
            certificates,
        })
    }

    /// Read and parse a PEM file.
    pub fn from_file(path: &Path) -> Result<CaCertificate, SyncError> {
        // the full path, so the status names the file wherever the command was run from
        let source = std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string();
        let pem = std::fs::read_to_string(path).map_err(|e| SyncError::CaCertInvalid {
            source_file: source.clone(),
            detail: format!("cannot be read: {e}"),
        })?;
        CaCertificate::parse(&pem, &source)
    }

    /// The certificates (DER).
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certificates
    }
}

/// The CA stored on this till, if any.
pub fn stored_ca(conn: &Connection) -> Result<Option<CaCertificate>, SyncError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT ca_cert_pem, source FROM sync_trust WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(pem, source)| CaCertificate::parse(&pem, &source))
        .transpose()
}

/// What is stored, for the status (without re-checking the PEM).
pub fn stored_ca_summary(conn: &Connection) -> Result<Option<StoredCa>, SyncError> {
    let row: Option<(String, String, String)> = conn
        .query_row(
            "SELECT ca_cert_pem, source, set_at FROM sync_trust WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.map(|(pem, source, set_at)| StoredCa {
        source,
        certificates: pem.matches("-----BEGIN CERTIFICATE-----").count(),
        set_at,
    }))
}

/// Trust `ca` (besides the OS roots) for head office from now on; replaces
/// a CA set before.
pub fn set_ca(conn: &Connection, ca: &CaCertificate) -> Result<(), SyncError> {
    conn.execute(
        "INSERT INTO sync_trust (id, ca_cert_pem, source, set_at) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET ca_cert_pem = ?1, source = ?2, set_at = ?3",
        params![
            ca.pem,
            ca.source,
            Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ],
    )?;
    Ok(())
}

/// Trust only the OS roots again. Returns whether a CA was stored.
pub fn clear_ca(conn: &Connection) -> Result<bool, SyncError> {
    Ok(conn.execute("DELETE FROM sync_trust WHERE id = 1", [])? > 0)
}
