// Command anchor-go serves Listening:Anchor of the 9ten chaincode, written in Go with
// fabric-contract-api-go, as a chaincode-as-a-service server: the reference the Python chaincode
// is benchmarked against (bench/README.md). It writes the same keys and value bytes and refuses
// the same calls with the same sentences as the Python contract, each refusal kind with its own
// status (400 invalid argument, 403 access, 404 not found, 409 conflict).
//
//	anchor-go --address 127.0.0.1:9998 --ccid anchor-go_1.0:<sha256>
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// parameters of each transaction, for the arity sentence of chaincode/dispatch.py.
var parameters = map[string][]string{
	"Listening:Anchor":   {"node", "date", "sha256", "counts"},
	"Registry:Bootstrap": {"consortium"},
}

// kindChaincode answers a refusal with its kind's status (contractapi answers every error with
// 500) and checks the number of arguments first, as the Python dispatcher does.
type kindChaincode struct {
	inner     *contractapi.ContractChaincode
	contracts map[string][]string // contract -> its transactions
}

// rejectionStub carries a transaction's refusal from the contract back to Invoke.
type rejectionStub struct {
	shim.ChaincodeStubInterface
	rejected *rejection
}

// kept records a refusal on the transaction's stub, so that Invoke answers with its status.
func kept(ctx contractapi.TransactionContextInterface, err error) error {
	if r, ok := err.(*rejection); ok {
		if stub, ok := ctx.GetStub().(*rejectionStub); ok {
			stub.rejected = r
		}
	}
	return err
}

func (c *kindChaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	return c.inner.Init(stub)
}

func (c *kindChaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	if r := c.misdirected(stub.GetArgs()); r != nil {
		return &peer.Response{Status: r.status, Message: r.msg}
	}
	wrapped := &rejectionStub{ChaincodeStubInterface: stub}
	response := c.inner.Invoke(wrapped)
	if wrapped.rejected != nil {
		return &peer.Response{Status: wrapped.rejected.status, Message: wrapped.rejected.msg}
	}
	return response
}

// misdirected refuses a call with the wrong number of arguments (400), or of no transaction
// (500, as the contract API answers it in the Python chaincode too).
func (c *kindChaincode) misdirected(args [][]byte) *rejection {
	for _, a := range args {
		if !utf8.Valid(a) { // the Python shim cannot decode the arguments: it sees no function
			args = nil
		}
	}
	if len(args) == 0 || len(args[0]) == 0 {
		return &rejection{statusInternal, "Blank function name passed"}
	}
	name := string(args[0])
	contract, function := c.inner.DefaultContract, name
	if i := strings.LastIndex(name, ":"); i >= 0 {
		contract, function = name[:i], name[i+1:]
	}
	if expected, ok := parameters[contract+":"+function]; ok && len(args)-1 != len(expected) {
		shown := strings.Join(expected, ", ")
		if shown == "" {
			shown = "none"
		}
		return &rejection{statusInvalid, fmt.Sprintf("%s:%s takes %d argument(s) (%s), got %d.",
			contract, function, len(expected), shown, len(args)-1)}
	}
	functions, ok := c.contracts[contract]
	if !ok {
		return &rejection{statusInternal, "Contract not found with name " + contract}
	}
	if function == "" {
		return &rejection{statusInternal, "Blank function name passed"}
	}
	upper := strings.ToUpper(function[:1]) + function[1:]
	for _, f := range functions {
		if f == function || f == upper {
			return nil
		}
	}
	return &rejection{statusInternal, fmt.Sprintf("Function %s not found in contract %s", function, contract)}
}

func newChaincode() (*kindChaincode, error) {
	registry, listening := new(Registry), new(Listening)
	registry.Name, listening.Name = "Registry", "Listening"
	inner, err := contractapi.NewChaincode(registry, listening)
	if err != nil {
		return nil, err
	}
	contracts := map[string][]string{"org.hyperledger.fabric": {"GetMetadata"}}
	for name := range parameters {
		i := strings.Index(name, ":")
		contracts[name[:i]] = append(contracts[name[:i]], name[i+1:])
	}
	return &kindChaincode{inner, contracts}, nil
}

func main() {
	address := flag.String("address", os.Getenv("CHAINCODE_SERVER_ADDRESS"), "listen address host:port (env CHAINCODE_SERVER_ADDRESS)")
	ccid := flag.String("ccid", os.Getenv("CHAINCODE_ID"), "chaincode package id label:sha256 the peers expect (env CHAINCODE_ID)")
	flag.Parse()
	cc, err := newChaincode()
	if err != nil {
		log.Fatalf("anchor-go: %v", err)
	}
	server := &shim.ChaincodeServer{CCID: *ccid, Address: *address, CC: cc, TLSProps: shim.TLSProperties{Disabled: true}}
	fmt.Printf("chaincode server %s listening on %s\n", *ccid, *address)
	if err := server.Start(); err != nil {
		log.Fatalf("anchor-go: %v", err)
	}
}
