package mysql

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// TestBufferedConn: writes are held until the server reads (then the client gets them all in
// one piece) or the buffer fills; Close sends the rest.
func TestBufferedConn(t *testing.T) {
	server, client := net.Pipe()
	c := newBufferedConn(server)
	got := make(chan []byte, 4)
	go func() {
		buf := make([]byte, 3*connWriteBuffer)
		for {
			n, err := client.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- append([]byte(nil), buf[:n]...)
		}
	}()
	for _, p := range []string{"row1", "row2", "row3"} {
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case b := <-got:
		t.Fatalf("the client got %q before the server read", b)
	default:
	}
	go func() { _, _ = client.Write([]byte("next command")) }()
	cmd := make([]byte, 12)
	if _, err := io.ReadFull(c, cmd); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "row1row2row3" {
		t.Fatalf("the client got %q, want the three rows at once", b)
	}
	big := bytes.Repeat([]byte{'x'}, connWriteBuffer+10) // overflows: sent without a read
	wrote := make(chan struct{})
	go func() {
		_, _ = c.Write(big)
		close(wrote)
	}()
	for n := 0; n < len(big); {
		n += len(<-got)
	}
	<-wrote
	if _, err := c.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Close() }()
	var rest []byte
	for b := range got {
		rest = append(rest, b...)
	}
	if !bytes.HasSuffix(rest, []byte("tail")) {
		t.Fatalf("Close did not send the buffered tail (got %d more bytes)", len(rest))
	}
}
