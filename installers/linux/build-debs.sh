#!/usr/bin/env bash
# Builds the Debian packages tandem-portal, tandem-agent and tandem-viewer with dpkg-deb
# from binaries and a web app that are already built (this script builds nothing):
#
#   target/<profile>/tandem-portal, tandem-agent, tandem-viewer
#       cargo build --release -p tandem-portal -p tandem-agent -p tandem-viewer
#   web/dist/ (with index.html)
#       cd web && npm ci && npm run build
#
# Usage: installers/linux/build-debs.sh [--profile release|debug] [--version 0.1.0]
#                                       [--out DIR] [--compress xz|gzip|none]
#
# The packages' maintainer scripts, desktop entries and copyright are in deb/ beside this
# script; the units and the default configuration are beside it.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/../.." && pwd)
deb_dir="$here/deb"

maintainer="Tandem developers <tandem@localhost>"

die() {
    printf 'build-debs.sh: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
Usage: installers/linux/build-debs.sh [--profile release|debug] [--version VERSION]
                                      [--out DIR] [--compress xz|gzip|none]

Packages target/<profile>/tandem-{portal,agent,viewer} and web/dist/ (built beforehand)
into tandem-portal_<version>_<arch>.deb, tandem-agent_… and tandem-viewer_….

  --profile   cargo profile whose binaries are packaged (default: release)
  --version   package version (default: [workspace.package] version in Cargo.toml)
  --out       folder for the .deb files (default: target/debian in the repository)
  --compress  dpkg-deb compression (default: xz)
EOF
}

profile=release
version=
out=
compress=xz

need_value() {
    [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --profile | --version | --out | --compress)
            need_value "$@"
            case $1 in
                --profile) profile=$2 ;;
                --version) version=$2 ;;
                --out) out=$2 ;;
                --compress) compress=$2 ;;
            esac
            shift 2
            ;;
        --profile=* | --version=* | --out=* | --compress=*)
            value=${1#*=}
            [[ -n $value ]] || die "${1%%=*} needs a value (see --help)"
            case $1 in
                --profile=*) profile=$value ;;
                --version=*) version=$value ;;
                --out=*) out=$value ;;
                --compress=*) compress=$value ;;
            esac
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            die "unknown argument: $1 (see --help)"
            ;;
    esac
done

case $profile in
    release) cargo_flags=" --release" ;;
    debug) cargo_flags="" ;;
    *) die "--profile must be release or debug, not '$profile'" ;;
esac
case $compress in
    xz | gzip | none) ;;
    *) die "--compress must be xz, gzip or none, not '$compress'" ;;
esac

for tool in dpkg dpkg-deb strip readelf md5sum du find sed awk; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is needed and not installed"
done

