package ast

// Kill is KILL [CONNECTION | QUERY] connection_id (MySQL): QUERY cancels the statement the
// connection is running; CONNECTION (the default) also closes the connection.
type Kill struct {
	Pos    Pos
	Query  bool // KILL QUERY
	ConnID int64
}

func (n *Kill) Position() Pos { return n.Pos }
func (*Kill) statement()      {}
