//go:build tools

// The node side of the kind node image (scripts/kind-node-image.sh): kubeadm, kubelet and
// kubectl in the node, the control-plane and kube-proxy images — built from the same
// Kubernetes release as tools/kube-apiserver.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
