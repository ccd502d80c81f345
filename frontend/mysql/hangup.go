//go:build unix

package mysql

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// watchHangup cancels cancel when the client closes conn while a statement runs, and returns the
// function that stops watching (it returns once the watcher is gone). A MySQL client waits
// silently for its answer (the protocol has no pipelining), so the connection turning readable
// while a statement runs means the client hung up — a read of zero bytes, or a COM_QUIT packet
// (what a driver's Close sends before closing) — or broke the protocol: only the hang-ups
// cancel. The watcher peeks (MSG_PEEK) and never consumes a byte the
// connection's reader would need; stop wakes it with a read deadline, which it then clears.
func watchHangup(conn net.Conn, cancel context.CancelFunc) (stop func()) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b [6]byte
		rc.Read(func(fd uintptr) bool {
			n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				return false // nothing yet: wait until the connection is readable
			}
			if err == nil && (n == 0 || isQuit(b[:n])) {
				cancel() // end of stream, or the client said goodbye: it is gone
			}
			return true
		})
	}()
	return func() {
		conn.SetReadDeadline(time.Now())
		<-done
		conn.SetReadDeadline(time.Time{})
	}
}

// isQuit reports whether b is exactly a COM_QUIT packet: a 3-byte little-endian payload length
// of 1, a sequence number, and the command byte 0x01.
func isQuit(b []byte) bool {
	return len(b) == 5 && b[0] == 1 && b[1] == 0 && b[2] == 0 && b[4] == 0x01
}
