// Package deploy holds the tests of cohost's deployment artefacts: the Helm chart in helm/cohost
// (rendered with Helm's Go library for each values file in its ci/ folder and decoded strictly into
// the Kubernetes API types), its alerts and Grafana dashboard, and the repository's Dockerfile.
//
// It is a module of its own so that Helm's and Kubernetes' dependencies stay out of the service's
// go.mod. Run it with deploy/test.sh.
package deploy
