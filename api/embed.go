package api

import "embed"

// OpenAPI holds every OpenAPI document of this folder (agent.openapi.yaml and whatever other
// *.openapi.yaml sits beside it), so that servers can publish the contract they implement.
//
//go:embed *.openapi.yaml
var OpenAPI embed.FS

// AgentOpenAPIFile is the name, inside OpenAPI, of the co-host agent contract.
const AgentOpenAPIFile = "agent.openapi.yaml"