# The version: [workspace.package] version in Cargo.toml. A Cargo pre-release
# (0.2.0-rc.1) becomes 0.2.0~rc.1, which Debian sorts before 0.2.0.
if [[ -z $version ]]; then
    version=$(awk '
        /^[[:space:]]*\[/ {
            in_pkg = ($0 ~ /^[[:space:]]*\[workspace\.package\][[:space:]]*(#.*)?$/)
            next
        }
        in_pkg && /^[[:space:]]*version[[:space:]]*=/ {
            if (match($0, /"[^"]*"/)) { print substr($0, RSTART + 1, RLENGTH - 2); exit }
        }' "$root/Cargo.toml")
    [[ -n $version ]] || die "no version under [workspace.package] in $root/Cargo.toml; give --version"
    version=${version//-/\~}
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] ||
    die "'$version' is not a usable Debian version (digits first, then letters, digits, . + ~)"

if [[ -z $out ]]; then
    out="$root/target/debian"
fi

# Everything the packages are made of must be there before anything is made.
bin_dir="$root/target/$profile"
web_dist="$root/web/dist"
missing=0
for bin in tandem-portal tandem-agent tandem-viewer; do
    if [[ ! -f $bin_dir/$bin ]]; then
        printf 'build-debs.sh: missing %s\n  build it with: cargo build%s -p tandem-portal -p tandem-agent -p tandem-viewer\n' \
            "target/$profile/$bin" "$cargo_flags" >&2
        missing=1
    fi
done
if [[ ! -f $web_dist/index.html ]]; then
    printf 'build-debs.sh: missing %s\n  build it with: cd web && npm ci && npm run build\n' \
        "web/dist/index.html" >&2
    missing=1
fi
[[ $missing -eq 0 ]] || exit 1
for file in tandem-agent-resume.service tandem-portal.service portal.toml; do
    [[ -f $here/$file ]] || die "missing $here/$file"
done

arch=$(dpkg --print-architecture)
case $arch in
    amd64) download_arch=x86_64 elf_machine="X86-64" ;;
    arm64) download_arch=aarch64 elf_machine="AArch64" ;;
    *) die "architecture '$arch' has no customer-app download name (amd64 and arm64 have)" ;;
esac

umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-debs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# Strips a binary into place (mode 0755) and checks it is for this architecture.
install_binary() {
    local src=$1 dst=$2 machine
    mkdir -p -- "$(dirname -- "$dst")"
    strip --strip-unneeded -o "$dst" "$src"
    chmod 0755 "$dst"
    machine=$(readelf -h "$dst" | sed -n 's/^ *Machine: *//p')
    [[ $machine == *"$elf_machine"* ]] ||
        die "$src is built for '$machine', not for $arch; build on (or for) $arch"
}

install_file() {
    local mode=$1 src=$2 dst=$3
    mkdir -p -- "$(dirname -- "$dst")"
    cp -- "$src" "$dst"
    chmod "$mode" "$dst"
}

# The Depends line for the binaries of a package: libc6 at least 2.34, or the newest
# GLIBC_ symbol version they need if that is newer; plus the package of any other shared
# library they were linked against (a warning: the release build links only glibc and
# libgcc_s, whose package libc6 itself depends on).
depends_for() {
    local pkg=$1 extra=$2 glibc=2.34 bin need v lib path owner
    local -a others=()
    shift 2
    for bin in "$@"; do
        v=$(readelf -VW "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n 1 || true)
        if [[ -n $v && $(printf '%s\n%s\n' "$glibc" "$v" | sort -V | tail -n 1) == "$v" ]]; then
            glibc=$v
        fi
        while read -r need; do
            case $need in
                libc.so.6 | libm.so.6 | libgcc_s.so.1 | ld-linux*.so.* | libpthread.so.0 | libdl.so.2 | librt.so.1 | libutil.so.1) ;;
                *)
                    path=$(ldconfig -p 2>/dev/null | awk -v lib="$need" '$1 == lib { print $NF; exit }')
                    [[ -n $path ]] || die "$(basename -- "$bin") needs $need, which is not installed here"
                    owner=$(dpkg -S "$(readlink -f -- "$path")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
                        true
                    [[ -n $owner ]] || owner=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1) || true
                    [[ -n $owner ]] || die "$(basename -- "$bin") needs $need ($path), which no package owns"
                    printf 'build-debs.sh: warning: %s links %s dynamically; %s gets Depends: %s\n' \
                        "$(basename -- "$bin")" "$need" "$pkg" "$owner" >&2
                    others+=("$owner")
                    ;;
            esac
        done < <(readelf -dW "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
    done
    local line="libc6 (>= $glibc)"
    for lib in $(printf '%s\n' "${others[@]}" | sort -u); do
        line+=", $lib"
    done
    [[ -z $extra ]] || line+=", $extra"
    printf '%s\n' "$line"
}

# Writes DEBIAN/control and DEBIAN/md5sums of a staged package, then builds it.
# Arguments: package, Depends, Section, short description; the long one on stdin.
finish_package() {
    local pkg=$1 depends=$2 section=$3 summary=$4 dir="$work/$1" size file
    mkdir -p -- "$dir/DEBIAN"
    size=$(du -sk --exclude=DEBIAN -- "$dir" | cut -f1)
    {
        printf 'Package: %s\n' "$pkg"
        printf 'Version: %s\n' "$version"
        printf 'Architecture: %s\n' "$arch"
        printf 'Maintainer: %s\n' "$maintainer"
        printf 'Installed-Size: %s\n' "$size"
        printf 'Depends: %s\n' "$depends"
        printf 'Section: %s\n' "$section"
        printf 'Priority: optional\n'
        printf 'Description: %s\n' "$summary"
        # Long description: each line indented by one space, empty lines as " .".
        sed -e 's/^$/./' -e 's/^/ /'
    } >"$dir/DEBIAN/control"
    (
        cd -- "$dir"
        find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
            xargs -0 --no-run-if-empty md5sum
    ) >"$dir/DEBIAN/md5sums"
    chmod 0644 "$dir/DEBIAN/control" "$dir/DEBIAN/md5sums"
    for file in "$dir"/DEBIAN/*; do
        case $(basename -- "$file") in
            preinst | postinst | prerm | postrm) chmod 0755 "$file" ;;
        esac
    done
    file="$out/${pkg}_${version}_${arch}.deb"
    dpkg-deb --root-owner-group -Z"$compress" --build "$dir" "$file" >/dev/null
    built+=("$file")
}

copyright() {
    install_file 0644 "$deb_dir/copyright" "$work/$1/usr/share/doc/$1/copyright"
}

scripts() {
    local pkg=$1 script
    for script in preinst postinst prerm postrm; do
        if [[ -f $deb_dir/$pkg.$script ]]; then
            install_file 0755 "$deb_dir/$pkg.$script" "$work/$pkg/DEBIAN/$script"
        fi
    done
}

mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)
built=()

# ---- tandem-portal -----------------------------------------------------------------------
p="$work/tandem-portal"
install_binary "$bin_dir/tandem-portal" "$p/usr/bin/tandem-portal"
# The customer app the portal serves, stamped per customer (<exe>/../lib/tandem/downloads).
install_binary "$bin_dir/tandem-agent" "$p/usr/lib/tandem/downloads/tandem-agent-linux-$download_arch"
# The web app (<exe>/../share/tandem/web).
mkdir -p -- "$p/usr/share/tandem/web"
cp -R -- "$web_dist/." "$p/usr/share/tandem/web/"
find "$p/usr/share/tandem/web" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
install_file 0644 "$here/tandem-portal.service" "$p/lib/systemd/system/tandem-portal.service"
install_file 0644 "$here/portal.toml" "$p/etc/tandem/portal.toml"
copyright tandem-portal
scripts tandem-portal
mkdir -p -- "$p/DEBIAN"
printf '/etc/tandem/portal.toml\n' >"$p/DEBIAN/conffiles"
chmod 0644 "$p/DEBIAN/conffiles"
depends=$(depends_for tandem-portal passwd "$p/usr/bin/tandem-portal")
finish_package tandem-portal "$depends" \
    net "self-hosted remote support: the portal" <<'EOF'
Tandem lets a support representative see and, with the customer's consent,
control a customer's screen. The portal is the server both sides meet at:
it hands out session codes, keeps the representatives' accounts, relays the
signalling (and the session when no direct path opens) and serves the web
app, the customer pages and the downloadable customer app.

This package runs it as the system service tandem-portal (user tandem, data
in /var/lib/tandem, settings in /etc/tandem/portal.toml). Without a
certificate of its own it makes a self-signed one and prints its pin.
EOF

# ---- tandem-agent ------------------------------------------------------------------------
p="$work/tandem-agent"
install_binary "$bin_dir/tandem-agent" "$p/usr/bin/tandem-agent"
# The resume unit for installed machines: the template with the installed path, without
# the display (the user session provides it) and without the agent's --state-dir (the
# default, ~/.local/state/tandem).
mkdir -p -- "$p/usr/lib/systemd/user"
{
    cat <<'EOF'
# Installed by the tandem-agent package into /usr/lib/systemd/user/. After a reboot the
# customer agreed to, it runs `tandem-agent --resume`, which rejoins the same session from
# the resume record in ~/.local/state/tandem. DISPLAY comes from the user's graphical
# session. Exit status 5 (nothing to resume) ends it without restarts. A unit the agent
# writes to ~/.config/systemd/user/ under the same name takes precedence over this one.
EOF
    sed -e '/^#/d' \
        -e '/^Environment=DISPLAY=/d' \
        -e 's|^ExecStart=.*|ExecStart=/usr/bin/tandem-agent --resume|' \
        "$here/tandem-agent-resume.service"
} >"$p/usr/lib/systemd/user/tandem-agent-resume.service"
unit="$p/usr/lib/systemd/user/tandem-agent-resume.service"
chmod 0644 "$unit"
[[ $(grep -c '^ExecStart=/usr/bin/tandem-agent --resume$' "$unit") -eq 1 ]] ||
    die "tandem-agent-resume.service: no single ExecStart= line to replace"
[[ $(grep -c '^RestartPreventExitStatus=5$' "$unit") -eq 1 ]] ||
    die "tandem-agent-resume.service: no single RestartPreventExitStatus=5 line"
! grep -q '^Environment=DISPLAY' "$unit" ||
    die "tandem-agent-resume.service: the DISPLAY line is still there"
install_file 0644 "$deb_dir/tandem-agent.desktop" "$p/usr/share/applications/tandem-agent.desktop"
copyright tandem-agent
scripts tandem-agent
depends=$(depends_for tandem-agent "" "$p/usr/bin/tandem-agent")
finish_package tandem-agent "$depends" \
    net "self-hosted remote support: the customer app" <<'EOF'
Tandem lets a support representative see and, with the customer's consent,
control a customer's screen. This is the customer's side, for machines that
keep it installed: it joins a session with the link or code the
representative gave (or the page's tandem-agent:// link), shows what is
shared and asks before anything is seen or done.

It runs without root and needs an X11 desktop; after a restart the customer
agreed to it rejoins the session (systemd user unit tandem-agent-resume).
EOF

# ---- tandem-viewer -----------------------------------------------------------------------
p="$work/tandem-viewer"
install_binary "$bin_dir/tandem-viewer" "$p/usr/bin/tandem-viewer"
install_file 0644 "$deb_dir/tandem-viewer.desktop" "$p/usr/share/applications/tandem-viewer.desktop"
copyright tandem-viewer
scripts tandem-viewer
depends=$(depends_for tandem-viewer "" "$p/usr/bin/tandem-viewer")
finish_package tandem-viewer "$depends" \
    net "self-hosted remote support: the representative's viewer" <<'EOF'
Tandem lets a support representative see and, with the customer's consent,
control a customer's screen. This is the representative's side: it creates
session codes, opens sessions in a window and opens the console's tandem://
links. Its console, chat and password prompt are on the terminal.
EOF

for file in "${built[@]}"; do
    printf '%s  %s\n' "$file" "$(du -h -- "$file" | cut -f1)"
done
