package main

// World-state records: canonical JSON under composite keys (chaincode/state.py).

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// getRecord is the record at the composite key objectType+attributes, or nil.
func getRecord(ctx contractapi.TransactionContextInterface, objectType string, attributes ...string) (any, error) {
	stub := ctx.GetStub()
	key, err := stub.CreateCompositeKey(objectType, attributes)
	if err != nil {
		return nil, err
	}
	raw, err := stub.GetState(key)
	if err != nil || len(raw) == 0 {
		return nil, err
	}
	return loads(string(raw))
}

// putRecord writes value as canonical JSON at the composite key objectType+attributes.
func putRecord(ctx contractapi.TransactionContextInterface, value any, objectType string, attributes ...string) error {
	stub := ctx.GetStub()
	key, err := stub.CreateCompositeKey(objectType, attributes)
	if err != nil {
		return err
	}
	return stub.PutState(key, canonical(value))
}

// field is one field of a record read from the world state.
func field(rec any, name string) any {
	if o, ok := rec.(*object); ok {
		return o.vals[name]
	}
	return nil
}
