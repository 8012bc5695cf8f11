//! Tables of users, login failures and the audit log.

/// Users, the terminal's login-failure counter and the audit log.
pub(crate) const V1: &str = "
CREATE TABLE users (
    login TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'admin')),
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    consecutive INTEGER NOT NULL,
    locked_until TEXT
) STRICT;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    approved_by TEXT,
    document_id TEXT,
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_actor ON audit_log (actor, at);
";

/// Operator codes: the 4-digit `ZZZZ` of the Bulgarian N-18 unique sale
/// number, given to each user in the order they were added (`0001`, …),
/// never reused. Existing users are numbered in insertion order.
pub(crate) const V2: &str = "
ALTER TABLE users ADD COLUMN operator_code TEXT;
UPDATE users SET operator_code =
    printf('%04d', (SELECT COUNT(*) FROM users AS u WHERE u.rowid <= users.rowid));
CREATE UNIQUE INDEX users_operator_code ON users (operator_code);
";
