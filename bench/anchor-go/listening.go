package main

// Listening:Anchor, as chaincode/contracts/listening.py runs it: the same reads, key, value bytes,
// event and refusals.

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Listening holds the daily anchors of the nodes' listening reports.
type Listening struct{ contractapi.Contract }

// Anchor anchors a node's report of a day: its SHA-256 and counts {rows, listeners, plays,
// seconds}; the same anchor again is a no-op (node admin).
func (Listening) Anchor(ctx contractapi.TransactionContextInterface, node, date, sha256, counts string) (string, error) {
	out, err := anchor(ctx, node, date, sha256, counts)
	return out, kept(ctx, err)
}

func anchor(ctx contractapi.TransactionContextInterface, node, date, sha256, countsText string) (string, error) {
	if err := nodeAdmin(ctx, node); err != nil {
		return "", err
	}
	if err := calendarDate(date); err != nil {
		return "", err
	}
	if err := sha256Hex("sha256", sha256); err != nil {
		return "", err
	}
	counts, err := checkCounts(countsText)
	if err != nil {
		return "", err
	}
	fields := record("date", date, "node", node, "sha256", sha256)
	for _, name := range countNames {
		fields.set(name, counts[name])
	}
	existing, err := getRecord(ctx, "anchor", node, date)
	if err != nil {
		return "", err
	}
	if existing != nil && sameAnchor(existing, fields) {
		return string(canonical(record("anchored", false, "anchor", existing))), nil
	}
	if err := refuseClosed(ctx, node, date[:7]); err != nil {
		return "", err
	}
	if existing != nil {
		return "", refuse(statusConflict, "node %s already anchored %s with sha256 %v; "+
			"submit a correction (Listening:Correct) to replace it.", node, date, field(existing, "sha256"))
	}
	fields.set("superseded", []any{})
	if err := putRecord(ctx, fields, "anchor", node, date); err != nil {
		return "", err
	}
	event := record("date", date, "node", node, "sha256", sha256)
	if err := ctx.GetStub().SetEvent("Listening.Anchor", canonical(event)); err != nil {
		return "", err
	}
	return string(canonical(record("anchored", true, "anchor", fields))), nil
}

func sameAnchor(existing any, fields *object) bool {
	for _, name := range append([]string{"sha256"}, countNames...) {
		if !equal(field(existing, name), fields.vals[name]) {
			return false
		}
	}
	return true
}

// refuseClosed refuses once the month is settled (unless the node's part of it is still pending)
// or while the node's month is sealed.
func refuseClosed(ctx contractapi.TransactionContextInterface, node, month string) error {
	settled, err := getRecord(ctx, "settlement", month)
	if err != nil {
		return err
	}
	if pending, _ := field(field(field(settled, "nodes"), node), "pending").(string); settled != nil && pending == "" {
		return refuse(statusConflict, "%s is settled; its anchors can no longer change.", month)
	}
	sealed, err := getRecord(ctx, "nodemonth", month, node)
	if err != nil {
		return err
	}
	if field(sealed, "status") == "sealed" {
		return refuse(statusConflict, "node %s has sealed %s; its anchors can no longer change.", node, month)
	}
	return nil
}
