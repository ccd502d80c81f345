// Package vaulttest is the conformance suite of vault.Storage: every backend's tests call Run.
// The suite states the contract of the package doc of vault as tests.
package vaulttest
