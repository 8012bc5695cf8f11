//! The spool directory: one JSON file per job, `job-<id>.json`, each written
//! atomically (write `*.tmp`, fsync it, rename over the old file, fsync the
//! directory), so a crash leaves either the old or the new version of a job,
//! never a torn one. A file that cannot be read back is moved aside to
//! `*.corrupt` (and logged) instead of stopping the whole queue.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{PrintJob, QueueError};

#[derive(Debug)]
pub(super) struct Spool {
    dir: PathBuf,
}

fn io_error(path: &Path, e: std::io::Error) -> QueueError {
    QueueError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

impl Spool {
    pub(super) fn open(dir: &Path) -> Result<Self, QueueError> {
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, id: u64) -> PathBuf {
        self.dir.join(format!("job-{id:010}.json"))
    }

    /// Loads every job; unreadable files are moved aside.
    pub(super) fn load_all(&self) -> Result<Vec<PrintJob>, QueueError> {
        let mut jobs = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| io_error(&self.dir, e))? {
            let entry = entry.map_err(|e| io_error(&self.dir, e))?;
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(".tmp") && name.starts_with("job-") {
                // A write interrupted before its rename: the previous
                // version (if any) is still in place.
                let _ = fs::remove_file(&path);
                continue;
            }
            if !(name.starts_with("job-") && name.ends_with(".json")) {
                continue;
            }
            let bytes = fs::read(&path).ok();
            if bytes.as_ref().is_some_and(Vec::is_empty) {
                // Claimed by `claim` and not written yet (or the claimer
                // died first): no job, and the id stays taken.
                continue;
            }
            let parsed = bytes.and_then(|bytes| serde_json::from_slice::<PrintJob>(&bytes).ok());
            match parsed {
                Some(job) => jobs.push(job),
                None => {
                    let aside = path.with_extension("json.corrupt");
                    tracing::warn!(path = %path.display(), "unreadable print job moved aside");
                    fs::rename(&path, &aside).map_err(|e| io_error(&path, e))?;
                }
            }
        }
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Writes `job` atomically and durably.
    pub(super) fn save(&self, job: &PrintJob) -> Result<(), QueueError> {
        let path = self.path_of(job.id);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(job).map_err(|e| QueueError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .map_err(|e| io_error(&tmp, e))?;
            file.write_all(&bytes).map_err(|e| io_error(&tmp, e))?;
            file.sync_all().map_err(|e| io_error(&tmp, e))?;
        }
        fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(&self.dir, e))
    }

    /// Claims `id` for a new job by creating its file exclusively; false
    /// when a job (of this or another process) already has it.
    pub(super) fn claim(&self, id: u64) -> Result<bool, QueueError> {
        let path = self.path_of(id);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Deletes a job's file.
    pub(super) fn remove(&self, id: u64) -> Result<(), QueueError> {
        let path = self.path_of(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path, e)),
        }
    }
}

/// Lower-case hex, for job bytes inside JSON.
pub(super) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    s
}

pub(super) fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}
