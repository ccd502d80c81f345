// Package api holds the contracts between Doric's processes: protobuf messages and gRPC services
// for the Meta Service (metapb), compute nodes (computepb), plan fragments (planpb), the stream
// load plan a compute node asks the frontend for (loadpb) and the types they share (commonpb).
// The Go code is generated and checked in; `make generate` regenerates it with pinned generators
// and `make verify` fails when the checked-in code drifts from the .proto files. Field numbers
// are never reused: fields are added, never renumbered.
package api
