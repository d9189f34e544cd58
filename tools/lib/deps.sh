# shellcheck shell=bash disable=SC2034
# tools/lib/deps.sh: Debian 12 package lists and installer shared by tools/run and tools/test.
# Sourced, not executed.

SIPS_BUILD_PACKAGES=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libsofia-sip-ua-dev libsofia-sip-ua-glib-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libsrtp2-dev libnice-dev libssl-dev libgnutls28-dev libsystemd-dev libopus-dev gettext
)

SIPS_RUN_PACKAGES=(
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-libav gstreamer1.0-nice glib-networking
  dbus dbus-daemon dbus-bin
)

SIPS_TEST_PACKAGES=(
  python3-gi python3-dbus python3-pytest
  sip-tester baresip-core
  kamailio kamailio-extra-modules kamailio-presence-modules
  sox tshark bash-completion gstreamer1.0-tools coturn iptables
  clang libclang-rt-14-dev
)

sips_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Prints the packages of "$@" that are not installed.
sips_missing_packages() {
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || printf '%s\n' "$pkg"
  done
}

# Installs whatever of "$@" is missing: one apt-get update, one install.
sips_install_packages() {
  local -a missing sudo=()
  mapfile -t missing < <(sips_missing_packages "$@")
  ((${#missing[@]} == 0)) && return 0

  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      sips_log "missing packages; as root run:"
      printf '  apt-get update && apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
      exit 1
    fi
  fi

  sips_log "installing: ${missing[*]}"

  # Keep package maintainer scripts (kamailio) from starting services.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    created_policy=1
  fi

  # tshark asks whether non-root users may capture; answer "no" up front.
  if printf '%s\n' "${missing[@]}" | grep -qx 'tshark'; then
    echo 'wireshark-common wireshark-common/install-setuid boolean false' |
      "${sudo[@]}" debconf-set-selections
  fi

  local rc=0
  "${sudo[@]}" apt-get update || rc=$?
  if ((rc == 0)); then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
  fi

  if ((created_policy)); then
    "${sudo[@]}" rm -f "$policy"
  fi
  if ((rc != 0)); then
    sips_log "package installation failed (exit $rc)"
    exit "$rc"
  fi
}

# meson setup, or reconfigure when the directory already holds a build.
# Usage: sips_meson_setup BUILDDIR [meson options...]
sips_meson_setup() {
  local dir=$1
  shift
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}
