#!/usr/bin/env bash
# File transfer throughput on loopback: Tandem (tandem-bench's transfer section) and scp of
# the same 200 MB in the same run, against a throw-away sshd on 127.0.0.1:2222.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_packages openssh-server openssh-client rsync bc xvfb xterm xdotool
ensure_cargo
cargo build --release --workspace --bins -q

work=$(mktemp -d)
trap 'kill $(cat "$work/sshd.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/user_key"
cp "$work/user_key.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<CFG
Port 2222
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
StrictModes no
PasswordAuthentication no
Subsystem sftp internal-sftp
CFG
mkdir -p /run/sshd
"$(command -v sshd || echo /usr/sbin/sshd)" -f "$work/sshd_config"
ssh_opts=(-P 2222 -i "$work/user_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -q)

echo "== Tandem"
target/release/tandem-bench 1 | tee "$work/tandem.txt"
head -c $((200 * 1024 * 1024)) /dev/urandom >"$work/transfer.bin"
echo "== scp (same size, loopback, default cipher)"
start=$(date +%s.%N)
scp "${ssh_opts[@]}" "$work/transfer.bin" "$(whoami)@127.0.0.1:$work/copy.bin"
end=$(date +%s.%N)
echo "scp 200 MB: $(echo "$end - $start" | bc -l | cut -c1-5) s = $(echo "200 / ($end - $start)" | bc -l | cut -c1-5) MB/s"
rm -f "$work/copy.bin"
echo "== rsync over ssh"
start=$(date +%s.%N)
rsync -e "ssh -p 2222 -i $work/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -q" "$work/transfer.bin" "$(whoami)@127.0.0.1:$work/copy.bin"
end=$(date +%s.%N)
echo "rsync 200 MB: $(echo "$end - $start" | bc -l | cut -c1-5) s = $(echo "200 / ($end - $start)" | bc -l | cut -c1-5) MB/s"
