package mysql

import (
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
)

// go-mysql's server writes OK packets without the info string (server.Conn.writeOK), and Doris
// answers an INSERT with one: {'label':'...', 'status':'VISIBLE', 'txnId':'...'}, which the mysql
// CLI prints under "Query OK". So an OK with an info string is written here, with the
// connection's exported WritePacket, and HandleQuery returns alreadyWritten, a result that
// go-mysql's WriteValue writes nothing for (a finished multi-statement stream).

// alreadyWritten tells go-mysql that the response is on the wire already.
func alreadyWritten() *gomysql.Result {
	return &gomysql.Result{Resultset: &gomysql.Resultset{Fields: []*gomysql.Field{{}},
		Streaming: gomysql.StreamingMultiple, StreamingDone: true}}
}

// okPacket is an OK packet (protocol 4.1) with an info string: header, affected rows, last
// insert id, status flags, warnings, then the info as a length-encoded string. The protocol
// documents string<EOF> for servers without CLIENT_SESSION_TRACK, but libmysqlclient and
// libmariadb both read a length-encoded string whatever the flags (the mariadb CLI reports
// "malformed packet" otherwise), and Doris, which announces session tracking, writes it so too.
// The first 4 bytes are room for the packet header, which WritePacket fills in.
func okPacket(affected uint64, status, warnings uint16, info string) []byte {
	data := make([]byte, 4, 32+len(info))
	data = append(data, gomysql.OK_HEADER)
	data = append(data, gomysql.PutLengthEncodedInt(affected)...)
	data = append(data, gomysql.PutLengthEncodedInt(0)...)
	data = append(data, byte(status), byte(status>>8))
	data = append(data, byte(warnings), byte(warnings>>8))
	return append(data, gomysql.PutLengthEncodedString([]byte(info))...)
}

// connStatus is the connection's status flags (go-mysql keeps them unexported; HasStatus reads
// them bit by bit).
func connStatus(c *server.Conn) uint16 {
	var s uint16
	for bit := 0; bit < 16; bit++ {
		if c.HasStatus(1 << bit) {
			s |= 1 << bit
		}
	}
	return s
}

// writeOKInfo writes r's OK packet with its info string on c.
func writeOKInfo(c *server.Conn, r *Result) (*gomysql.Result, error) {
	if err := c.WritePacket(okPacket(r.AffectedRows, connStatus(c), r.Warnings, r.Info)); err != nil {
		return nil, err
	}
	return alreadyWritten(), nil
}
