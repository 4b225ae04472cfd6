#!/usr/bin/env bash
# Runs the whole test suite (scripts/test.sh) in a Debian 13 (trixie) userland:
# GStreamer 1.26 and Python 3.13, on a Debian 12 machine. Needs root (debootstrap,
# chroot, mounts).
#
# The userland is a chroot outside the repository, made once with debootstrap from
# the Debian archive this machine's apt already uses, and reused by later runs:
#   GVARUST_DEBIAN13_ROOT   where it lives (default /var/tmp/gvarust-debian13)
#   GVARUST_DEBIAN_MIRROR   the archive URL, when the host's apt sources do not name one
# With arguments, it runs them in the chroot's /src instead of scripts/test.sh, e.g.
#   scripts/test-debian13.sh cargo test --test gst_launch
# The host's Rust toolchain ($HOME/.cargo, $HOME/.rustup) and this repository (as
# /src) are bind-mounted into it; the build goes to target/debian13, so the Debian 12
# lane's target/ is left alone. Every mount is undone on exit, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
root="${GVARUST_DEBIAN13_ROOT:-/var/tmp/gvarust-debian13}"
suite=trixie
# Written after debootstrap finished, and after the package install succeeded:
# a set-up interrupted before either is redone, not half-reused.
bootstrapped="$root/.gvarust-debootstrap-done"
installed="$root/.gvarust-packages-installed"

# The Debian 13 counterpart of scripts/install-deps.sh (Debian 12 names there, e.g.
# libpython3.11-dev): python3-dev brings the current libpython3.x-dev.
packages=(
  build-essential pkg-config ca-certificates
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  python3-gi python3-gst-1.0 gir1.2-gst-plugins-bad-1.0
  python3-dev python3-numpy python3-pytest python3-venv
  gstreamer1.0-python3-plugin-loader
  python3-skimage
  valgrind
)

if [ "$(id -u)" != 0 ]; then
  echo "scripts/test-debian13.sh needs root (debootstrap, chroot and mounts); run it with sudo" >&2
  exit 1
fi
case "$root" in
  /?*) root="${root%/}" ;;
  *) echo "GVARUST_DEBIAN13_ROOT must be an absolute path other than /" >&2; exit 1 ;;
esac
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
if [ ! -x "$cargo_home/bin/cargo" ] || [ ! -d "$rustup_home/toolchains" ]; then
  echo "no rustup toolchain in $cargo_home and $rustup_home (run scripts/install-deps.sh first)" >&2
  exit 1
fi

timings=()
phase_start=0
phase() { phase_start=$SECONDS; echo "--- debian13: $1"; }
phase_done() {
  timings+=("$(printf '%-12s %4d s' "$1" $((SECONDS - phase_start)))")
  echo "--- debian13: $1 took $((SECONDS - phase_start)) s"
}

# The main Debian archive of the host's apt sources (not the security archive, not
# third-party repositories): the URI whose suite is the host's own codename.
archive_url() {
  local codename file
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "$codename" ] || return 1
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v codename="$codename" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; suites = ""; types = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/) continue
          n = index($i, ":"); if (!n) continue
          key = tolower(substr($i, 1, n - 1)); value = substr($i, n + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", value)
          if (key == "uris") uris = value
          else if (key == "suites") suites = value
          else if (key == "types") types = value
          else if (key == "enabled") enabled = tolower(value)
        }
        if (enabled == "no" || (" " types " ") !~ /[ \t]deb[ \t]/) next
        count = split(suites, s, /[ \t]+/)
        for (j = 1; j <= count; j++)
          if (s[j] == codename) { split(uris, u, /[ \t]+/); print u[1]; found = 1; exit }
      }
      END { exit !found }' "$file" && return 0
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v codename="$codename" '
      /^[ \t]*deb[ \t]/ {
        sub(/^[ \t]*deb[ \t]+/, ""); sub(/^\[[^]]*\][ \t]*/, "")
        split($0, f, /[ \t]+/)
        if (f[2] == codename) { print f[1]; found = 1; exit }
      }
      END { exit !found }' "$file" && return 0
  done
  return 1
}

