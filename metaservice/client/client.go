package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/doricdb/doric/api/metapb"
)

// Client is a Meta Service client for one instance.
type Client struct {
	metapb.MetaServiceClient
	conn       *grpc.ClientConn // owned when made by Dial
	instanceID string
}

// serviceConfig retries Unavailable with exponential backoff (gRPC's own retry support).
const serviceConfig = `{
  "methodConfig": [{
    "name": [{"service": "doric.meta.MetaService"}],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// Dial connects to the Meta Service at addr (host:port) without transport security (loopback or a
// trusted network) and waits until the connection is ready or ctx is done.
func Dial(ctx context.Context, addr, instanceID string) (*Client, error) {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(serviceConfig),
	)
	if err != nil {
		return nil, fmt.Errorf("meta service client: %s: %w", addr, err)
	}
	conn.Connect()
	for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(ctx, s) {
			conn.Close()
			return nil, fmt.Errorf("meta service client: %s: not ready (%v): %w", addr, s, ctx.Err())
		}
	}
	c := New(conn, instanceID)
	c.conn = conn
	return c, nil
}

// New returns a client over an existing connection; Close does not close conn.
func New(conn grpc.ClientConnInterface, instanceID string) *Client {
	return &Client{
		MetaServiceClient: metapb.NewMetaServiceClient(stamper{conn, instanceID}),
		instanceID:        instanceID,
	}
}

// Meta returns the typed gRPC client (the same methods Client has).
func (c *Client) Meta() metapb.MetaServiceClient { return c.MetaServiceClient }

// InstanceID is the instance this client acts on.
func (c *Client) InstanceID() string { return c.instanceID }

// Close closes the connection made by Dial.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// stamper fills the instance_id of outgoing requests that leave it empty.
type stamper struct {
	grpc.ClientConnInterface
	instanceID string
}

func (s stamper) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if m, ok := args.(proto.Message); ok {
		args = withInstance(m, s.instanceID)
	}
	if b, ok := args.(*metapb.BeginTxnRequest); ok && b.GetRequestId() == "" {
		args = withRequestID(b)
	}
	return s.ClientConnInterface.Invoke(ctx, method, args, reply, opts...)
}

// withRequestID returns a copy of req with a random request id, so that gRPC's retries of this
// call (which resend the same message) are recognised by the server as one begin.
func withRequestID(req *metapb.BeginTxnRequest) *metapb.BeginTxnRequest {
	var b [16]byte
	rand.Read(b[:])
	c := proto.Clone(req).(*metapb.BeginTxnRequest)
	c.RequestId = hex.EncodeToString(b[:])
	return c
}

func withInstance(m proto.Message, instanceID string) proto.Message {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("instance_id")
	if fd == nil || fd.Kind() != protoreflect.StringKind || r.Get(fd).String() != "" || instanceID == "" {
		return m
	}
	c := proto.Clone(m)
	c.ProtoReflect().Set(fd, protoreflect.ValueOfString(instanceID))
	return c
}
