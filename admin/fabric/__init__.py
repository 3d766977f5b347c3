"""The Fabric backend: the ledger is a real Hyperledger Fabric channel reached through the peers'
Fabric Gateway service."""