mounts=()
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount --lazy "${mounts[i]}" ||
      echo "could not unmount ${mounts[i]}" >&2
  done
  mounts=()
}
on_exit() {
  unmount_all
  if [ ${#timings[@]} -gt 0 ]; then
    echo "--- debian13 timings"
    printf '  %s\n' "${timings[@]}"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mount_in_root() { # mount_in_root TARGET MOUNT-ARGS...
  local target="$root$1"
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounts+=("$target")
}
in_root() { chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
  PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

if findmnt --list --noheadings --output TARGET | grep -q "^$root/"; then
  echo "something is still mounted under $root (another run?):" >&2
  findmnt --list --noheadings --output TARGET | grep "^$root/" >&2
  exit 1
fi

if [ ! -e "$bootstrapped" ]; then
  command -v debootstrap >/dev/null || {
    echo "--- installing debootstrap on the host"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  }
  mirror="${GVARUST_DEBIAN_MIRROR:-$(archive_url || true)}"
  if [ -z "$mirror" ]; then
    echo "no Debian archive found in /etc/apt/sources.list{,.d}; set GVARUST_DEBIAN_MIRROR" >&2
    exit 1
  fi
  phase "debootstrap $suite from $mirror into $root"
  # A half-made root from an interrupted run: start over (nothing is mounted there, checked above).
  rm -rf --one-file-system "$root"
  debootstrap --variant=minbase "$suite" "$root" "$mirror"
  touch "$bootstrapped"
  phase_done debootstrap
fi

if [ ! -e "$installed" ] || [ "$(cat "$installed")" != "${packages[*]}" ]; then
  phase "packages"
  rm -f "$installed"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount_in_root /proc -t proc proc
  in_root apt-get update -qq
  in_root DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
  in_root apt-get clean
  unmount_all
  echo "${packages[*]}" >"$installed"
  phase_done packages
fi

# pip (maturin, OpenCV for an example) needs the network as the host has it: its
# resolver, and the local trust anchors it added (e.g. a TLS-inspecting proxy's CA).
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ] &&
  ! diff -rq /usr/local/share/ca-certificates "$root/usr/local/share/ca-certificates" >/dev/null 2>&1; then
  rm -rf "$root/usr/local/share/ca-certificates"
  cp -a /usr/local/share/ca-certificates "$root/usr/local/share/ca-certificates"
  in_root update-ca-certificates --fresh >/dev/null 2>&1
fi
mount_in_root /proc -t proc proc
mount_in_root /dev --bind /dev
mount_in_root /dev/pts -t devpts -o newinstance,ptmxmode=0666 devpts
mount_in_root /dev/shm -t tmpfs -o mode=1777 tmpfs # Python's multiprocessing semaphores
mount_in_root /root/.cargo --bind "$cargo_home"
mount_in_root /root/.rustup --bind "$rustup_home"
mount_in_root /src --bind "$repo"

python="$(in_root readlink -f /usr/bin/python3)"
echo "--- debian13: $(in_root gst-launch-1.0 --gst-version | head -1), $(in_root "$python" --version)"
lane_env=(PYO3_PYTHON="$python" CARGO_TARGET_DIR=/src/target/debian13 GVARUST_SKIP_INSTALL=1
  PYTHONDONTWRITEBYTECODE=1 GVARUST_TIMINGS_LANE=debian13
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1)
if [ $# -gt 0 ]; then
  # scripts/test-debian13.sh COMMAND...: run COMMAND in /src of the chroot instead
  # (e.g. `bash`, or `cargo test --test gst_launch`), with the same environment.
  in_root "${lane_env[@]}" TERM="${TERM:-dumb}" bash -c 'cd /src && "$@"' bash "$@"
  exit
fi
phase "scripts/test.sh (PYO3_PYTHON=$python, CARGO_TARGET_DIR=target/debian13)"
in_root "${lane_env[@]}" bash -c 'cd /src && bash scripts/test.sh'
phase_done "test.sh"
