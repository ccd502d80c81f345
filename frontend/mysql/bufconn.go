package mysql

import (
	"bufio"
	"net"
)

// bufferedConn buffers what the server writes on a client connection and sends it when the
// server next reads from the client (or the buffer fills, or the connection closes). go-mysql
// writes every packet — every row of a result set — with a write call of its own: a result of
// 18,000 rows cost 18,000 system calls. A connection's packets are written and read by its own
// goroutine, which is the only user of a bufferedConn.
type bufferedConn struct {
	net.Conn
	w *bufio.Writer
}

const connWriteBuffer = 64 << 10

func newBufferedConn(c net.Conn) *bufferedConn {
	return &bufferedConn{Conn: c, w: bufio.NewWriterSize(c, connWriteBuffer)}
}

func (c *bufferedConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// Read sends what is buffered first: the client answers only what it has received.
func (c *bufferedConn) Read(p []byte) (int, error) {
	if err := c.Flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Flush sends what is buffered.
func (c *bufferedConn) Flush() error {
	if c.w.Buffered() == 0 {
		return nil
	}
	return c.w.Flush()
}

func (c *bufferedConn) Close() error {
	ferr := c.Flush()
	if err := c.Conn.Close(); err != nil {
		return err
	}
	return ferr
}
