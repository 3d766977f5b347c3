package main

// Who may call what: the caller's node (from its MSP id, through the node registry) and role (from
// the certificate attribute nineten.role), as chaincode/guards.py decides it.

import (
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// roleAttribute is the Fabric CA attribute holding a 9ten role.
const roleAttribute = "nineten.role"

type caller struct{ msp, role string }

func callerOf(ctx contractapi.TransactionContextInterface) (caller, error) {
	id := ctx.GetClientIdentity()
	msp, err := id.GetMSPID()
	if err != nil {
		return caller{}, err
	}
	role, _, err := id.GetAttributeValue(roleAttribute)
	return caller{msp, role}, err
}

// requireRole is the caller, if its role is one of roles (guards.require_role).
func requireRole(ctx contractapi.TransactionContextInterface, roles ...string) (caller, error) {
	c, err := callerOf(ctx)
	if err != nil {
		return c, err
	}
	for _, r := range roles {
		if c.role == r {
			return c, nil
		}
	}
	shown := c.role
	if shown == "" {
		shown = "no role"
	}
	return c, refuse(statusDenied, "%s identity with %s may not do this; it needs the role %s.",
		c.msp, shown, strings.Join(roles, " or "))
}

// callerNode is the active node of the caller's organisation (guards.caller_node).
func callerNode(ctx contractapi.TransactionContextInterface, roles ...string) (caller, *object, error) {
	c, err := requireRole(ctx, roles...)
	if err != nil {
		return c, nil, err
	}
	nodeID, err := getRecord(ctx, "nodemsp", c.msp)
	if err != nil {
		return c, nil, err
	}
	var node any
	if id, ok := nodeID.(string); ok && id != "" {
		if node, err = getRecord(ctx, "node", id); err != nil {
			return c, nil, err
		}
	}
	n, ok := node.(*object)
	if !ok {
		return c, nil, refuse(statusDenied, "organisation %s is not a node of the consortium.", c.msp)
	}
	if status := field(n, "status"); status != "active" {
		return c, nil, refuse(statusDenied, "node %v of %s is %v, not active.", field(n, "id"), c.msp, status)
	}
	return c, n, nil
}

// nodeAdmin is the caller's node, which must be the registered, active node nodeID, called by
// its admin (guards.node_admin).
func nodeAdmin(ctx contractapi.TransactionContextInterface, nodeID string) error {
	c, mine, err := callerNode(ctx, "admin")
	if err != nil {
		return err
	}
	if _, err := ident("node", nodeID); err != nil {
		return err
	}
	if field(mine, "id") == nodeID {
		return nil
	}
	other, err := getRecord(ctx, "node", nodeID)
	if err != nil {
		return err
	}
	if other == nil {
		return refuse(statusNotFound, "node %s is not registered.", nodeID)
	}
	return refuse(statusDenied, "%s is node %v and may not act for node %s.", c.msp, field(mine, "id"), nodeID)
}
