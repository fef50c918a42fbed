#!/usr/bin/env bash
# Builds librdkafka from Debian's source package into a cache folder, once.
#
#   build-librdkafka.sh <cache-dir>
#
# Result: <cache-dir>/lib/librdkafka.so.1 (TLS, SASL, zstd, lz4 enabled).
# Why from source: NuGet here has no librdkafka.redist and Debian bookworm's binary
# librdkafka (2.0.2) lacks entry points Confluent.Kafka 2.x needs (see shared/toolchain.md).
# Several MSBuild nodes may call this at once: a lock makes the others wait for the first.
set -euo pipefail

readonly VERSION="2.14.2"
readonly DEBIAN_VERSION="${VERSION}-1"
readonly ORIG_SHA256="4d53568c13717b167d12c7b2a0fe12aeb5d6bfe02de53df5b68f86d870a81b33"
readonly BUILD_DEPS=(libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev)

cache_dir="${1:?usage: build-librdkafka.sh <cache-dir>}"
mkdir -p "$cache_dir"
cache_dir="$(cd "$cache_dir" && pwd)"
result="$cache_dir/lib/librdkafka.so.1"

fail() {
  echo "error CONVEYOR001: native librdkafka ${VERSION} could not be built: $*" >&2
  echo "error CONVEYOR001: either fix the above and build again, or point the build at an existing librdkafka >= ${VERSION} with" >&2
  echo "error CONVEYOR001:   dotnet build -p:LibrdkafkaPath=/path/to/librdkafka.so.1" >&2
  exit 1
}

exec 9>"$cache_dir/.lock"
flock 9
if [[ -f "$result" ]]; then
  exit 0 # another build finished it while this one waited for the lock
fi

started=$(date +%s)
log="$cache_dir/build.log"
: >"$log"
echo "Conveyor: building native librdkafka ${VERSION} once into $cache_dir (log: $log)"

missing=()
for pkg in "${BUILD_DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
for tool in gcc make apt-get tar sha256sum; do
  command -v "$tool" >/dev/null || fail "the tool '$tool' is missing. Install it: apt-get install build-essential apt tar coreutils"
done
if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" != 0 ]]; then
    fail "build dependencies are missing and this user is not root. Run as root: apt-get update && apt-get install -y ${missing[*]}"
  fi
  echo "Conveyor: installing build dependencies: ${missing[*]}"
  # The Debian archive is reachable only through apt; update once, then install.
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "apt-get could not install ${missing[*]}. Run: apt-get update && apt-get install -y ${missing[*]}"
  fi
fi

work="$(mktemp -d "$cache_dir/work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Fetch the source package from Debian unstable without touching the system's apt setup:
# a private sources file and lists folder, same archive host as the system uses.
sources_file=/etc/apt/sources.list.d/debian.sources
uri=""
if [[ -f "$sources_file" ]]; then
  uri=$(awk '/^URIs:/{print $2; exit}' "$sources_file")
fi
[[ -n "$uri" ]] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[[ -n "$uri" ]] || fail "no Debian archive URI found in $sources_file or /etc/apt/sources.list"

printf 'Types: deb-src\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$uri" >"$work/sid.sources"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
# Private lists and cache folders: no root needed, nothing of the system apt setup touched.
apt_opts=(-o "Dir::Etc::SourceList=$work/sid.sources" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
echo "Conveyor: fetching librdkafka=${DEBIAN_VERSION} source from $uri (sid)"
if ! apt-get "${apt_opts[@]}" update >>"$log" 2>&1; then
  tail -n 20 "$log" >&2
  fail "apt-get could not read the Debian unstable source index from $uri (no network to the Debian archive?)"
fi
if ! (cd "$work" && apt-get "${apt_opts[@]}" source --download-only "librdkafka=${DEBIAN_VERSION}") >>"$log" 2>&1; then
  tail -n 20 "$log" >&2
  fail "the source package librdkafka=${DEBIAN_VERSION} is not in Debian unstable any more. Update VERSION, DEBIAN_VERSION and ORIG_SHA256 in $0 on purpose after checking the new release"
fi

tarball="$work/librdkafka_${VERSION}.orig.tar.gz"
[[ -f "$tarball" ]] || fail "apt-get source did not download $(basename "$tarball")"
actual=$(sha256sum "$tarball" | awk '{print $1}')
[[ "$actual" == "$ORIG_SHA256" ]] || fail "checksum mismatch for $(basename "$tarball"): expected $ORIG_SHA256, got $actual"

# The upstream archive's top folder is named after a commit, not the version: strip it.
src="$work/src"
mkdir -p "$src"
tar -xzf "$tarball" -C "$src" --strip-components=1
[[ -x "$src/configure" ]] || fail "the archive $(basename "$tarball") has no configure script"

echo "Conveyor: configuring and compiling (about a minute on 2 cores)"
jobs=$(nproc 2>/dev/null || echo 2)
# --enable-* makes configure fail instead of silently dropping TLS/SASL/compression.
if ! (cd "$src" && ./configure --prefix="$cache_dir" --disable-curl \
  --enable-ssl --enable-gssapi --enable-zstd --enable-lz4-ext \
  && make -j"$jobs" libs && make install) >>"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "configure or make failed (see $log)"
fi
[[ -f "$result" ]] || fail "make install did not produce $result"
echo "Conveyor: librdkafka ${VERSION} built in $(($(date +%s) - started)) s -> $result"
