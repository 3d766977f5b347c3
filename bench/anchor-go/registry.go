package main

// Registry:Bootstrap, reduced to what Listening:Anchor reads: the node records. A chaincode's
// world state is its own, so the Go chaincode cannot read the nodes the Python chaincode keeps;
// it is given the same consortium JSON and writes the same node and nodemsp records, byte for
// byte (chaincode/contracts/registry.py _check_node and _put_node). Artists and the policy are
// not read.

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Registry holds the nodes of the consortium.
type Registry struct{ contractapi.Contract }

var duties = []string{"reviewer", "arbitrator"}

// Bootstrap writes the consortium's nodes once; the same nodes again are a no-op (admin).
func (Registry) Bootstrap(ctx contractapi.TransactionContextInterface, consortium string) (string, error) {
	out, err := bootstrap(ctx, consortium)
	return out, kept(ctx, err)
}

func bootstrap(ctx contractapi.TransactionContextInterface, consortium string) (string, error) {
	c, err := requireRole(ctx, "admin")
	if err != nil {
		return "", err
	}
	data, err := jsonArg("consortium", consortium)
	if err != nil {
		return "", err
	}
	root, ok := data.(*object)
	if !ok {
		return "", refuse(statusInvalid, "consortium must be a JSON object.")
	}
	clusters := map[string]bool{}
	for _, raw := range list(root.vals["clusters"]) {
		id, err := ident("cluster id", field(raw, "id"))
		if err != nil {
			return "", err
		}
		clusters[id] = true
	}
	var nodes []*object
	for _, raw := range list(root.vals["nodes"]) {
		node, err := checkNode(raw, clusters)
		if err != nil {
			return "", err
		}
		nodes = append(nodes, node)
	}
	if len(nodes) == 0 {
		return "", refuse(statusInvalid, "consortium has no nodes.")
	}
	ids, member := []any{}, false
	for _, what := range []string{"id", "msp_id"} {
		seen := map[any]bool{}
		for _, node := range nodes {
			value := node.vals[what]
			if seen[value] {
				return "", refuse(statusInvalid, "node %s %v appears twice.", what, value)
			}
			seen[value] = true
		}
	}
	for _, node := range nodes {
		ids = append(ids, node.vals["id"])
		member = member || node.vals["msp_id"] == c.msp
	}
	if !member {
		return "", refuse(statusInvalid, "the bootstrapping organisation %s is not among the nodes.", c.msp)
	}
	written := false
	for _, node := range nodes {
		id, msp := node.vals["id"].(string), node.vals["msp_id"].(string)
		existing, err := getRecord(ctx, "node", id)
		if err != nil {
			return "", err
		}
		if existing != nil {
			if string(canonical(existing)) != string(canonical(node)) {
				return "", refuse(statusConflict, "node %s is already registered with other details.", id)
			}
			continue
		}
		if err := putRecord(ctx, node, "node", id); err != nil {
			return "", err
		}
		if err := putRecord(ctx, id, "nodemsp", msp); err != nil {
			return "", err
		}
		written = true
	}
	return string(canonical(record("bootstrapped", written, "nodes", ids))), nil
}

func list(value any) []any {
	items, _ := value.([]any)
	return items
}

// checkNode is registry._check_node: the node record as the Python contract writes it.
func checkNode(raw any, clusters map[string]bool) (*object, error) {
	if _, ok := raw.(*object); !ok {
		return nil, refuse(statusInvalid, "a node must be a JSON object.")
	}
	node := newObject()
	for _, f := range []struct{ key, name string }{
		{"id", "node id"}, {"cluster", "node cluster"}, {"msp_id", "node msp_id"}, {"wallet", "node wallet"}} {
		value, err := ident(f.name, field(raw, f.key))
		if err != nil {
			return nil, err
		}
		node.set(f.key, value)
	}
	node.set("status", "active")
	given := list(field(raw, "duties"))
	if len(given) == 0 {
		given = []any{duties[0], duties[1]}
	}
	if !clusters[node.vals["cluster"].(string)] {
		return nil, refuse(statusNotFound, "node %s names cluster %s, which is not registered.",
			node.vals["id"], node.vals["cluster"])
	}
	chosen := map[any]bool{}
	for _, duty := range given {
		if err := choice("node duty", duty, duties); err != nil {
			return nil, err
		}
		chosen[duty] = true
	}
	sorted := []any{}
	for _, duty := range []string{"arbitrator", "reviewer"} { // sorted(set(duties))
		if chosen[duty] {
			sorted = append(sorted, duty)
		}
	}
	node.set("duties", sorted)
	return node, nil
}
