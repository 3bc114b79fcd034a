//! Account changes from the command line (`add-rep`, `set-password`), each one recorded in
//! the audit trail.

use crate::audit::Event;
use crate::audit_trail::append_now;
use crate::storage::{self, Storage, StorageError, unix_now};
use crate::{Error, add_representative, auth};

/// Adds a representative account to the database at `db_path` (the `add-rep` command).
pub async fn add_representative_to(
    db_path: &std::path::Path,
    user: &str,
    name: &str,
    password: String,
    is_admin: bool,
) -> Result<storage::Representative, Error> {
    let storage = Storage::open_sqlite(db_path).await?;
    let rep = add_representative(&storage, user, name, password, is_admin).await?;
    let role = if is_admin {
        "administrator"
    } else {
        "representative"
    };
    let event = Event::new(unix_now(), "command line", "account.add", user, role);
    append_now(&storage, event).await?;
    Ok(rep)
}

/// Sets the password of the account `user` in the database at `db_path` (the `set-password`
/// command); an error when there is no such account.
pub async fn set_password_in(
    db_path: &std::path::Path,
    user: &str,
    password: String,
) -> Result<(), Error> {
    let storage = Storage::open_sqlite(db_path).await?;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| StorageError::Task(e.to_string()))??;
    let who = user.to_owned();
    let changed = storage
        .call(move |b| b.set_password_hash(&who, &hash))
        .await?;
    if changed {
        let event = Event::new(unix_now(), "command line", "account.password", user, "");
        append_now(&storage, event).await?;
        Ok(())
    } else {
        Err(Error::NoSuchUser(user.to_owned()))
    }
}

/// Checks a new account's name and display name (the management pages' "Add
/// representative"), with words for the person adding it.
pub fn check_new_account(user: &str, name: &str) -> Result<(), String> {
    auth::check_user_name(user).map_err(|e| e.to_string())?;
    crate::codes::clean_name(name, "display name").map(|_| ())
}
