#!/bin/sh
# Installs every Debian package gvab needs, idempotently.
#
# - Does nothing (and says so in one line) when everything is present.
# - On Debian 12 (bookworm) the Go 1.22 toolchain, Debian's gVisor source tree
#   (golang-gvisor-gvisor-dev, release 20240729) and its golang-*-dev libraries
#   come from bookworm-backports; the script adds that suite only when it is not
#   configured yet, and prints the file it wrote. On trixie and later they are in
#   main and nothing is added.
# - When not root it changes nothing and prints the exact command to run.
#
# - The sources it adds use the Debian archive this machine already uses: the
#   first URI of an enabled deb source for this release in /etc/apt/sources.list
#   and /etc/apt/sources.list.d/*.list or *.sources (no archive host is named
#   here). `sh hosts/install-deps.sh --print-archive` prints that URI.
#   GVAB_APT_ETC (default /etc/apt) is where the apt sources are read.
#
# Exit codes: 0 all present or installed, 1 install failed, 69 not root or no
# Debian archive in the apt sources (a failed precondition: gvab's own code).
set -eu

apt_etc=${GVAB_APT_ETC:-/etc/apt}
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")

# archive_uri SUITE: the URI of the first enabled "deb" source for SUITE in
# the one-line lists, then in the deb822 .sources files.
archive_uri() {
    {
    for f in "$apt_etc/sources.list" "$apt_etc"/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v s="$1" '$1 == "deb" {
            i = 2
            if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == s) { print $i; exit }
        }' "$f"
    done
    for f in "$apt_etc"/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
        {
            types = ""; uris = ""; suites = ""; enabled = 1
            for (k = 1; k <= NF; k++) {
                if ($k ~ /^Types:/) types = " " substr($k, 7) " "
                if ($k ~ /^URIs:/) uris = substr($k, 6)
                if ($k ~ /^Suites:/) suites = " " substr($k, 8) " "
                if ($k ~ /^Enabled:[ \t]*no/) enabled = 0
            }
            gsub(/\t/, " ", types); gsub(/\t/, " ", suites)
            if (enabled && index(types, " deb ") && index(suites, " " s " ")) {
                split(uris, u, /[ \t]+/)
                for (j = 1; j in u; j++) if (u[j] != "") { print u[j]; exit }
            }
        }' "$f"
    done
    } | head -n 1
}

if [ "${1:-}" = --print-archive ]; then
    uri=$(archive_uri "$codename")
    [ -n "$uri" ] || { echo "gvab deps: no deb source for $codename in $apt_etc" >&2; exit 69; }
    echo "$uri"
    exit 0
fi

base_pkgs="gcc g++ binutils make pkg-config tar dpkg-dev libgit2-dev libcjson-dev libmd-dev libyaml-dev libsqlite3-dev check \
gnuplot-nox fonts-dejavu-core busybox-static hyperfine strace linux-perf procps runc openssh-client \
openssh-server iproute2 util-linux ansible-core chromium"
# Packages that bookworm only has in bookworm-backports.
bpo_pkgs="golang-1.22-go golang-gvisor-gvisor-dev runsc"

missing=""
for p in $base_pkgs $bpo_pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

# Debian's gVisor -dev tree ships 1-byte placeholders for the vDSO and the
# systrap stub; their C sources are only in the source package's orig
# tarball, which is fetched (download only) and unpacked here.
orig_dir=/var/cache/gvab/debian-src
orig_ready() {
    v=$(dpkg-query -W -f='${Version}' golang-gvisor-gvisor-dev 2>/dev/null) || return 1
    [ -d "$orig_dir/golang-gvisor-gvisor-${v%%-*}/vdso" ]
}

if [ -z "$missing" ] && orig_ready; then
    echo "gvab deps: all packages present"
    exit 0
fi

bpo_missing=""
base_missing=""
for p in $missing; do
    case " $bpo_pkgs " in
        *" $p "*) bpo_missing="$bpo_missing $p" ;;
        *) base_missing="$base_missing $p" ;;
    esac
done

src_file=$apt_etc/sources.list.d/gvab-bookworm-backports.sources
debsrc_file=$apt_etc/sources.list.d/gvab-deb-src.sources
need_bpo=no
if [ "$codename" = bookworm ] && [ -n "$bpo_missing" ] &&
   ! grep -rqs 'bookworm-backports' "$apt_etc/sources.list" "$apt_etc/sources.list.d/"; then
    need_bpo=yes
fi

if [ "$(id -u)" != 0 ]; then
    echo "gvab deps: missing:$missing" >&2
    echo "gvab deps: not root; run this instead:" >&2
    echo "  sudo sh $0" >&2
    exit 69
fi

archive=""
if [ "$need_bpo" = yes ] || ! orig_ready; then
    archive=$(archive_uri "$codename")
    if [ -z "$archive" ]; then
        echo "gvab deps: no deb source for $codename in $apt_etc/sources.list or" \
             "$apt_etc/sources.list.d/: add this release's Debian archive first" >&2
        exit 69
    fi
fi

if [ "$need_bpo" = yes ]; then
    cat > "$src_file" <<EOF
Types: deb
URIs: $archive
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    echo "gvab deps: added $src_file (bookworm-backports, main)"
fi

export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
    echo "gvab deps: installing:$missing"
    apt-get update -qq || { echo "gvab deps: apt-get update failed" >&2; exit 1; }
    if [ -n "$base_missing" ]; then
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $base_missing >/dev/null ||
            { echo "gvab deps: apt-get install$base_missing failed" >&2; exit 1; }
    fi
    if [ -n "$bpo_missing" ]; then
        t=""
        [ "$codename" = bookworm ] && t="-t bookworm-backports"
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $t $bpo_missing >/dev/null ||
            { echo "gvab deps: apt-get install$bpo_missing failed" >&2; exit 1; }
    fi
    echo "gvab deps: installed:$missing"
fi

if ! orig_ready; then
    v=$(dpkg-query -W -f='${Version}' golang-gvisor-gvisor-dev)
    up=${v%%-*}
    suite=$codename
    [ "$codename" = bookworm ] && suite=bookworm-backports
    if ! grep -qs "deb-src" "$debsrc_file"; then
        printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$archive" "$suite" > "$debsrc_file"
        echo "gvab deps: added $debsrc_file (deb-src $suite, for the gVisor orig tarball)"
        apt-get update -qq || { echo "gvab deps: apt-get update failed" >&2; exit 1; }
    fi
    mkdir -p "$orig_dir"
    t=""
    [ "$codename" = bookworm ] && t="-t bookworm-backports"
    # Only the orig tarball is needed; apt checks its hash against the
    # Sources index. A mirror may lack the .dsc, so apt's exit code alone
    # does not decide: the tarball does.
    # shellcheck disable=SC2086
    (cd "$orig_dir" && apt-get source -qq --download-only $t golang-gvisor-gvisor >/dev/null 2>&1) || true
    tarball=$(ls "$orig_dir"/golang-gvisor-gvisor_"$up".orig.tar.* 2>/dev/null | head -n 1)
    if [ -z "$tarball" ]; then
        echo "gvab deps: could not download the golang-gvisor-gvisor $up orig tarball" >&2
        exit 1
    fi
    tar -xf "$tarball" -C "$orig_dir"
    echo "gvab deps: unpacked $tarball into $orig_dir"
fi
exit 0
