#!/usr/bin/env bash
# Installs what sluice needs to build, test and run its demo on Debian 12.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

pkgs=(
	# build
	build-essential cmake pkg-config clang libclang-rt-14-dev
	# libraries
	libuv1-dev libnl-3-dev libnl-route-3-dev libmsgpack-dev liblmdb-dev
	libyaml-dev libjansson-dev libsystemd-dev libsodium-dev
	# test bed and test tools
	bc ethtool iproute2 iputils-ping procps python3 python3-msgpack systemd
	tshark
	# a real CNI client for the tests: podman with its CNI backend
	busybox-static podman runc
	# a real DNS server for the DNS-aware policy tests (the binary only)
	dnsmasq-base
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
