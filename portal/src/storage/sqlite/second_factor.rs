//! Representatives' second factor in SQLite (`crate::totp`): the secret and the last step
//! used, marked in one statement so two logins cannot use the same code.

use rusqlite::{Connection, OptionalExtension, params};

use crate::storage::StorageError;
use crate::totp::{FactorOp, Secret, StoredFactor};

pub(super) fn second_factor(
    conn: &Connection,
    rep: i64,
    op: &FactorOp,
) -> Result<StoredFactor, StorageError> {
    let mut accepted = false;
    match op {
        FactorOp::Get => {}
        FactorOp::Use { step } => {
            accepted = conn.execute(
                "UPDATE representatives SET totp_step = ?2 WHERE id = ?1 \
                 AND totp_secret IS NOT NULL AND (totp_step IS NULL OR totp_step < ?2)",
                params![rep, step],
            )? == 1;
        }
        // Only when off: a setup begun earlier cannot replace a second factor turned on since.
        FactorOp::Enable(secret) => {
            accepted = conn.execute(
                "UPDATE representatives SET totp_secret = ?2, totp_step = NULL \
                 WHERE id = ?1 AND totp_secret IS NULL",
                params![rep, secret.0.to_vec()],
            )? == 1;
        }
        FactorOp::Disable => {
            conn.execute(
                "UPDATE representatives SET totp_secret = NULL, totp_step = NULL WHERE id = ?1",
                params![rep],
            )?;
        }
    }
    let stored: Option<(Option<Vec<u8>>, Option<i64>)> = conn
        .query_row(
            "SELECT totp_secret, totp_step FROM representatives WHERE id = ?1",
            params![rep],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (secret, last_step) = stored.unwrap_or_default();
    // A stored secret that is not one is an error, never "no second factor".
    let secret = match secret {
        Some(bytes) => Some(Secret::from_bytes(&bytes).ok_or_else(|| {
            StorageError::Corrupt(format!(
                "account {rep} has a malformed second-factor secret"
            ))
        })?),
        None => None,
    };
    Ok(StoredFactor {
        secret,
        last_step,
        accepted,
    })
}
