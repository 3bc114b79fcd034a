//! `/etc/tandem/portal.toml`: every command-line flag as a key of the same name.
//!
//! The file is turned into flags placed before the command line's own, so there is one
//! meaning per setting and one place that checks it (the flag parser). What a person typed
//! wins, then the environment, then the file: a key is left out when its flag is on the
//! command line or its `TANDEM_*` variable is set, and so is a key whose flag cannot be
//! combined with one the command line or the environment gives (`no-tls` in the file,
//! `--tls-cert` on the command line). A switch (`no-tls = true`) is only turned on by a flag:
//! to turn it off, change the file.
//!
//! ```
//! use tandem_portal::config_file::{Flag, flags_from_file};
//! let known = [
//!     Flag { name: "listen".into(), takes_value: true, env: Some("TANDEM_LISTEN".into()), conflicts: vec![] },
//!     Flag { name: "no-tls".into(), takes_value: false, env: None, conflicts: vec![] },
//! ];
//! let file = "listen = \"0.0.0.0:8470\"\nno-tls = true\n";
//! let flags = flags_from_file(file, &known, &[], |_| false).unwrap();
//! assert_eq!(flags, ["--listen=0.0.0.0:8470", "--no-tls"]);
//! ```

use toml_edit::{DocumentMut, Item, Value};

/// A flag the program knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Its long name, without `--`: also its key in the file.
    pub name: String,
    /// Whether it takes a value (`--listen <addr>`) or is a switch (`--no-tls`).
    pub takes_value: bool,
    /// The environment variable that sets it, if any.
    pub env: Option<String>,
    /// The flags it cannot be combined with.
    pub conflicts: Vec<String>,
}

/// The flags the file `text` stands for, given the `known` flags, the command line's own
/// arguments `given` (to leave out what they set) and whether an environment variable is set.
/// The error names the key and says what is wrong with it.
pub fn flags_from_file(
    text: &str,
    known: &[Flag],
    given: &[String],
    env_is_set: impl Fn(&str) -> bool,
) -> Result<Vec<String>, String> {
    let doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let mut flags = Vec::new();
    for (key, item) in doc.iter() {
        let Some(flag) = known.iter().find(|f| f.name == key) else {
            let names: Vec<&str> = known.iter().map(|f| f.name.as_str()).collect();
            return Err(format!(
                "unknown key '{key}' (the keys are the flags' names: {})",
                names.join(", ")
            ));
        };
        let set_elsewhere = |f: &Flag| {
            let on_command_line = given.iter().any(|arg| {
                arg.strip_prefix("--")
                    .and_then(|a| a.strip_prefix(f.name.as_str()))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
            });
            on_command_line || f.env.as_deref().is_some_and(&env_is_set)
        };
        let values = values_of(key, item, flag.takes_value)?;
        let conflicting = known
            .iter()
            .filter(|f| flag.conflicts.contains(&f.name))
            .any(&set_elsewhere);
        if set_elsewhere(flag) || conflicting {
            continue;
        }
        for value in values {
            flags.push(match value {
                Some(v) => format!("--{key}={v}"),
                None => format!("--{key}"),
            });
        }
    }
    Ok(flags)
}

