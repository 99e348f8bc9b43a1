#!/usr/bin/env bash
# Installs the Debian packages jeras uses when they are missing:
#   dataset-fashion-mnist  real Fashion-MNIST files, offline (Google Cloud Storage, the Keras
#                          download origin, may be unreachable)
#   graphviz               the `dot` program that `jeras.utils.plot_model` renders through
# Best effort: it never fails the caller, and does nothing unless it can install Debian
# packages (root on Debian/Ubuntu). Without them, fashion_mnist downloads and plot_model
# raises an ImportError that says what to install.
set -u

missing=()
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || exit 0
[ -f /etc/debian_version ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0

export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1; then
    echo "install_system_packages.sh: could not install ${missing[*]}." >&2
fi
exit 0
