#!/bin/sh
# ExecStartPre of containerd in the node image made here (scripts/kind-node-image.sh). Lowering
# a process's oom_score_adj needs CAP_SYS_RESOURCE; where the host cannot grant it (this
# machine's root lacks it, so the node lacks it too), every pod the kubelet asks a negative
# score for — the static control-plane pods first — fails with runc's "can't get final child's
# PID from pipe". containerd's restrict_oom_score_adj (what kind sets for rootless nodes) clamps
# scores at containerd's own instead. On a host with the capability this changes nothing.
set -eu
bnd=$(awk '/^CapBnd/{print $2}' /proc/self/status)
if [ $(( 0x$bnd >> 24 & 1 )) -eq 0 ]; then
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml
fi
