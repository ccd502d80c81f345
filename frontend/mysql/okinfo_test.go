package mysql

import (
	"bytes"
	"testing"
)

// TestOKPacket pins the bytes of an OK packet with an info string (after the 4-byte header room):
// 0x00, affected rows and last insert id (length-encoded), status and warnings (2 bytes each,
// little-endian), the info as a length-encoded string.
func TestOKPacket(t *testing.T) {
	info := "{'label':'l', 'status':'VISIBLE', 'txnId':'7'}"
	got := okPacket(300, 0x0002, 1, info)
	want := append([]byte{0, 0, 0, 0, 0x00, 0xfc, 0x2c, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, byte(len(info))}, info...)
	if !bytes.Equal(got, want) {
		t.Fatalf("okPacket:\n got %x\nwant %x", got, want)
	}
}
