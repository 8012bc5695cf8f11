//! Customers, customer groups and users from head office.

use kasa_sync_protocol::master_data::entities::{CustomerData, CustomerGroupData, UserData};
use rusqlite::{Transaction, params};

use super::{Applied, exec, sql};

pub(super) fn upsert_group(tx: &Transaction<'_>, group: &CustomerGroupData) -> Applied {
    exec(
        tx,
        "INSERT INTO customer_groups (code, name) VALUES (?1, ?2)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name",
        params![group.code, group.name],
    )
    .map_err(sql)?;
    Ok(())
}

pub(super) fn upsert_customer(tx: &Transaction<'_>, customer: &CustomerData) -> Applied {
    if let Some(group) = &customer.customer_group {
        // a group not published (yet) is created under its code
        exec(
            tx,
            "INSERT OR IGNORE INTO customer_groups (code, name) VALUES (?1, ?1)",
            [group],
        )
        .map_err(sql)?;
    }
    exec(
        tx,
        "INSERT INTO customers (code, name, customer_group, credit_limit, balance)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name,
            customer_group = excluded.customer_group, credit_limit = excluded.credit_limit,
            balance = excluded.balance",
        params![
            customer.code,
            customer.name,
            customer.customer_group,
            customer.credit_limit.to_string(),
            customer.balance.to_string()
        ],
    )
    .map_err(sql)?;
    Ok(())
}

pub(super) fn upsert_user(tx: &Transaction<'_>, user: &UserData) -> Applied {
    exec(
        tx,
        "INSERT INTO users (login, name, role, pin_hash, active, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%S', 'now'))
         ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,
            pin_hash = excluded.pin_hash, active = excluded.active",
        params![
            user.login,
            user.name,
            user.role.name(),
            user.pin_hash,
            user.active
        ],
    )
    .map_err(sql)?;
    Ok(())
}

/// Users stay (documents name them): a delete deactivates.
pub(super) fn deactivate_user(tx: &Transaction<'_>, login: &str) -> Applied {
    exec(tx, "UPDATE users SET active = 0 WHERE login = ?1", [login]).map_err(sql)?;
    Ok(())
}
