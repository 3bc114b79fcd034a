//! Network namespaces for tests that need a network other than the host's: a namespace has
//! its own loopback and its own firewall rules, so a test can block UDP without touching the
//! machine. Needs root (as CI runs); `ip` and `iptables` come from scripts/test.sh.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A network namespace, deleted on drop (with every socket in it).
pub struct Netns {
    pub name: String,
}

fn run(what: &str, cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({cmd:?}): {} — these tests need root, iproute2 and iptables",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

impl Netns {
    /// A fresh namespace with loopback up and every UDP datagram dropped: WebRTC's ICE
    /// checks cannot pass, TCP (the portal) still works.
    pub fn udp_blocked(tag: &str) -> Netns {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "tandem-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run(
            "creating a network namespace",
            Command::new("ip").args(["netns", "add", &name]),
        );
        let ns = Netns { name };
        run(
            "bringing up loopback",
            &mut ns.exec("ip", &["link", "set", "lo", "up"]),
        );
        for chain in ["OUTPUT", "INPUT"] {
            run(
                "blocking UDP",
                &mut ns.exec("iptables", &["-A", chain, "-p", "udp", "-j", "DROP"]),
            );
        }
        ns
    }

    /// `program args…` to run inside the namespace.
    pub fn exec(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]).args(args);
        cmd
    }

    /// The same command, run inside the namespace (`ip netns exec` execs it, so the process
    /// guard still holds the program itself).
    pub fn wrap(&self, cmd: Command) -> Command {
        wrap_in(Some(&self.name), cmd)
    }
}

/// `cmd` run inside namespace `ns` when there is one.
pub fn wrap_in(ns: Option<&str>, cmd: Command) -> Command {
    let Some(ns) = ns else { return cmd };
    let mut wrapped = Command::new("ip");
    wrapped
        .args(["netns", "exec", ns])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