/// The flag's occurrences for `item`: `Some(value)` for a flag with a value, `None` for a
/// switch that is on.
fn values_of(key: &str, item: &Item, takes_value: bool) -> Result<Vec<Option<String>>, String> {
    let wrong = |what: &str| format!("key '{key}': {what}");
    let Some(value) = item.as_value() else {
        return Err(wrong("a table is not a setting"));
    };
    if !takes_value {
        return match value.as_bool() {
            Some(true) => Ok(vec![None]),
            Some(false) => Ok(Vec::new()),
            None => Err(wrong("this setting is true or false")),
        };
    }
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| {
                scalar(v)
                    .map(Some)
                    .ok_or_else(|| wrong("lists hold text or numbers"))
            })
            .collect(),
        v => scalar(v)
            .map(|s| vec![Some(s)])
            .ok_or_else(|| wrong("give text (in quotes) or a number")),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.value().clone()),
        Value::Integer(i) => Some(i.value().to_string()),
        Value::Float(f) => Some(f.value().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<Flag> {
        let flag = |name: &str, takes_value: bool, env: Option<&str>| Flag {
            name: name.into(),
            takes_value,
            env: env.map(Into::into),
            conflicts: Vec::new(),
        };
        let mut no_tls = flag("no-tls", false, None);
        no_tls.conflicts = vec!["tls-cert".into()];
        let mut cert = flag("tls-cert", true, Some("TANDEM_TLS_CERT"));
        cert.conflicts = vec!["no-tls".into()];
        vec![
            flag("listen", true, Some("TANDEM_LISTEN")),
            flag("db", true, Some("TANDEM_DB")),
            flag("code-ttl-secs", true, Some("TANDEM_CODE_TTL_SECS")),
            flag("trusted-proxy", true, Some("TANDEM_TRUSTED_PROXIES")),
            no_tls,
            cert,
        ]
    }

    #[test]
    fn keys_become_flags() {
        let text = "listen = \"0.0.0.0:8470\"\ncode-ttl-secs = 300\n\
                    trusted-proxy = [\"10.0.0.1\", \"10.0.0.2\"]\nno-tls = false\n";
        let flags = flags_from_file(text, &known(), &[], |_| false).expect("valid");
        assert_eq!(
            flags,
            [
                "--listen=0.0.0.0:8470",
                "--code-ttl-secs=300",
                "--trusted-proxy=10.0.0.1",
                "--trusted-proxy=10.0.0.2"
            ]
        );
    }

    #[test]
    fn the_command_line_and_the_environment_win() {
        let text = "listen = \"0.0.0.0:8470\"\ndb = \"/var/lib/tandem/portal.sqlite3\"\n";
        let given = ["--listen=127.0.0.1:1".to_owned()];
        let flags = flags_from_file(text, &known(), &given, |_| false).expect("valid");
        assert_eq!(flags, ["--db=/var/lib/tandem/portal.sqlite3"]);
        let given = ["--listen".to_owned(), "127.0.0.1:1".to_owned()];
        let flags = flags_from_file(text, &known(), &given, |v| v == "TANDEM_DB").expect("ok");
        assert!(flags.is_empty(), "{flags:?}");
        // A longer flag sharing the key's start is not the key.
        let given = ["--listen-more".to_owned()];
        let flags = flags_from_file(text, &known(), &given, |_| false).expect("valid");
        assert_eq!(flags.len(), 2);
    }

    #[test]
    fn a_key_that_conflicts_with_the_command_line_is_left_out() {
        let text = "no-tls = true\nlisten = \"127.0.0.1:1\"\n";
        let given = ["--tls-cert=/etc/cert.pem".to_owned()];
        let flags = flags_from_file(text, &known(), &given, |_| false).expect("valid");
        assert_eq!(flags, ["--listen=127.0.0.1:1"]);
        let flags = flags_from_file(text, &known(), &[], |v| v == "TANDEM_TLS_CERT").expect("ok");
        assert_eq!(flags, ["--listen=127.0.0.1:1"]);
        let text = "tls-cert = \"/etc/cert.pem\"\n";
        let flags = flags_from_file(text, &known(), &["--no-tls".to_owned()], |_| false);
        assert_eq!(flags.expect("valid"), Vec::<String>::new());
    }

    #[test]
    fn mistakes_are_named() {
        let err = flags_from_file("lissen = 1", &known(), &[], |_| false).expect_err("unknown");
        assert!(
            err.contains("unknown key 'lissen'") && err.contains("listen"),
            "{err}"
        );
        let err = flags_from_file("no-tls = \"yes\"", &known(), &[], |_| false).expect_err("bool");
        assert!(
            err.contains("'no-tls'") && err.contains("true or false"),
            "{err}"
        );
        let err = flags_from_file("listen = true", &known(), &[], |_| false).expect_err("type");
        assert!(err.contains("'listen'"), "{err}");
        let err = flags_from_file("[listen]\nx = 1", &known(), &[], |_| false).expect_err("t");
        assert!(err.contains("table"), "{err}");
        let err = flags_from_file("listen = ", &known(), &[], |_| false).expect_err("toml");
        assert!(err.contains("TOML"), "{err}");
    }
}
