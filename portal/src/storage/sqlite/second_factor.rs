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
        FactorOp::Set(secret) => {
            conn.execute(
                "UPDATE representatives SET totp_secret = ?2, totp_step = NULL WHERE id = ?1",
                params![rep, secret.as_ref().map(|s| s.0.to_vec())],
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
    Ok(StoredFactor {
        secret: secret.as_deref().and_then(Secret::from_bytes),
        last_step,
        accepted,
    })
}
